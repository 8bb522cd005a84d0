/**
 * Live counts of the pods that match a query (an incoming pod's affinity
 * term, a spread constraint's selector), per node and per topology domain.
 * The first cycle that asks for a query scans every pod once; after that
 * the cache adds and removes each pod to every live entry, so later pods of
 * the same workload (which ask the same query) pay nothing per cycle.
 * Least recently used entries are dropped beyond `maxEntries`.
 */
import { NodeCounts, type NodeLookup } from './node-counts.ts';
import type { PodInfo } from './pod-info.ts';

export interface PodQuery {
  /** Identity: two queries with the same key must match the same pods. */
  readonly key: string;
  matches(p: PodInfo): boolean;
}

interface Entry {
  query: PodQuery;
  counts: NodeCounts;
}

export class MatchIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly nodes: NodeLookup;
  private readonly allPods: () => Iterable<PodInfo>;
  private readonly maxEntries: number;

  constructor(nodes: NodeLookup, allPods: () => Iterable<PodInfo>, maxEntries = 64) {
    this.nodes = nodes;
    this.allPods = allPods;
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Counts for `q`, built on first use. */
  counts(q: PodQuery): NodeCounts {
    let e = this.entries.get(q.key);
    if (e) {
      // Re-insert to mark as most recently used.
      this.entries.delete(q.key);
      this.entries.set(q.key, e);
      return e.counts;
    }
    e = { query: q, counts: new NodeCounts(this.nodes) };
    for (const p of this.allPods()) if (p.nodeName && q.matches(p)) e.counts.add(p.nodeName, 1);
    this.entries.set(q.key, e);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return e.counts;
  }

  podAdded(p: PodInfo): void {
    for (const e of this.entries.values()) if (e.query.matches(p)) e.counts.add(p.nodeName, 1);
  }

  podRemoved(p: PodInfo): void {
    for (const e of this.entries.values()) if (e.query.matches(p)) e.counts.add(p.nodeName, -1);
  }

  /** Drops entries whose answers depend on namespace labels (after a namespace changed). */
  invalidate(pred: (q: PodQuery) => boolean): void {
    for (const [k, e] of this.entries) if (pred(e.query)) this.entries.delete(k);
  }
}
