/**
 * The scheduler's view of the cluster (upstream internal/cache plus its
 * snapshot): every node and the pods on it, including *assumed* pods that
 * a scheduling cycle placed in memory before the binding write returned, so
 * the next pod sees their resources at once.
 *
 * Scheduling cycles run synchronously between informer events, so the
 * cache itself is the cycle's consistent snapshot: no copy is taken.
 * Besides nodes it keeps two indexes over placed pods — live query counts
 * (MatchIndex) and existing pods' affinity terms (TermGroups) — which
 * InterPodAffinity and PodTopologySpread read instead of walking pods.
 */
import type { Obj } from '../../client/types.ts';
import type { Labels } from '../util/node-affinity.ts';
import { MatchIndex } from './match-index.ts';
import type { NodeLookup } from './node-counts.ts';
import { NodeInfo } from './node-info.ts';
import { newPodInfo, type PodInfo } from './pod-info.ts';
import { TermGroups } from './term-groups.ts';

interface PodState {
  info: PodInfo;
  /** Placed by this scheduler and not yet seen bound by the informer. */
  assumed: boolean;
}

const ZONE = 'topology.kubernetes.io/zone';
const REGION = 'topology.kubernetes.io/region';

function zoneOf(labels: Labels): string {
  return `${labels[REGION] ?? ''}:${labels[ZONE] ?? ''}`;
}

function labelsEqual(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/** Pods that no longer hold resources (the informer upstream filters them out). */
export function isTerminal(pod: Obj): boolean {
  const phase = pod['status']?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class SchedulerCache implements NodeLookup {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly podStates = new Map<string, PodState>();
  private ordered: NodeInfo[] | undefined;
  private withNode = 0;
  /** Moves whenever node labels or the node set change; see NodeCounts. */
  epoch = 0;
  readonly matches: MatchIndex;
  readonly groups: TermGroups;

  constructor() {
    this.matches = new MatchIndex(this, () => this.allPods());
    this.groups = new TermGroups(this);
  }

  labelsOf(nodeName: string): Labels | undefined {
    const n = this.nodes.get(nodeName);
    return n?.node ? n.labels : undefined;
  }

  *allPods(): Iterable<PodInfo> {
    for (const s of this.podStates.values()) yield s.info;
  }

  /** Nodes with a Node object, zones interleaved round-robin (upstream nodeTree order). */
  nodeInfos(): readonly NodeInfo[] {
    if (this.ordered) return this.ordered;
    const zones = new Map<string, NodeInfo[]>();
    for (const n of this.nodes.values()) {
      if (!n.node) continue;
      const z = zoneOf(n.labels);
      let list = zones.get(z);
      if (!list) zones.set(z, (list = []));
      list.push(n);
    }
    const lists = [...zones.values()];
    const out: NodeInfo[] = [];
    for (let i = 0; out.length < this.withNode; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
    this.ordered = out;
    return out;
  }

  /** The node named `name`, when its Node object is known. */
  get(name: string): NodeInfo | undefined {
    const n = this.nodes.get(name);
    return n?.node ? n : undefined;
  }

  get numNodes(): number {
    return this.withNode;
  }

  private nodeInfo(name: string): NodeInfo {
    let n = this.nodes.get(name);
    if (!n) this.nodes.set(name, (n = new NodeInfo(name)));
    return n;
  }

  addNode(node: Obj): void {
    const n = this.nodeInfo(node['metadata'].name);
    if (!n.node) this.withNode++;
    n.setNode(node);
    this.ordered = undefined;
    this.epoch++;
  }

  updateNode(node: Obj): void {
    const n = this.nodes.get(node['metadata'].name);
    if (!n?.node) return this.addNode(node);
    const oldLabels = n.labels;
    n.setNode(node);
    if (!labelsEqual(oldLabels, n.labels)) {
      this.epoch++;
      if (zoneOf(oldLabels) !== zoneOf(n.labels)) this.ordered = undefined;
    }
  }

  removeNode(node: Obj): void {
    const name = node['metadata'].name;
    const n = this.nodes.get(name);
    if (!n?.node) return;
    this.withNode--;
    // Pods may still name the node until they are deleted; keep their accounting.
    if (n.pods.size) n.setNode(undefined);
    else this.nodes.delete(name);
    this.ordered = undefined;
    this.epoch++;
  }

  private place(p: PodInfo): void {
    this.nodeInfo(p.nodeName).addPod(p);
    this.matches.podAdded(p);
    this.groups.podAdded(p);
  }

  private unplace(p: PodInfo): void {
    const n = this.nodes.get(p.nodeName);
    if (!n?.removePod(p)) return;
    this.matches.podRemoved(p);
    this.groups.podRemoved(p);
    if (!n.node && n.pods.size === 0) this.nodes.delete(p.nodeName);
  }

  /**
   * A pod the informer reports bound to a node. Confirms an assumed pod
   * (replacing the in-memory copy with the real object).
   */
  addPod(pod: Obj): void {
    if (isTerminal(pod)) return this.removePod(pod);
    const info = newPodInfo(pod);
    if (!info.nodeName) return;
    const cur = this.podStates.get(info.uid);
    if (cur) this.unplace(cur.info);
    this.place(info);
    this.podStates.set(info.uid, { info, assumed: false });
  }

  updatePod(pod: Obj): void {
    this.addPod(pod);
  }

  removePod(pod: Obj): void {
    const uid = pod['metadata']?.uid;
    const cur = this.podStates.get(uid);
    if (!cur) return;
    this.unplace(cur.info);
    this.podStates.delete(uid);
  }

  /** Places a pod the scheduler chose a node for, before its binding is written. */
  assumePod(p: PodInfo): void {
    if (this.podStates.has(p.uid)) throw new Error(`pod ${p.key} (${p.uid}) is already in the cache, so can't be assumed`);
    this.place(p);
    this.podStates.set(p.uid, { info: p, assumed: true });
  }

  /** Undoes assumePod after a failed binding; a pod the informer has confirmed meanwhile stays. */
  forgetPod(p: PodInfo): void {
    const cur = this.podStates.get(p.uid);
    if (!cur?.assumed) return;
    this.unplace(cur.info);
    this.podStates.delete(p.uid);
  }

  isAssumed(uid: string): boolean {
    return this.podStates.get(uid)?.assumed ?? false;
  }

  /** Whether the pod (bound or assumed) is placed. */
  hasPod(uid: string): boolean {
    return this.podStates.has(uid);
  }

  podCount(): number {
    return this.podStates.size;
  }
}
