/**
 * Job conditions (upstream batch/v1 semantics), also read by the CronJob
 * and TTL-after-finished controllers. A Job is finished once it has a True
 * `Complete` or `Failed` condition. Since 1.31 the controller first records
 * an interim `SuccessCriteriaMet` or `FailureTarget` condition and adds the
 * terminal one only after the Job's remaining pods have terminated.
 */
import type { Obj } from '../../client/types.ts';

export interface JobCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** RFC 3339 at whole seconds, as metav1.Time serialises. */
export function timeString(msSinceEpoch: number): string {
  return new Date(Math.floor(msSinceEpoch / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function conditions(job: Obj): JobCondition[] {
  return job['status']?.conditions ?? [];
}

export function findCondition(job: Obj, type: string): JobCondition | undefined {
  return conditions(job).find((c) => c.type === type);
}

function isTrue(job: Obj, type: string): boolean {
  return findCondition(job, type)?.status === 'True';
}

/** `Complete` or `Failed`, when the Job has finished. */
export function finishedType(job: Obj): 'Complete' | 'Failed' | undefined {
  for (const c of conditions(job)) if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  return undefined;
}

export const isJobFinished = (job: Obj): boolean => finishedType(job) !== undefined;
export const isJobSucceeded = (job: Obj): boolean => isTrue(job, 'Complete');

/** When the Job finished: its terminal condition's lastTransitionTime (ms). */
export function finishTimeOf(job: Obj): number | undefined {
  for (const c of conditions(job)) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True' && c.lastTransitionTime) {
      const t = Date.parse(c.lastTransitionTime);
      return Number.isNaN(t) ? undefined : t;
    }
  }
  return undefined;
}

export function newCondition(type: string, status: JobCondition['status'], reason: string, message: string, now: number): JobCondition {
  const t = timeString(now);
  return { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message };
}

/**
 * Sets a condition's status, reason and message, or appends it (never a
 * new False one: going from nothing to False says nothing). Returns whether
 * the list changed.
 */
export function ensureCondition(job: Obj, type: string, status: JobCondition['status'], reason: string, message: string, now: number): boolean {
  const st: Obj = (job['status'] ??= {});
  const list: JobCondition[] = (st['conditions'] ??= []);
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i]!;
    if (c.status === status && (c.reason ?? '') === reason && (c.message ?? '') === message) return false;
    list[i] = newCondition(type, status, reason, message, now);
    return true;
  }
  if (status === 'False') return false;
  list.push(newCondition(type, status, reason, message, now));
  return true;
}
