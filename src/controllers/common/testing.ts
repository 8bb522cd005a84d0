/**
 * Test helpers for workload controllers (imported by tests only):
 * - a tiny round-robin binder standing in for the scheduler in
 *   openTestCluster, so pods reach the test kubelet;
 * - a client wrapper whose watches can be held back, to stage an informer
 *   that lags behind the controller's own writes;
 * - an admission plugin that refuses pod creations like an exhausted quota;
 * - fluent builders for the objects tests create.
 */
import { errors } from '../../api/errors.ts';
import { InformerFactory } from '../../client/informer.ts';
import type { ApiWatchEvent, Client, ClientWatch, Obj, ResourceId } from '../../client/types.ts';
import { resources } from '../../client/types.ts';
import type { AdmissionPlugin } from '../../registry/admission.ts';

/** Binds every unscheduled pod of the default scheduler to the next of `nodes`, until `signal` aborts. */
export function startTestBinder(client: Client, nodes: readonly string[], signal: AbortSignal): Promise<void> {
  let next = 0;
  const inf = new InformerFactory(client).informer(resources.pods);
  const bind = (p: Obj) => {
    const m = p['metadata'];
    if (p['spec']?.nodeName || m.deletionTimestamp || !nodes.length) return;
    if ((p['spec']?.schedulerName ?? 'default-scheduler') !== 'default-scheduler') return;
    const node = nodes[next++ % nodes.length]!;
    client
      .createSubresource(resources.pods, m.namespace, m.name, 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: m.name, namespace: m.namespace, uid: m.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      })
      .catch(() => undefined);
  };
  inf.addHandler({ add: bind, update: (_o, p) => bind(p) });
  return inf.run(signal);
}

/** A client whose watch deliveries wait while `held` is true (lists and writes pass through). */
export class GatedClient implements Client {
  private readonly inner: Client;
  private heldEvents: (() => void)[] = [];
  held = false;

  constructor(inner: Client) {
    this.inner = inner;
  }

  get userName(): string {
    return this.inner.userName;
  }

  /** Delivers everything held back and stops holding. */
  release(): void {
    this.held = false;
    for (const f of this.heldEvents.splice(0)) f();
  }

  get: Client['get'] = (...a) => this.inner.get(...a);
  list: Client['list'] = (...a) => this.inner.list(...a);
  create: Client['create'] = (...a) => this.inner.create(...a);
  update: Client['update'] = (...a) => this.inner.update(...a);
  patch: Client['patch'] = (...a) => this.inner.patch(...a);
  delete: Client['delete'] = (...a) => this.inner.delete(...a);
  createSubresource: Client['createSubresource'] = (...a) => this.inner.createSubresource(...a);

  async watch(r: ResourceId, namespace: string, opts: Parameters<Client['watch']>[2], signal: AbortSignal): Promise<ClientWatch> {
    const w = await this.inner.watch(r, namespace, opts, signal);
    return {
      pump: (onEvents: (events: ApiWatchEvent[]) => void) =>
        w.pump((events) => {
          if (this.held) this.heldEvents.push(() => onEvents(events));
          else onEvents(events);
        }),
    };
  }
}

/**
 * Refuses pod creations in `namespace` after `limit` have been admitted,
 * worded like ResourceQuota's 403. Counting admissions (not listing pods)
 * keeps concurrent creations from slipping past, as the real quota's
 * serialised usage updates do.
 */
export function podQuota(namespace: string, limit: number): AdmissionPlugin {
  let used = 0;
  return {
    name: 'TestPodQuota',
    validate(req) {
      if (req.operation !== 'CREATE' || req.resource.resource !== 'pods' || req.subresource || req.namespace !== namespace) return;
      if (used >= limit) {
        throw errors.forbidden({ group: '', resource: 'pods' }, req.name, `exceeded quota: pods, requested: pods=1, used: pods=${used}, limited: pods=${limit}`);
      }
      used++;
    },
  };
}

/** `new RS('web').replicas(3).obj()`: a ReplicaSet selecting and labelling `app: <name>`. */
export class RSBuilder {
  private readonly o: Obj;
  constructor(name: string, namespace = 'default') {
    this.o = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.14.2' }] } },
      },
    };
  }
  replicas(n: number): this {
    this.o['spec'].replicas = n;
    return this;
  }
  minReadySeconds(s: number): this {
    this.o['spec'].minReadySeconds = s;
    return this;
  }
  finalizers(...f: string[]): this {
    this.o['metadata'].finalizers = f;
    return this;
  }
  obj(): Obj {
    return structuredClone(this.o);
  }
}

/** `new PodBuilder('p').labels({app:'web'}).node('n1').phase('Running').ready().obj()`. */
export class PodBuilder {
  private readonly o: Obj;
  constructor(name: string, namespace = 'default') {
    this.o = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid: name }, spec: { containers: [{ name: 'c', image: 'nginx' }] }, status: {} };
  }
  labels(l: Record<string, string>): this {
    this.o['metadata'].labels = l;
    return this;
  }
  node(n: string): this {
    this.o['spec'].nodeName = n;
    return this;
  }
  phase(p: string): this {
    this.o['status'].phase = p;
    return this;
  }
  created(iso: string): this {
    this.o['metadata'].creationTimestamp = iso;
    return this;
  }
  ready(since = '2025-01-01T00:00:00Z'): this {
    this.o['status'].conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: since }];
    return this;
  }
  restarts(n: number): this {
    this.o['status'].containerStatuses = [{ name: 'c', restartCount: n }];
    return this;
  }
  annotate(k: string, v: string): this {
    this.o['metadata'].annotations = { ...(this.o['metadata'].annotations ?? {}), [k]: v };
    return this;
  }
  obj(): Obj {
    return structuredClone(this.o);
  }
}

/** Registers a Ready node (for tests without an agent). */
export async function createTestNode(client: Client, name: string): Promise<Obj> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const capacity = { cpu: '4', memory: '8Gi', pods: '110' };
  return client.create(resources.nodes, '', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } },
    status: {
      capacity,
      allocatable: capacity,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  });
}

/**
 * A minimal kubelet for tests over any Client (in-process or HTTP): pods
 * bound to `nodes` become Running and Ready after `readyDelayMs`; pods
 * marked for deletion are removed at once.
 */
export function startTestKubelet(client: Client, nodes: readonly string[], signal: AbortSignal, readyDelayMs = 0): Promise<void> {
  const mine = new Set(nodes);
  const starting = new Set<string>();
  const sync = async (pod: Obj) => {
    const m = pod['metadata'];
    if (!mine.has(pod['spec']?.nodeName)) return;
    if (m.deletionTimestamp) {
      await client.delete(resources.pods, m.namespace, m.name, { gracePeriodSeconds: 0, preconditions: { uid: m.uid } });
      return;
    }
    if (pod['status']?.phase === 'Running' || starting.has(m.uid)) return;
    starting.add(m.uid);
    if (readyDelayMs) await new Promise((r) => setTimeout(r, readyDelayMs));
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
    await client.patch(resources.pods, m.namespace, m.name, 'merge', {
      status: {
        phase: 'Running',
        podIP: '10.42.0.10',
        startTime: now,
        conditions: [cond('Initialized'), cond('Ready'), cond('ContainersReady'), cond('PodScheduled')],
        containerStatuses: ((pod['spec'].containers ?? []) as Obj[]).map((c) => ({
          name: c.name,
          image: c.image,
          imageID: '',
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        })),
      },
    }, { subresource: 'status' });
  };
  const inf = new InformerFactory(client).informer(resources.pods);
  const run = (p: Obj) => void sync(p).catch(() => undefined);
  inf.addHandler({ add: run, update: (_o, p) => run(p) });
  return inf.run(signal);
}
