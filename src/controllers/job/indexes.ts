/**
 * Completion indexes of Indexed Jobs (upstream indexed_job_utils.go): the
 * index a pod works on (annotation `batch.kubernetes.io/job-completion-index`),
 * the set of completed indexes kept in `status.completedIndexes` as sorted
 * ranges (`1,3-5`), and which indexes still need a pod.
 */
import type { Obj } from '../../client/types.ts';

export const completionIndexKey = 'batch.kubernetes.io/job-completion-index';

/** The pod's completion index, or -1 when it has none (or a malformed one). */
export function completionIndex(pod: Obj): number {
  const v = pod['metadata']?.annotations?.[completionIndexKey];
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return -1;
  const n = Number(v);
  return n <= 2147483647 ? n : -1;
}

/** Sorted, disjoint, inclusive ranges. */
export type Intervals = [number, number][];

/** Parses `status.completedIndexes`, keeping indexes below `completions`. */
export function parseIndexes(s: string | undefined, completions: number): Intervals {
  const out: Intervals = [];
  if (!s) return out;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const first = Number(m[1]);
    const last = Math.min(m[2] === undefined ? first : Number(m[2]), completions - 1);
    if (first > last) continue;
    const prev = out[out.length - 1];
    if (prev && first <= prev[1] + 1) prev[1] = Math.max(prev[1], last);
    else out.push([first, last]);
  }
  return out;
}

export function formatIndexes(iv: Intervals): string {
  return iv.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
}

export function totalIndexes(iv: Intervals): number {
  return iv.reduce((n, [a, b]) => n + b - a + 1, 0);
}

export function hasIndex(iv: Intervals, i: number): boolean {
  return iv.some(([a, b]) => i >= a && i <= b);
}

/** The ranges with `indexes` added, merged. */
export function withIndexes(iv: Intervals, indexes: readonly number[]): Intervals {
  const all = new Set<number>();
  for (const [a, b] of iv) for (let i = a; i <= b; i++) all.add(i);
  for (const i of indexes) all.add(i);
  const sorted = [...all].sort((a, b) => a - b);
  const out: Intervals = [];
  for (const i of sorted) {
    const prev = out[out.length - 1];
    if (prev && i === prev[1] + 1) prev[1] = i;
    else out.push([i, i]);
  }
  return out;
}

/**
 * The stored completed indexes, and those plus the indexes of succeeded
 * pods still carrying the tracking finalizer (upstream calculateSucceededIndexes).
 */
export function succeededIndexes(job: Obj, pods: readonly Obj[], hasFinalizer: (p: Obj) => boolean): { prev: Intervals; now: Intervals } {
  const completions: number = job['spec']?.completions ?? 0;
  const prev = parseIndexes(job['status']?.completedIndexes, completions);
  const fresh: number[] = [];
  for (const p of pods) {
    const i = completionIndex(p);
    if (p['status']?.phase === 'Succeeded' && hasFinalizer(p) && i >= 0 && i < completions) fresh.push(i);
  }
  return { prev, now: withIndexes(prev, fresh) };
}

/** Up to `count` indexes below `completions` neither completed nor held by an active pod (upstream firstPendingIndexes). */
export function firstPendingIndexes(succeeded: Intervals, activePods: readonly Obj[], count: number, completions: number): number[] {
  const busy = new Set(activePods.map(completionIndex));
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!busy.has(i) && !hasIndex(succeeded, i)) out.push(i);
  return out;
}

/**
 * Active pods to remove from an Indexed Job: those with no or an
 * out-of-range index, and all but one pod per index (upstream
 * appendDuplicatedIndexPodsForRemoval). Returns them and the rest.
 */
export function duplicatedIndexPods(pods: readonly Obj[], completions: number): { remove: Obj[]; keep: Obj[] } {
  const remove: Obj[] = [];
  const keep: Obj[] = [];
  const seen = new Set<number>();
  const sorted = [...pods].sort((a, b) => completionIndex(a) - completionIndex(b));
  for (const p of sorted) {
    const i = completionIndex(p);
    if (i < 0 || i >= completions || seen.has(i)) remove.push(p);
    else {
      seen.add(i);
      keep.push(p);
    }
  }
  return { remove, keep };
}
