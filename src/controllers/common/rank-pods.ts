/**
 * Which pods to delete first when scaling down, in upstream's order
 * (ActivePodsWithRanks in pkg/controller/controller_utils.go, with the
 * PodDeletionCost and LogarithmicScaleDown behaviour that is on by default
 * in 1.32). Earlier in the sorted list = deleted first:
 *
 * 1. unassigned before assigned;
 * 2. Pending before Unknown before Running;
 * 3. not ready before ready;
 * 4. lower `controller.kubernetes.io/pod-deletion-cost` first;
 * 5. more related pods on the same node first (doubled-up);
 * 6. both ready: ready for less time first (log2 buckets of age);
 * 7. more container restarts first;
 * 8. newer first (log2 buckets of age); equal buckets fall back to uid order.
 */
import type { Obj } from '../../client/types.ts';
import { deletionCost, isPodActive, isPodReady, maxContainerRestarts, podReadyTime } from './pods.ts';

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Bucket of an age, as upstream: floor(log2(age in nanoseconds)), -1 for
 * a time not in the past. Pods whose ages fall in one bucket are treated as
 * the same age, so scale-down spreads over equally old pods.
 */
function logBucket(t: number, now: number): number {
  const ageNs = (now - t) * 1e6;
  return ageNs > 0 ? Math.floor(Math.log2(ageNs)) : -1;
}

/** Upstream's afterOrZero: a zero time sorts first, then the later time. */
function afterOrZero(t1: number, t2: number): boolean {
  if (!t1 || !t2) return !t1;
  return t1 > t2;
}

function compareTimes(t1: number, t2: number, now: number, uid1: string, uid2: string): boolean {
  if (!now || !t1 || !t2) return afterOrZero(t1, t2);
  const diff = logBucket(t1, now) - logBucket(t2, now);
  if (diff === 0) return uid1 < uid2;
  return diff < 0;
}

interface Ranked {
  pod: Obj;
  rank: number;
}

function created(pod: Obj): number {
  const t = pod['metadata']?.creationTimestamp;
  return t ? Date.parse(t) || 0 : 0;
}

/** True when `a` should be deleted before `b`. */
function less(a: Ranked, b: Ranked, now: number): boolean {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa['spec']?.nodeName ?? '';
  const nb = pb['spec']?.nodeName ?? '';
  if (na !== nb && (!na || !nb)) return !na;
  const oa = phaseOrdinal[pa['status']?.phase ?? ''] ?? 0;
  const ob = phaseOrdinal[pb['status']?.phase ?? ''] ?? 0;
  if (oa !== ob) return oa < ob;
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return !ra;
  const ca = deletionCost(pa);
  const cb = deletionCost(pb);
  if (ca !== cb) return ca < cb;
  if (a.rank !== b.rank) return a.rank > b.rank;
  const uida = pa['metadata']?.uid ?? '';
  const uidb = pb['metadata']?.uid ?? '';
  if (ra && rb) {
    const ta = podReadyTime(pa);
    const tb = podReadyTime(pb);
    if (ta !== tb) return compareTimes(ta, tb, now, uida, uidb);
  }
  const xa = maxContainerRestarts(pa);
  const xb = maxContainerRestarts(pb);
  if (xa !== xb) return xa > xb;
  const ka = created(pa);
  const kb = created(pb);
  if (ka !== kb) return compareTimes(ka, kb, now, uida, uidb);
  return false;
}

/**
 * The `count` pods of `pods` to delete first. `related` are the active pods
 * of the controller's siblings too (same owner), used for the per-node
 * rank; pass `pods` when there are none.
 */
export function podsToDelete(pods: readonly Obj[], related: readonly Obj[], count: number, nowMs: number): Obj[] {
  if (count >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = p['spec']?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranked: Ranked[] = pods.map((pod) => ({ pod, rank: onNode.get(pod['spec']?.nodeName ?? '') ?? 0 }));
  ranked.sort((a, b) => (less(a, b, nowMs) ? -1 : less(b, a, nowMs) ? 1 : 0));
  return ranked.slice(0, count).map((r) => r.pod);
}
