/**
 * Pod predicates the workload controllers share, with upstream's meanings
 * (k8s.io/kubernetes/pkg/api/v1/pod and pkg/controller).
 */
import type { Obj } from '../../client/types.ts';

/** The pod's Ready condition, if reported. */
export function readyCondition(pod: Obj): Obj | undefined {
  const conds: Obj[] | undefined = pod['status']?.conditions;
  return conds?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Obj): boolean {
  return readyCondition(pod)?.status === 'True';
}

/**
 * Ready for at least `minReadySeconds` (by the Ready condition's
 * lastTransitionTime), as upstream's IsPodAvailable. `nowMs` is injected so
 * tests can use a fake clock.
 */
export function isPodAvailable(pod: Obj, minReadySeconds: number, nowMs: number): boolean {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 < nowMs;
}

/** Not finished and not being deleted: counts towards a controller's replicas. */
export function isPodActive(pod: Obj): boolean {
  const phase = pod['status']?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod['metadata']?.deletionTimestamp;
}

/** `namespace/name`: the key expectations track deletions by. */
export function podKey(pod: Obj): string {
  return `${pod['metadata'].namespace}/${pod['metadata'].name}`;
}

/** Time (ms) the pod became Ready, or 0 when it is not ready or the time is unknown. */
export function podReadyTime(pod: Obj): number {
  const c = readyCondition(pod);
  if (c?.status !== 'True' || !c.lastTransitionTime) return 0;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? 0 : t;
}

export function maxContainerRestarts(pod: Obj): number {
  let max = 0;
  for (const s of (pod['status']?.containerStatuses ?? []) as Obj[]) max = Math.max(max, s.restartCount ?? 0);
  return max;
}

/** `controller.kubernetes.io/pod-deletion-cost`, 0 when absent or not an int32. */
export function deletionCost(pod: Obj): number {
  const v = pod['metadata']?.annotations?.['controller.kubernetes.io/pod-deletion-cost'];
  if (v === undefined || !/^[-+]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}
