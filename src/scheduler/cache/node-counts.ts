/**
 * Pod counts per node, aggregated on demand per topology domain
 * (`zone=a`, `kubernetes.io/hostname=node-3`). Index entries keep one of
 * these so that a scheduling cycle reads "how many matching pods are in
 * this domain" in O(1) instead of walking every pod on every node.
 *
 * Domain counts are kept current incrementally as pods come and go, and
 * rebuilt lazily when node labels change (the lookup's `epoch` moves).
 */
import type { Labels } from '../util/node-affinity.ts';

/** How counts find node labels; `epoch` changes whenever any node's labels (or the node set) change. */
export interface NodeLookup {
  readonly epoch: number;
  labelsOf(nodeName: string): Labels | undefined;
}

export class NodeCounts {
  /** Pods counted, per node name (nodes without a Node object included). */
  readonly byNode = new Map<string, number>();
  total = 0;
  private readonly nodes: NodeLookup;
  private readonly domains = new Map<string, Map<string, number>>();
  private epoch = -1;

  constructor(nodes: NodeLookup) {
    this.nodes = nodes;
  }

  add(nodeName: string, delta: number): void {
    bump(this.byNode, nodeName, delta);
    this.total += delta;
    if (this.domains.size === 0 || this.epoch !== this.nodes.epoch) return;
    const labels = this.nodes.labelsOf(nodeName);
    if (!labels) return;
    for (const [key, m] of this.domains) {
      const v = labels[key];
      if (v !== undefined) bump(m, v, delta);
    }
  }

  /** Count per value of `topologyKey` over nodes that have the label; zero entries are absent. */
  byDomain(topologyKey: string): ReadonlyMap<string, number> {
    if (this.epoch !== this.nodes.epoch) {
      this.domains.clear();
      this.epoch = this.nodes.epoch;
    }
    let m = this.domains.get(topologyKey);
    if (!m) {
      m = new Map();
      for (const [node, n] of this.byNode) {
        const v = this.nodes.labelsOf(node)?.[topologyKey];
        if (v !== undefined) bump(m, v, n);
      }
      this.domains.set(topologyKey, m);
    }
    return m;
  }
}

function bump(m: Map<string, number>, k: string, delta: number): void {
  const n = (m.get(k) ?? 0) + delta;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}
