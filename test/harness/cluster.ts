/**
 * An in-process test cluster for controller and scheduler tests: a registry
 * over a temporary SQLite store, an in-process client, chosen controllers
 * run by the real controller manager, Node objects, and a kubelet: the node
 * agent's pod sync loop on the fake runtime (src/agent), which makes pods
 * bound to its nodes Running and Ready (with an IP from the node's podCIDR,
 * or 10.244.<node>.x), runs Job-style pods to completion (see
 * src/agent/runtime/fake/behaviour.ts) and completes their deletion.
 */
import { InProcessClient } from '../../src/client/in-process.ts';
import { InformerFactory } from '../../src/client/informer.ts';
import { realClock, type Clock } from '../../src/client/clock.ts';
import { resources, type Client, type Obj } from '../../src/client/types.ts';
import { defaultControllerConfig, recorderFactory, runControllers, type ControllerConfig, type ControllerFactory } from '../../src/controllers/manager.ts';
import { admissionFactories } from '../../src/admission/index.ts';
import { AgentHost } from '../../src/agent/host.ts';
import { fakeNodeConfig } from '../../src/agent/config.ts';
import { fakeNodeRuntime } from '../../src/agent/runtime/fake/index.ts';
import { openTestRegistry, systemUser } from './registry.ts';
import type { Registry } from '../../src/registry/registry.ts';

export interface TestCluster {
  registry: Registry;
  client: Client;
  config: ControllerConfig;
  /** Creates a Ready node. */
  addNode(name: string, opts?: { labels?: Record<string, string>; capacity?: Record<string, string>; taints?: Obj[]; unschedulable?: boolean }): Promise<Obj>;
  /**
   * Starts the kubelet for these nodes (all nodes created so far when
   * omitted). It runs pods only: the Nodes stay as addNode made them, and
   * Lease renewals are the test's to drive. `readyDelayMs` delays each
   * container start.
   */
  startKubelet(nodeNames?: string[], opts?: { readyDelayMs?: number }): void;
  /** Polls until `check` returns a truthy value (or throws after `ms`). */
  eventually<T>(what: string, check: () => Promise<T | undefined | false>, ms?: number): Promise<T>;
  close(): Promise<void>;
}

export async function openTestCluster(
  opts: { controllers?: Record<string, ControllerFactory>; config?: Partial<ControllerConfig>; clock?: Clock; admission?: boolean } = {},
): Promise<TestCluster> {
  const r = await openTestRegistry();
  const client = new InProcessClient(r.registry, systemUser);
  const config = { ...defaultControllerConfig, ...opts.config };
  if (opts.admission !== false) for (const make of admissionFactories) r.registry.admission.push(make(r.registry, config));
  const stop = new AbortController();
  const running: Promise<unknown>[] = [];
  if (opts.controllers && Object.keys(opts.controllers).length) {
    running.push(
      runControllers(
        { client, informers: new InformerFactory(client), recorder: recorderFactory(client), config, clock: opts.clock ?? realClock },
        opts.controllers,
        stop.signal,
      ),
    );
  }
  const nodes: string[] = [];
  const nodeInfo = new Map<string, { ip: string; capacity: Record<string, string>; index: number }>();

  const addNode: TestCluster['addNode'] = async (name, o = {}) => {
    const capacity = { cpu: '4', memory: '8Gi', pods: '110', ...(o.capacity ?? {}) };
    nodes.push(name);
    nodeInfo.set(name, { ip: `192.168.0.${nodes.length + 10}`, capacity, index: nodes.length - 1 });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const node = await client.create(resources.nodes, '', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...(o.labels ?? {}) } },
      spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
      status: {
        capacity,
        allocatable: capacity,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
        addresses: [{ type: 'InternalIP', address: `192.168.0.${nodes.length + 10}` }, { type: 'Hostname', address: name }],
        nodeInfo: { kubeletVersion: 'v1.32.4+bramble', osImage: 'test', kernelVersion: 'test', containerRuntimeVersion: 'test://0', architecture: 'amd64', operatingSystem: 'linux' },
      },
    });
    return node;
  };

  const startKubelet: TestCluster['startKubelet'] = (names, ko = {}) => {
    // The agent's own pod side (src/agent) on the fake runtime: the Nodes are
    // the ones addNode made, and tests drive their heartbeats themselves.
    const hosted = (names ?? [...nodes]).map((name) => {
      const n = nodeInfo.get(name);
      const config = fakeNodeConfig({ name, internalIP: n?.ip ?? '192.168.0.10', labels: {}, taints: [], capacity: n?.capacity ?? {}, runtimeVersion: '0.1.0' });
      return { config, fallbackPodCIDR: `10.244.${n?.index ?? 0}.0/24` };
    });
    const host = new AgentHost({
      client,
      nodes: hosted,
      runtimeFor: () => fakeNodeRuntime({ version: '0.1.0', startDelayMs: ko.readyDelayMs }),
      podFieldSelector: 'spec.nodeName!=',
      nodeSelector: {},
      manageNodes: false,
      workers: 4,
      registerConcurrency: 4,
      // With the node IPAM controller running, pods take their IPs from its ranges; otherwise 10.244.<n>.x at once.
      podCIDRWaitMs: opts.controllers && 'nodeipam' in opts.controllers ? 10_000 : 0,
    });
    const started = host.start();
    running.push(started);
    stop.signal.addEventListener('abort', () => running.push(started.then(() => host.stop())), { once: true });
  };

  const eventually: TestCluster['eventually'] = async (what, check, ms = 10_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v) return v as never;
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
      await new Promise((res) => setTimeout(res, 25));
    }
  };

  return {
    registry: r.registry,
    client,
    config,
    addNode,
    startKubelet,
    eventually,
    async close() {
      stop.abort();
      await Promise.allSettled(running);
      await r.close();
    },
  };
}
