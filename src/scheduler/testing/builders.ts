/**
 * Fluent builders for scheduler tests, in the style of upstream's
 * st.MakePod()/st.MakeNode():
 *
 *   makePod('web-1').labels({ app: 'web' }).req({ cpu: '1' }).antiAffinity('kubernetes.io/hostname', { app: 'web' }).obj()
 *   makeNode('node-1').capacity({ cpu: '4' }).taint('dedicated', 'gpu', 'NoSchedule').obj()
 */
import type { Obj } from '../../client/types.ts';

let uidSeq = 0;

type Labels = Record<string, string>;

function podAffinityTerm(topologyKey: string, matchLabels: Labels, extra: Obj = {}): Obj {
  return { labelSelector: { matchLabels }, topologyKey, ...extra };
}

export class PodBuilder {
  private readonly p: Obj;

  constructor(name: string) {
    this.p = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', uid: `uid-${name}-${++uidSeq}`, labels: {} },
      spec: { containers: [{ name: 'c', image: 'nginx' }], schedulerName: 'default-scheduler' },
      status: { phase: 'Pending' },
    };
  }

  private get spec(): Obj {
    return this.p['spec'];
  }

  private affinity(kind: 'podAffinity' | 'podAntiAffinity' | 'nodeAffinity'): Obj {
    const a = (this.spec.affinity ??= {});
    return (a[kind] ??= {});
  }

  ns(namespace: string): this {
    this.p['metadata'].namespace = namespace;
    return this;
  }

  uid(uid: string): this {
    this.p['metadata'].uid = uid;
    return this;
  }

  labels(labels: Labels): this {
    Object.assign(this.p['metadata'].labels, labels);
    return this;
  }

  /** Requests of the (single) container; more containers via `container`. */
  req(requests: Record<string, string>): this {
    this.spec.containers[0].resources = { requests };
    return this;
  }

  container(requests: Record<string, string>, ports: Obj[] = []): this {
    this.spec.containers.push({ name: `c${this.spec.containers.length}`, image: 'nginx', resources: { requests }, ports });
    return this;
  }

  initReq(requests: Record<string, string>, opts: { sidecar?: boolean } = {}): this {
    (this.spec.initContainers ??= []).push({ name: `init${this.spec.initContainers?.length ?? 0}`, image: 'busybox', resources: { requests }, ...(opts.sidecar ? { restartPolicy: 'Always' } : {}) });
    return this;
  }

  overhead(o: Record<string, string>): this {
    this.spec.overhead = o;
    return this;
  }

  hostPort(port: number, protocol = 'TCP', hostIP?: string): this {
    (this.spec.containers[0].ports ??= []).push({ containerPort: port, hostPort: port, protocol, ...(hostIP ? { hostIP } : {}) });
    return this;
  }

  nodeSelector(sel: Labels): this {
    this.spec.nodeSelector = sel;
    return this;
  }

  /** Adds a required node affinity term (ORed with other terms). */
  nodeAffinityTerm(term: { matchExpressions?: Obj[]; matchFields?: Obj[] }): this {
    const na = this.affinity('nodeAffinity');
    (na.requiredDuringSchedulingIgnoredDuringExecution ??= { nodeSelectorTerms: [] }).nodeSelectorTerms.push(term);
    return this;
  }

  nodeAffinityIn(key: string, values: string[]): this {
    return this.nodeAffinityTerm({ matchExpressions: [{ key, operator: 'In', values }] });
  }

  /** What DaemonSet pods carry: a matchFields term on metadata.name. */
  nodeNameAffinity(node: string): this {
    return this.nodeAffinityTerm({ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] });
  }

  preferredNodeAffinity(weight: number, key: string, values: string[]): this {
    (this.affinity('nodeAffinity').preferredDuringSchedulingIgnoredDuringExecution ??= []).push({ weight, preference: { matchExpressions: [{ key, operator: 'In', values }] } });
    return this;
  }

  toleration(t: Obj): this {
    (this.spec.tolerations ??= []).push(t);
    return this;
  }

  podAffinity(topologyKey: string, matchLabels: Labels, extra: Obj = {}): this {
    (this.affinity('podAffinity').requiredDuringSchedulingIgnoredDuringExecution ??= []).push(podAffinityTerm(topologyKey, matchLabels, extra));
    return this;
  }

  antiAffinity(topologyKey: string, matchLabels: Labels, extra: Obj = {}): this {
    (this.affinity('podAntiAffinity').requiredDuringSchedulingIgnoredDuringExecution ??= []).push(podAffinityTerm(topologyKey, matchLabels, extra));
    return this;
  }

  preferredAffinity(weight: number, topologyKey: string, matchLabels: Labels): this {
    (this.affinity('podAffinity').preferredDuringSchedulingIgnoredDuringExecution ??= []).push({ weight, podAffinityTerm: podAffinityTerm(topologyKey, matchLabels) });
    return this;
  }

  preferredAntiAffinity(weight: number, topologyKey: string, matchLabels: Labels): this {
    (this.affinity('podAntiAffinity').preferredDuringSchedulingIgnoredDuringExecution ??= []).push({ weight, podAffinityTerm: podAffinityTerm(topologyKey, matchLabels) });
    return this;
  }

  spread(maxSkew: number, topologyKey: string, matchLabels: Labels | undefined, opts: Obj = {}): this {
    (this.spec.topologySpreadConstraints ??= []).push({
      maxSkew,
      topologyKey,
      whenUnsatisfiable: 'DoNotSchedule',
      ...(matchLabels ? { labelSelector: { matchLabels } } : {}),
      ...opts,
    });
    return this;
  }

  priority(n: number): this {
    this.spec.priority = n;
    return this;
  }

  preemptionPolicy(p: 'Never' | 'PreemptLowerPriority'): this {
    this.spec.preemptionPolicy = p;
    return this;
  }

  node(name: string): this {
    this.spec.nodeName = name;
    this.p['status'].phase = 'Running';
    return this;
  }

  phase(phase: string): this {
    this.p['status'].phase = phase;
    return this;
  }

  terminating(): this {
    this.p['metadata'].deletionTimestamp = '2026-01-01T00:00:00Z';
    return this;
  }

  schedulerName(n: string): this {
    this.spec.schedulerName = n;
    return this;
  }

  gates(...names: string[]): this {
    this.spec.schedulingGates = names.map((name) => ({ name }));
    return this;
  }

  owner(kind: string, name: string): this {
    this.p['metadata'].ownerReferences = [{ apiVersion: 'apps/v1', kind, name, uid: `uid-${name}`, controller: true }];
    return this;
  }

  obj(): Obj {
    return structuredClone(this.p);
  }
}

export class NodeBuilder {
  private readonly n: Obj;

  constructor(name: string) {
    const capacity = { cpu: '4', memory: '8Gi', pods: '110' };
    this.n = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, uid: `uid-node-${name}`, labels: { 'kubernetes.io/hostname': name } },
      spec: {},
      status: { capacity, allocatable: { ...capacity } },
    };
  }

  labels(labels: Labels): this {
    Object.assign(this.n['metadata'].labels, labels);
    return this;
  }

  zone(zone: string): this {
    return this.labels({ 'topology.kubernetes.io/zone': zone });
  }

  capacity(c: Record<string, string>): this {
    Object.assign(this.n['status'].capacity, c);
    Object.assign(this.n['status'].allocatable, c);
    return this;
  }

  taint(key: string, value: string | undefined, effect: string): this {
    (this.n['spec'].taints ??= []).push({ key, ...(value !== undefined ? { value } : {}), effect });
    return this;
  }

  unschedulable(): this {
    this.n['spec'].unschedulable = true;
    return this;
  }

  obj(): Obj {
    return structuredClone(this.n);
  }
}

export const makePod = (name = 'pod'): PodBuilder => new PodBuilder(name);
export const makeNode = (name: string): NodeBuilder => new NodeBuilder(name);
