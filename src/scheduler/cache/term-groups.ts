/**
 * The affinity terms of pods already on nodes, grouped by identical term:
 * the replicas of one Deployment share one group whose counts say how many
 * of them sit in each topology domain. InterPodAffinity asks "do existing
 * pods' anti-affinity terms reject this pod here?" by testing each distinct
 * term once per cycle instead of each pod.
 */
import type { AffinityTerm } from '../util/affinity-term.ts';
import { NodeCounts, type NodeLookup } from './node-counts.ts';
import type { PodInfo } from './pod-info.ts';

export type TermKind = 'requiredAffinity' | 'requiredAntiAffinity' | 'preferredAffinity' | 'preferredAntiAffinity';

export interface TermGroup {
  readonly kind: TermKind;
  readonly term: AffinityTerm;
  /** The preferred term's weight; 1 for required terms. */
  readonly weight: number;
  readonly counts: NodeCounts;
}

const KINDS: TermKind[] = ['requiredAffinity', 'requiredAntiAffinity', 'preferredAffinity', 'preferredAntiAffinity'];

export class TermGroups {
  private readonly groups = new Map<string, TermGroup>();
  private readonly kinds = new Map<TermKind, Set<TermGroup>>(KINDS.map((k) => [k, new Set()]));
  private readonly nodes: NodeLookup;

  constructor(nodes: NodeLookup) {
    this.nodes = nodes;
  }

  /** Groups of a kind with at least one pod. */
  of(kind: TermKind): ReadonlySet<TermGroup> {
    return this.kinds.get(kind)!;
  }

  podAdded(p: PodInfo): void {
    this.apply(p, 1);
  }

  podRemoved(p: PodInfo): void {
    this.apply(p, -1);
  }

  private apply(p: PodInfo, delta: number): void {
    for (const t of p.requiredAffinityTerms) this.bump('requiredAffinity', t, 1, p.nodeName, delta);
    for (const t of p.requiredAntiAffinityTerms) this.bump('requiredAntiAffinity', t, 1, p.nodeName, delta);
    for (const w of p.preferredAffinityTerms) this.bump('preferredAffinity', w.term, w.weight, p.nodeName, delta);
    for (const w of p.preferredAntiAffinityTerms) this.bump('preferredAntiAffinity', w.term, w.weight, p.nodeName, delta);
  }

  private bump(kind: TermKind, term: AffinityTerm, weight: number, node: string, delta: number): void {
    const key = `${kind}|${weight}|${term.key}`;
    let g = this.groups.get(key);
    if (!g) {
      if (delta < 0) return;
      g = { kind, term, weight, counts: new NodeCounts(this.nodes) };
      this.groups.set(key, g);
      this.kinds.get(kind)!.add(g);
    }
    g.counts.add(node, delta);
    if (g.counts.total <= 0) {
      this.groups.delete(key);
      this.kinds.get(kind)!.delete(g);
    }
  }
}
