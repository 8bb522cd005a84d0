/**
 * Test helpers for the node controllers: a test cluster on a FakeClock
 * running the node lifecycle and taint eviction controllers (health passes
 * driven by the test, not by timers), heartbeats, and pods bound to nodes.
 */
import { FakeClock } from '../../client/clock.ts';
import type { Informer } from '../../client/informer.ts';
import { resources, type Obj, type ResourceId } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import type { ControllerConfig, ControllerFactory } from '../manager.ts';
import { timeString } from './conditions.ts';
import { NodeLifecycleController, type NodeLifecycleOptions } from './node-lifecycle.ts';
import { TaintEvictionController } from './taint-eviction.ts';

export interface NodeTestCluster extends TestCluster {
  clock: FakeClock;
  lifecycle: NodeLifecycleController;
  eviction: TaintEvictionController;
  /** Renews the node's Lease at the fake clock's time. */
  renewLease(node: string): Promise<void>;
  /** Posts a Ready condition (and optionally others) with a fresh heartbeat. */
  postStatus(node: string, ready: 'True' | 'False', extra?: Obj[]): Promise<void>;
  /** A Running, Ready pod bound to `node`. */
  runPod(name: string, node: string, spec?: Obj): Promise<Obj>;
  /** Moves the fake clock, then lets timers' async work settle. */
  advance(ms: number): Promise<void>;
  node(name: string): Promise<Obj>;
  pod(name: string): Promise<Obj | undefined>;
  events(reason: string): Promise<Obj[]>;
  /** Runs a health pass once the controller's caches hold `nodes`. */
  monitor(...nodes: string[]): Promise<void>;
  /** Runs a NoExecute tainting pass (what the 100 ms timer does). */
  taintPass(): Promise<void>;
}

export async function openNodeTestCluster(opts: { config?: Partial<ControllerConfig>; lifecycle?: NodeLifecycleOptions; extra?: Record<string, ControllerFactory> } = {}): Promise<NodeTestCluster> {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let lifecycle!: NodeLifecycleController;
  let eviction!: TaintEvictionController;
  const cluster = await openTestCluster({
    clock,
    config: opts.config,
    controllers: {
      // Health passes only when the test asks (a huge monitor period), so assertions see whole passes.
      'node-lifecycle': (ctx) => (lifecycle = new NodeLifecycleController(ctx, { monitorPeriodMs: 1e12, ...opts.lifecycle })),
      'taint-eviction-controller': (ctx) => (eviction = new TaintEvictionController(ctx)),
      ...opts.extra,
    },
  });
  const { client } = cluster;
  const settle = () => new Promise((r) => setTimeout(r, 30));
  const heartbeat = new Map<string, number>();
  const t: NodeTestCluster = {
    ...cluster,
    clock,
    get lifecycle() {
      return lifecycle;
    },
    get eviction() {
      return eviction;
    },
    async renewLease(node) {
      const lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: node, namespace: 'kube-node-lease' },
        spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: new Date(clock.now()).toISOString().replace('Z', '000Z') },
      };
      try {
        const cur = await client.get(resources.leases, 'kube-node-lease', node);
        await client.update(resources.leases, 'kube-node-lease', { ...lease, metadata: { ...lease.metadata, resourceVersion: cur['metadata'].resourceVersion } });
      } catch {
        await client.create(resources.leases, 'kube-node-lease', lease);
      }
    },
    async postStatus(node, ready, extra = []) {
      // Heartbeats are whole seconds on the wire; make each one distinct.
      const at = Math.max(clock.now(), (heartbeat.get(node) ?? 0) + 1000);
      heartbeat.set(node, at);
      const cur = await client.get(resources.nodes, '', node);
      const old = (cur['status'].conditions as Obj[]).find((c) => c['type'] === 'Ready');
      const transition = old?.['status'] === ready ? old['lastTransitionTime'] : timeString(at);
      const conditions = [{ type: 'Ready', status: ready, reason: ready === 'True' ? 'KubeletReady' : 'KubeletNotReady', message: 'test', lastHeartbeatTime: timeString(at), lastTransitionTime: transition }, ...extra];
      await client.patch(resources.nodes, '', node, 'strategic', { status: { conditions } }, { subresource: 'status' });
    },
    async runPod(name, node, spec = {}) {
      await client.create(resources.pods, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app: 'test' } },
        spec: { ...(node ? { nodeName: node } : {}), containers: [{ name: 'c', image: 'busybox' }], ...spec },
      });
      const now = timeString(clock.now());
      const cond = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
      return client.patch(resources.pods, 'default', name, 'merge', { status: { phase: 'Running', conditions: [cond('Ready'), cond('ContainersReady'), cond('PodScheduled')] } }, { subresource: 'status' });
    },
    async advance(ms) {
      clock.advance(ms);
      await settle();
    },
    node: (name) => client.get(resources.nodes, '', name),
    async pod(name) {
      try {
        return await client.get(resources.pods, 'default', name);
      } catch {
        return undefined;
      }
    },
    async events(reason) {
      const all = [...(await client.list(resources.events, 'default')).items];
      return all.filter((e) => e['reason'] === reason);
    },
    async monitor(...nodes) {
      const caughtUp = async (inf: Informer, r: ResourceId, ns: string) => {
        const items = (await client.list(r, ns)).items;
        return items.length === inf.list().length && items.every((o) => inf.getByName(ns, o['metadata'].name)?.['metadata'].resourceVersion === o['metadata'].resourceVersion);
      };
      await cluster.eventually('nodes and leases in the controller cache', async () => {
        const names = (await client.list(resources.nodes, '')).items.map((n) => n['metadata'].name);
        return nodes.every((n) => names.includes(n)) && (await caughtUp(lifecycle['nodes'], resources.nodes, '')) && (await caughtUp(lifecycle['leases'], resources.leases, 'kube-node-lease'));
      });
      await lifecycle.monitorNodeHealth();
      await settle();
    },
    async taintPass() {
      await lifecycle.tainter.pass();
      await settle();
    },
  };
  return t;
}

export const ready = (n: Obj, type = 'Ready'): Obj | undefined => (n['status']?.conditions as Obj[] | undefined)?.find((c) => c['type'] === type);
export const taintKeysOf = (n: Obj): string[] => ((n['spec']?.taints as Obj[] | undefined) ?? []).map((t) => `${t['key']}:${t['effect']}`).sort();
