/**
 * Keeping the right number of Job pods running (upstream manageJob):
 * `min(parallelism, completions - succeeded)` active pods (or parallelism
 * until the first success, for work-queue Jobs without completions). A
 * suspended Job has none. New pods wait out the failure backoff (10 s
 * doubling to 6 min). One sync either deletes or creates, never both.
 */
import { isApiError } from '../../api/errors.ts';
import { resources, type Obj } from '../../client/types.ts';
import { newControllerRef } from '../common/controller-ref.ts';
import { errorText, isNamespaceTerminating, podFromTemplate } from '../common/pod-control.ts';
import { isPodReady, podKey } from '../common/pods.ts';
import { podsToDelete } from '../common/rank-pods.ts';
import { slowStartBatch, slowStartInitialBatchSize } from '../common/slow-start.ts';
import { remainingBackoff } from './backoff.ts';
import { duplicatedIndexPods, firstPendingIndexes } from './indexes.ts';
import { hasTrackingFinalizer, indexedPodTemplate, isIndexed, jobPodTemplate, trackingFinalizer } from './pod-template.ts';
import { isSuspended, onlyReplaceFailedPods, type JobDeps, type JobSync } from './sync-context.ts';

/** Upstream MaxPodCreateDeletePerSync. */
export const maxPodCreateDeletePerSync = 500;

export interface ManageResult {
  active: number;
  requeueAfterMs?: number;
  error?: unknown;
}

/** Active pods to remove: duplicated or invalid indexes first, then the least advanced (upstream activePodsForRemoval). */
export function activePodsForRemoval(job: Obj, pods: readonly Obj[], rmAtLeast: number, now: number): Obj[] {
  let rm: Obj[] = [];
  let left: readonly Obj[] = pods;
  if (isIndexed(job)) {
    const d = duplicatedIndexPods(pods, job['spec']?.completions ?? 0);
    rm = d.remove;
    left = d.keep;
  }
  if (rm.length < rmAtLeast) rm = [...rm, ...podsToDelete(left, left, rmAtLeast - rm.length, now)];
  return rm;
}

/** Deletes pods, removing the tracking finalizer first (they are not to be counted); returns how many went and how many of those were ready. */
async function deleteJobPods(deps: JobDeps, s: JobSync, pods: readonly Obj[]): Promise<{ removed: number; removedReady: number; error?: unknown }> {
  let removed = 0;
  let removedReady = 0;
  let error: unknown;
  await Promise.all(
    pods.map(async (p) => {
      const m = p['metadata'];
      try {
        if (hasTrackingFinalizer(p)) await deps.client.patch(resources.pods, m.namespace, m.name, 'strategic', { metadata: { [`$deleteFromPrimitiveList/finalizers`]: [trackingFinalizer] } });
        await deps.client.delete(resources.pods, m.namespace, m.name);
        deps.recorder.event(s.job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${m.name}`);
        removed++;
        if (isPodReady(p)) removedReady++;
      } catch (e) {
        deps.deletions.deletionObserved(s.key, podKey(p));
        if (isApiError(e, 'NotFound')) {
          removed++;
          return;
        }
        deps.recorder.event(s.job, 'Warning', 'FailedDelete', `Error deleting: ${errorText(e)}`);
        error ??= e;
      }
    }),
  );
  return error === undefined ? { removed, removedReady } : { removed, removedReady, error };
}

async function createPod(deps: JobDeps, job: Obj, template: Obj, generateName?: string): Promise<void> {
  const pod = podFromTemplate(template, job, newControllerRef(job, 'batch/v1', 'Job'));
  if (generateName) pod['metadata'].generateName = generateName;
  try {
    const created = await deps.client.create(resources.pods, job['metadata'].namespace, pod);
    deps.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created['metadata'].name}`);
  } catch (e) {
    if (!isNamespaceTerminating(e)) deps.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${errorText(e)}`);
    throw e;
  }
}

export async function manageJob(deps: JobDeps, s: JobSync): Promise<ManageResult> {
  const job = s.job;
  let active = s.activePods.length;
  const now = deps.now();
  const removeAndAdjust = async (pods: Obj[]): Promise<ManageResult> => {
    deps.deletions.expectDeletions(s.key, pods.map(podKey));
    const r = await deleteJobPods(deps, s, pods);
    active -= r.removed;
    s.terminating += r.removed;
    s.ready -= r.removedReady;
    return r.error === undefined ? { active } : { active, error: r.error };
  };
  if (isSuspended(job)) return removeAndAdjust(activePodsForRemoval(job, s.activePods, active, now));

  const parallelism: number = job['spec']?.parallelism ?? 1;
  const completions: number | undefined = job['spec']?.completions ?? undefined;
  let want: number;
  if (completions === undefined) want = s.succeeded > 0 ? active : parallelism;
  else want = Math.max(0, Math.min(completions - s.succeeded, parallelism));

  const extra = activePodsForRemoval(job, s.activePods, Math.max(active - want, 0), now).slice(0, maxPodCreateDeletePerSync);
  if (extra.length) return removeAndAdjust(extra);

  const terminating = onlyReplaceFailedPods(job) ? s.terminating : 0;
  let diff = want - terminating - active;
  if (diff <= 0) return { active };
  const wait = remainingBackoff(s.newBackoff, now);
  // Upstream reports 0 active while waiting; the pods that are running are still active, so say so.
  if (wait > 0) return { active, requeueAfterMs: wait };
  diff = Math.min(diff, maxPodCreateDeletePerSync);
  let indexes: number[] = [];
  if (isIndexed(job)) {
    indexes = firstPendingIndexes(s.succeededIndexes ?? [], s.activePods, diff, completions ?? 0);
    diff = indexes.length;
  }
  deps.creations.expectCreations(s.key, diff);
  active += diff;
  const base = jobPodTemplate(job);
  let next = 0;
  const { error } = await slowStartBatch(diff, slowStartInitialBatchSize, async () => {
    const i = next++;
    try {
      if (isIndexed(job)) {
        const { template, generateName } = indexedPodTemplate(job, base, indexes[i]!);
        await createPod(deps, job, template, generateName);
      } else await createPod(deps, job, base);
    } catch (e) {
      deps.creations.creationObserved(s.key);
      active--;
      throw e;
    }
  });
  // Creations never attempted after a failing batch are not expected either.
  for (let i = next; i < diff; i++) {
    deps.creations.creationObserved(s.key);
    active--;
  }
  if (error !== undefined && isNamespaceTerminating(error)) return { active };
  return error === undefined ? { active } : { active, error };
}
