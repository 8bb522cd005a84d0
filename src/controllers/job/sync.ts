/**
 * One level-based sync of a Job (upstream syncJob): count what its pods did,
 * decide whether it is finishing (backoff limit, deadline, completions),
 * stop its pods if so, otherwise keep the right number running, then write
 * the status and release counted pods (tracking.ts).
 */
import { isApiError } from '../../api/errors.ts';
import { resources, type Obj } from '../../client/types.ts';
import type { ReconcileResult } from '../../client/workqueue.ts';
import { isPodActive, isPodReady } from '../common/pods.ts';
import { nextBackoffRecord } from './backoff.ts';
import { ensureCondition, findCondition, newCondition, timeString } from './conditions.ts';
import { completionIndex, succeededIndexes, totalIndexes } from './indexes.ts';
import { manageJob } from './manage.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { hasTrackingFinalizer, isIndexed } from './pod-template.ts';
import { countTerminating, isPodFailed, isSuspended, type JobDeps, type JobSync } from './sync-context.ts';
import { trackStatusAndRemoveFinalizers } from './tracking.ts';

/** Finished pods holding the finalizer, not yet uncounted or being released (upstream getNewFinishedPods). */
function newFinishedPods(s: JobSync): { succeeded: Obj[]; failed: Obj[] } {
  const completions: number = s.job['spec']?.completions ?? 0;
  const valid = (p: Obj, uncounted: Set<string>) => {
    const uid = p['metadata'].uid;
    if (!hasTrackingFinalizer(p) || uncounted.has(uid) || s.expectedRmFinalizers.has(uid)) return false;
    if (!isIndexed(s.job)) return true;
    const ix = completionIndex(p);
    return ix >= 0 && ix < completions;
  };
  return {
    succeeded: s.pods.filter((p) => valid(p, s.uncountedSucceeded) && p['status']?.phase === 'Succeeded'),
    failed: s.pods.filter((p) => valid(p, s.uncountedFailed) && isPodFailed(p, s.job)),
  };
}

/** With restartPolicy OnFailure, container restarts count against the backoff limit. */
function pastBackoffLimitOnFailure(job: Obj, pods: readonly Obj[]): boolean {
  if (job['spec']?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    const phase = p['status']?.phase;
    if (phase !== 'Running' && phase !== 'Pending') continue;
    for (const c of [...(p['status']?.initContainerStatuses ?? []), ...(p['status']?.containerStatuses ?? [])] as Obj[]) restarts += c['restartCount'] ?? 0;
  }
  const limit: number = job['spec']?.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

export async function syncJob(deps: JobDeps, key: string, job: Obj, pods: Obj[], satisfied: boolean): Promise<ReconcileResult | void> {
  const st: Obj = (job['status'] ??= {});
  const u: Obj = (st['uncountedTerminatedPods'] ??= {});
  const now = deps.now();
  const activePods = pods.filter(isPodActive);
  const s: JobSync = {
    key,
    job,
    pods,
    activePods,
    ready: activePods.filter(isPodReady).length,
    terminating: countTerminating(pods),
    uncountedSucceeded: new Set(u['succeeded'] ?? []),
    uncountedFailed: new Set(u['failed'] ?? []),
    expectedRmFinalizers: deps.finalizers.expected(key),
    succeeded: 0,
    failed: 0,
    newBackoff: { failuresAfterLastSuccess: 0 },
  };
  let active = activePods.length;
  const fresh = newFinishedPods(s);
  s.succeeded = (st['succeeded'] ?? 0) + fresh.succeeded.length + s.uncountedSucceeded.size;
  const policy: Obj | undefined = job['spec']?.podFailurePolicy ?? undefined;
  const counted = fresh.failed.filter((p) => matchPodFailurePolicy(policy, p).countFailed);
  s.failed = (st['failed'] ?? 0) + counted.length + s.uncountedFailed.size;
  const startTimeBefore = st['startTime'];
  if (!st['startTime'] && !isSuspended(job)) st['startTime'] = timeString(now);
  s.newBackoff = nextBackoffRecord(deps.backoff.get(key), fresh.succeeded, fresh.failed);

  let requeueAfterMs: number | undefined;
  const requeue = (ms: number) => (requeueAfterMs = Math.max(0, Math.min(requeueAfterMs ?? Infinity, ms)));
  const spec: Obj = job['spec'] ?? {};
  const successMet = findCondition(job, 'SuccessCriteriaMet');
  if (successMet?.status === 'True') s.finished = successMet;
  if (!s.finished) {
    const target = findCondition(job, 'FailureTarget');
    if (target?.status === 'True') s.finished = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
    else if (policy) {
      // A FailJob rule ends the Job at once; its message is recorded before any finalizer goes.
      for (const p of pods) {
        const msg = isPodFailed(p, job) ? matchPodFailurePolicy(policy, p).failJobMessage : undefined;
        if (msg !== undefined) {
          s.finished = newCondition('FailureTarget', 'True', 'PodFailurePolicy', msg, now);
          break;
        }
      }
    }
  }
  if (!s.finished) {
    const deadlineMs = spec['activeDeadlineSeconds'] !== undefined && spec['activeDeadlineSeconds'] !== null ? spec['activeDeadlineSeconds'] * 1000 : undefined;
    const elapsed = st['startTime'] ? now - Date.parse(st['startTime']) : 0;
    if (s.failed > (spec['backoffLimit'] ?? 6) || pastBackoffLimitOnFailure(job, pods)) {
      s.finished = newCondition('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
    } else if (deadlineMs !== undefined && st['startTime'] && !isSuspended(job) && elapsed >= deadlineMs) {
      s.finished = newCondition('FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
    } else if (deadlineMs !== undefined && !isSuspended(job)) requeue(deadlineMs - elapsed);
  }
  if (isIndexed(job)) {
    const idx = succeededIndexes(job, pods, (p) => hasTrackingFinalizer(p) && !s.expectedRmFinalizers.has(p['metadata'].uid));
    s.prevSucceededIndexes = idx.prev;
    s.succeededIndexes = idx.now;
    s.succeeded = totalIndexes(idx.now);
  }

  let manageError: unknown;
  let suspendChanged = false;
  if (s.finished) {
    // Stop everything still running; the Job is declared finished once they are gone.
    const r = await manageStop(deps, s);
    if (r.deleted !== active || !satisfied) s.finished = undefined;
    active -= r.deleted;
    s.terminating += r.deleted;
    s.ready -= r.deletedReady;
    manageError = r.error;
  } else {
    let managed = false;
    if (satisfied && !job['metadata'].deletionTimestamp) {
      const r = await manageJob(deps, s);
      active = r.active;
      manageError = r.error;
      if (r.requeueAfterMs !== undefined) requeue(r.requeueAfterMs);
      managed = true;
    }
    const completions = spec['completions'];
    const complete = completions === undefined || completions === null ? s.succeeded > 0 && active === 0 : s.succeeded >= completions && active === 0;
    if (complete) {
      s.finished = newCondition('SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
    } else if (managed) {
      if (isSuspended(job)) {
        if (ensureCondition(job, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)) {
          suspendChanged = true;
          deps.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
        }
      } else if (ensureCondition(job, 'Suspended', 'False', 'JobResumed', 'Job resumed', now)) {
        suspendChanged = true;
        deps.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
        // activeDeadlineSeconds counts continuous activity: the clock restarts on resume.
        st['startTime'] = timeString(now);
      }
    }
  }

  const needsUpdate =
    suspendChanged || active !== (st['active'] ?? 0) || s.ready !== st['ready'] || s.terminating !== st['terminating'] || st['startTime'] !== startTimeBefore;
  st['active'] = active;
  st['ready'] = s.ready;
  st['terminating'] = s.terminating;
  await trackStatusAndRemoveFinalizers(deps, s, needsUpdate);
  if (manageError !== undefined) throw manageError;
  return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
}

/** Deletes the active pods of a finishing Job, keeping their finalizers (tracking counts and releases them). */
async function manageStop(deps: JobDeps, s: JobSync): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
  let deleted = 0;
  let deletedReady = 0;
  let error: unknown;
  await Promise.all(
    s.activePods.map(async (p) => {
      const m = p['metadata'];
      try {
        await deps.client.delete(resources.pods, m.namespace, m.name);
      } catch (e) {
        if (!isApiError(e, 'NotFound')) {
          error ??= e;
          return;
        }
      }
      deleted++;
      if (isPodReady(p)) deletedReady++;
    }),
  );
  return error === undefined ? { deleted, deletedReady } : { deleted, deletedReady, error };
}
