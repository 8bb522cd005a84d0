/**
 * An in-process test cluster for controller and scheduler tests: a registry
 * over a temporary SQLite store, an in-process client, chosen controllers
 * run by the real controller manager, Node objects, and a minimal test
 * kubelet that makes pods bound to its nodes Running and Ready (with an IP
 * from the node's podCIDR, or 10.244.x.y) and completes their deletion.
 *
 * The kubelet here is deliberately small; the simulated agent
 * (`bramble agent --runtime fake`) is the full implementation.
 */
import { InProcessClient } from '../../src/client/in-process.ts';
import { InformerFactory } from '../../src/client/informer.ts';
import { realClock, type Clock } from '../../src/client/clock.ts';
import { resources, type Client, type Obj } from '../../src/client/types.ts';
import { defaultControllerConfig, recorderFactory, runControllers, type ControllerConfig, type ControllerFactory } from '../../src/controllers/manager.ts';
import { admissionFactories } from '../../src/admission/index.ts';
import { isApiError } from '../../src/api/errors.ts';
import { openTestRegistry, systemUser } from './registry.ts';
import type { Registry } from '../../src/registry/registry.ts';

export interface TestCluster {
  registry: Registry;
  client: Client;
  config: ControllerConfig;
  /** Creates a Ready node. */
  addNode(name: string, opts?: { labels?: Record<string, string>; capacity?: Record<string, string>; taints?: Obj[]; unschedulable?: boolean }): Promise<Obj>;
  /** Starts the test kubelet for these nodes (all nodes created so far when omitted). */
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
  let ipSeq = 2;

  const addNode: TestCluster['addNode'] = async (name, o = {}) => {
    const capacity = { cpu: '4', memory: '8Gi', pods: '110', ...(o.capacity ?? {}) };
    nodes.push(name);
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
    const mine = new Set(names ?? [...nodes]);
    const syncPod = async (pod: Obj) => {
      const node = pod['spec']?.nodeName;
      if (!node || !mine.has(node)) return;
      const m = pod['metadata'];
      try {
        if (m.deletionTimestamp) {
          await client.delete(resources.pods, m.namespace, m.name, { gracePeriodSeconds: 0, preconditions: { uid: m.uid } });
          return;
        }
        if (pod['status']?.phase === 'Running' || pod['status']?.phase === 'Succeeded' || pod['status']?.phase === 'Failed') return;
        if (ko.readyDelayMs) await new Promise((res) => setTimeout(res, ko.readyDelayMs));
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        const ip = `10.244.${Math.floor(ipSeq / 250)}.${(ipSeq++ % 250) + 2}`;
        const containers: Obj[] = pod['spec'].containers ?? [];
        const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
        await client.patch(resources.pods, m.namespace, m.name, 'merge', {
          status: {
            phase: 'Running',
            podIP: ip,
            podIPs: [{ ip }],
            hostIP: '192.168.0.10',
            startTime: now,
            conditions: [cond('PodReadyToStartContainers'), cond('Initialized'), cond('Ready'), cond('ContainersReady'), cond('PodScheduled')],
            containerStatuses: containers.map((c) => ({
              name: c.name,
              image: c.image,
              imageID: `${c.image}@sha256:0`,
              containerID: `test://${m.uid}/${c.name}`,
              ready: true,
              started: true,
              restartCount: 0,
              state: { running: { startedAt: now } },
            })),
          },
        }, { subresource: 'status' });
      } catch (e) {
        if (!isApiError(e, 'NotFound') && !isApiError(e, 'Conflict')) throw e;
      }
    };
    const kubelet = new InformerFactory(client).informer(resources.pods);
    kubelet.addHandler({ add: (p) => void syncPod(p).catch(() => undefined), update: (_o, p) => void syncPod(p).catch(() => undefined) });
    running.push(kubelet.run(stop.signal));
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
