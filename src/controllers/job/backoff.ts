/**
 * The delay before a Job replaces failed pods (upstream backoff_utils.go):
 * 10 s after the first failure since the last success, doubling with each
 * further one, capped at 6 minutes, counted from the last failure's finish
 * time. The record lives in memory per Job, as upstream's backoff store.
 */
import type { Obj } from '../../client/types.ts';

/** Upstream DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
export const defaultBackoffMs = 10_000;
export const maxBackoffMs = 360_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  /** When the last counted failure finished (ms), if any. */
  lastFailureTime?: number;
}

const ms = (t: unknown): number | undefined => {
  if (typeof t !== 'string' || !t) return undefined;
  const v = Date.parse(t);
  return Number.isNaN(v) ? undefined : v;
};

/**
 * When a pod finished: the latest container finish (if all containers
 * terminated), else when Ready turned False, else its deletion time less
 * the grace period, else its creation time.
 */
export function finishTime(pod: Obj): number {
  const statuses: Obj[] = pod['status']?.containerStatuses ?? [];
  let latest: number | undefined;
  let allTerminated = statuses.length > 0;
  for (const s of statuses) {
    const t = ms(s['state']?.terminated?.finishedAt);
    if (t === undefined) {
      allTerminated = false;
      break;
    }
    latest = latest === undefined ? t : Math.max(latest, t);
  }
  if (allTerminated && latest !== undefined) return latest;
  const ready = ((pod['status']?.conditions ?? []) as Obj[]).find((c) => c['type'] === 'Ready');
  const readyFalse = ready?.['status'] === 'False' ? ms(ready['lastTransitionTime']) : undefined;
  if (readyFalse !== undefined) return readyFalse;
  const deleted = ms(pod['metadata']?.deletionTimestamp);
  if (deleted !== undefined) return deleted - (pod['metadata']?.deletionGracePeriodSeconds ?? 0) * 1000;
  return ms(pod['metadata']?.creationTimestamp) ?? 0;
}

/** The record after newly seen finished pods: a success resets it, failures after the last success add up. */
export function nextBackoffRecord(prev: BackoffRecord | undefined, newSucceeded: readonly Obj[], newFailed: readonly Obj[]): BackoffRecord {
  const rec: BackoffRecord = { failuresAfterLastSuccess: prev?.failuresAfterLastSuccess ?? 0, lastFailureTime: prev?.lastFailureTime };
  const failed = newFailed.map(finishTime).sort((a, b) => a - b);
  if (!newSucceeded.length) {
    if (!failed.length) return rec;
    return { failuresAfterLastSuccess: rec.failuresAfterLastSuccess + failed.length, lastFailureTime: failed[failed.length - 1] };
  }
  const lastSuccess = Math.max(...newSucceeded.map(finishTime));
  const after = failed.filter((t) => t > lastSuccess);
  return after.length ? { failuresAfterLastSuccess: after.length, lastFailureTime: after[after.length - 1] } : { failuresAfterLastSuccess: 0 };
}

/** How long pod creation must still wait at `now` (0 when it may go ahead). */
export function remainingBackoff(rec: BackoffRecord, now: number, base = defaultBackoffMs, max = maxBackoffMs): number {
  if (rec.failuresAfterLastSuccess === 0 || rec.lastFailureTime === undefined) return 0;
  let delay = base;
  for (let i = 1; i < rec.failuresAfterLastSuccess; i++) {
    delay *= 2;
    if (delay >= max) {
      delay = max;
      break;
    }
  }
  const elapsed = now - rec.lastFailureTime;
  return delay < elapsed ? 0 : delay - elapsed;
}
