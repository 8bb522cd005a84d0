/**
 * Counting finished pods with the tracking finalizer (upstream
 * trackJobStatusAndRemoveFinalizers and flushUncountedAndRemoveFinalizers).
 * Each finished pod still holding the finalizer is first written into
 * `status.uncountedTerminatedPods`, then its finalizer is removed, then it
 * moves from the uncounted list into `succeeded`/`failed`. Whatever fails
 * in between, a pod is counted exactly once, and a pod deleted before it
 * was counted still is (its finalizer kept it around). Finally the terminal
 * condition is added once nothing is uncounted or terminating.
 */
import { isApiError } from '../../api/errors.ts';
import { resources, type Obj } from '../../client/types.ts';
import { errorText } from '../common/pod-control.ts';
import { ensureCondition, findCondition, newCondition } from './conditions.ts';
import { completionIndex, formatIndexes, hasIndex, totalIndexes, withIndexes } from './indexes.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { hasTrackingFinalizer, isIndexed, trackingFinalizer } from './pod-template.ts';
import { isPodFailed, type JobDeps, type JobSync } from './sync-context.ts';

/** Upstream MaxUncountedPods: bounds the status size and the work of one sync. */
export const maxUncountedPods = 500;

function uncounted(job: Obj): { succeeded: string[]; failed: string[] } {
  const st: Obj = (job['status'] ??= {});
  const u: Obj = (st['uncountedTerminatedPods'] ??= {});
  return { succeeded: (u['succeeded'] ??= []), failed: (u['failed'] ??= []) };
}

/** Drops empty uncounted lists, as Go omits them. */
function tidyUncounted(job: Obj): void {
  const u: Obj = job['status'].uncountedTerminatedPods;
  if (!u['succeeded']?.length) delete u['succeeded'];
  if (!u['failed']?.length) delete u['failed'];
}

/** Moves uncounted pods that no longer hold the finalizer into the counters; true if anything moved. */
export function countReleased(job: Obj, withFinalizer: Set<string>): boolean {
  const u = uncounted(job);
  const st: Obj = job['status'];
  let changed = false;
  const keepS = u.succeeded.filter((uid) => withFinalizer.has(uid));
  if (keepS.length !== u.succeeded.length) {
    st['succeeded'] = (st['succeeded'] ?? 0) + u.succeeded.length - keepS.length;
    u.succeeded.splice(0, u.succeeded.length, ...keepS);
    changed = true;
  }
  const keepF = u.failed.filter((uid) => withFinalizer.has(uid));
  if (keepF.length !== u.failed.length) {
    st['failed'] = (st['failed'] ?? 0) + u.failed.length - keepF.length;
    u.failed.splice(0, u.failed.length, ...keepF);
    changed = true;
  }
  return changed;
}

function canRemoveFinalizer(s: JobSync, pod: Obj, consideredFailed: boolean): boolean {
  return !!s.job['metadata'].deletionTimestamp || !!s.finished || pod['status']?.phase === 'Succeeded' || consideredFailed;
}

async function writeStatus(deps: JobDeps, s: JobSync): Promise<void> {
  tidyUncounted(s.job);
  const stored = await deps.client.update(resources.jobs, s.job['metadata'].namespace, s.job, { subresource: 'status' });
  // Keep our status (with its in-memory lists); take the new resourceVersion.
  s.job['metadata'] = { ...s.job['metadata'], resourceVersion: stored['metadata'].resourceVersion };
  deps.written.set(s.key, Number(stored['metadata'].resourceVersion));
  uncounted(s.job);
}

export async function trackStatusAndRemoveFinalizers(deps: JobDeps, s: JobSync, needsFlushIn: boolean): Promise<void> {
  let needsFlush = needsFlushIn;
  const job = s.job;
  const indexed = isIndexed(job);
  const completions: number = job['spec']?.completions ?? 0;
  const u = uncounted(job);
  const pods = indexed ? [...s.pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : s.pods;
  const withFinalizer = new Set<string>();
  for (const p of pods) if (hasTrackingFinalizer(p) && !s.expectedRmFinalizers.has(p['metadata'].uid)) withFinalizer.add(p['metadata'].uid);
  if (countReleased(job, withFinalizer)) needsFlush = true;

  const toRelease: Obj[] = [];
  const newIndexes: number[] = [];
  let reachedMax = false;
  for (const pod of pods) {
    const uid: string = pod['metadata'].uid;
    if (!hasTrackingFinalizer(pod) || s.expectedRmFinalizers.has(uid)) continue;
    const failed = isPodFailed(pod, job);
    if (!canRemoveFinalizer(s, pod, failed)) continue;
    toRelease.push(pod);
    const ix = completionIndex(pod);
    if (pod['status']?.phase === 'Succeeded' && !s.uncountedFailed.has(uid)) {
      if (indexed) {
        if (ix >= 0 && ix < completions && !hasIndex(s.prevSucceededIndexes ?? [], ix)) {
          newIndexes.push(ix);
          needsFlush = true;
        }
      } else if (!s.uncountedSucceeded.has(uid)) {
        u.succeeded.push(uid);
        needsFlush = true;
      }
    } else if (failed || (s.finished && s.finished.type !== 'SuccessCriteriaMet')) {
      // A Job that is failing counts every pod it stops as failed.
      if (!s.uncountedFailed.has(uid) && (!indexed || (ix >= 0 && ix < completions)) && matchPodFailurePolicy(job['spec']?.podFailurePolicy, pod).countFailed) {
        u.failed.push(uid);
        needsFlush = true;
      }
    }
    if (newIndexes.length + u.succeeded.length + u.failed.length >= maxUncountedPods) {
      reachedMax = true;
      break;
    }
  }
  if (indexed) {
    s.succeededIndexes = withIndexes(s.succeededIndexes ?? [], newIndexes);
    const str = formatIndexes(s.succeededIndexes);
    if (str !== (job['status'].completedIndexes ?? '')) needsFlush = true;
    job['status'].succeeded = totalIndexes(s.succeededIndexes);
    job['status'].completedIndexes = str;
  }
  if (s.finished?.type === 'FailureTarget') {
    // Record the interim condition before any finalizer goes, so the outcome survives a crash.
    job['status'].conditions = [...(job['status'].conditions ?? []), s.finished];
    needsFlush = true;
    s.finished = newCondition('Failed', 'True', s.finished.reason ?? '', s.finished.message ?? '', deps.now());
  }
  if (s.finished?.type === 'SuccessCriteriaMet') {
    if (findCondition(job, 'SuccessCriteriaMet')?.status !== 'True') {
      job['status'].conditions = [...(job['status'].conditions ?? []), s.finished];
      needsFlush = true;
    }
    s.finished = newCondition('Complete', 'True', s.finished.reason ?? '', s.finished.message ?? '', deps.now());
  }

  // Flush the uncounted pods, then release them, then count them.
  if (needsFlush) {
    await writeStatus(deps, s);
    deps.backoff.set(s.key, s.newBackoff);
    needsFlush = false;
  }
  let releaseError: unknown;
  if (toRelease.length) {
    deps.finalizers.expectRemoved(s.key, toRelease.map((p) => p['metadata'].uid));
    const results = await Promise.allSettled(
      toRelease.map(async (p) => {
        try {
          await deps.client.patch(resources.pods, p['metadata'].namespace, p['metadata'].name, 'strategic', { metadata: { [`$deleteFromPrimitiveList/finalizers`]: [trackingFinalizer] } });
        } catch (e) {
          deps.finalizers.observed(s.key, p['metadata'].uid);
          if (!isApiError(e, 'NotFound')) throw e;
        }
        withFinalizer.delete(p['metadata'].uid);
      }),
    );
    releaseError = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
  }
  if (countReleased(job, withFinalizer)) needsFlush = true;
  if (releaseError !== undefined) {
    if (needsFlush) await writeStatus(deps, s);
    throw new Error(`removing tracking finalizers: ${errorText(releaseError)}`, { cause: releaseError });
  }
  const finished = !reachedMax && enactFinished(deps, s);
  if (finished) needsFlush = true;
  if (needsFlush) {
    await writeStatus(deps, s);
    if (finished) recordFinished(deps, s);
  }
}

/** Adds the terminal condition once nothing is uncounted or still terminating. */
function enactFinished(deps: JobDeps, s: JobSync): boolean {
  const f = s.finished;
  if (!f) return false;
  const u = uncounted(s.job);
  if (u.succeeded.length + u.failed.length > 0) return false;
  if (s.terminating > 0) return false;
  ensureCondition(s.job, f.type, f.status, f.reason ?? '', f.message ?? '', deps.now());
  if (f.type === 'Complete') s.job['status'].completionTime = findCondition(s.job, 'Complete')!.lastTransitionTime;
  return true;
}

function recordFinished(deps: JobDeps, s: JobSync): void {
  const f = s.finished!;
  const job = s.job;
  if (f.type === 'Complete') {
    const completions = job['spec']?.completions;
    if (completions !== undefined && completions !== null && (job['status'].succeeded ?? 0) > completions) {
      deps.recorder.event(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
    }
    deps.recorder.event(job, 'Normal', 'Completed', 'Job completed');
  } else deps.recorder.event(job, 'Warning', f.reason ?? 'Failed', f.message ?? '');
}
