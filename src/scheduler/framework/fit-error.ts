/**
 * Why a pod fits no node, and the text upstream prints for it (FitError):
 *
 *   0/3 nodes are available: 1 node(s) didn't match pod anti-affinity rules,
 *   2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption
 *   victims found for incoming pod..
 *
 * Each node's reasons are counted, `"<count> <reason>"` strings sorted as
 * strings and joined; a PreFilter rejection replaces the histogram; the
 * PostFilter (preemption) message follows, itself ending in a period, so
 * upstream's text ends in "..". That double period is upstream's, kept.
 */
import type { NodeToStatus } from './interfaces.ts';
import { unresolvable, type Status } from './status.ts';

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

export interface Diagnosis extends NodeToStatus {
  /** Plugins that rejected the pod (the queue retries it on their events). */
  readonly unschedulablePlugins: ReadonlySet<string>;
  /** Set when PreFilter rejected the pod. */
  readonly preFilterMsg: string;
  postFilterMsg: string;
}

/** Status of a node never filtered when nothing else is known (no reasons). */
export const DEFAULT_ABSENT: Status = unresolvable();

export function statusOf(d: NodeToStatus, node: string): Status {
  return d.statuses.get(node) ?? d.absent;
}

export function fitErrorMessage(numAllNodes: number, d: NodeToStatus & { preFilterMsg?: string; postFilterMsg?: string }): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const s of d.statuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const absent = numAllNodes - d.statuses.size;
    if (absent > 0) for (const r of d.absent.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort(goStringLess);
    if (parts.length) msg += ` ${parts.join(', ')}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}.`;
  return msg;
}

/** Byte-wise string order, as Go's sort.Strings. */
function goStringLess(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}
