/**
 * Creating or deleting pods so a ReplicaSet owns `spec.replicas` of them
 * (upstream's manageReplicas): creations in slow-start batches, deletions
 * of the pods ranked first for deletion, and expectations recorded before
 * either so the next sync waits for the informer to catch up.
 */
import { isApiError } from '../../api/errors.ts';
import { fromLabelSelector } from '../../api/selectors/label.ts';
import type { Informer } from '../../client/informer.ts';
import type { Obj } from '../../client/types.ts';
import { controllerOf, newControllerRef } from '../common/controller-ref.ts';
import type { Expectations } from '../common/expectations.ts';
import { controlledBy, inNamespace } from '../common/informer-index.ts';
import { isNamespaceTerminating, type PodControl } from '../common/pod-control.ts';
import { podKey } from '../common/pods.ts';
import { podsToDelete } from '../common/rank-pods.ts';
import { slowStartBatch, slowStartInitialBatchSize } from '../common/slow-start.ts';

/** Most pods one sync creates or deletes (upstream's BurstReplicas). */
export const burstReplicas = 500;

export interface ManageDeps {
  podControl: PodControl;
  expectations: Expectations;
  pods: Informer;
  replicaSets: Informer;
  now(): number;
}

/** The ReplicaSet with its type fields, as events and owner references need them. */
export function typed(rs: Obj): Obj {
  return rs['kind'] ? rs : { apiVersion: 'apps/v1', kind: 'ReplicaSet', ...rs };
}

/**
 * Brings the number of `pods` (the active pods `rs` owns) to
 * `spec.replicas`. Throws the first creation or deletion error.
 */
export async function manageReplicas(deps: ManageDeps, key: string, rs: Obj, pods: readonly Obj[]): Promise<void> {
  const want: number = rs['spec']?.replicas ?? 1;
  const diff = pods.length - want;
  if (diff < 0) {
    const n = Math.min(-diff, burstReplicas);
    deps.expectations.expectCreations(key, n);
    const owner = typed(rs);
    const ref = newControllerRef(owner, 'apps/v1', 'ReplicaSet');
    const { successes, error } = await slowStartBatch(n, slowStartInitialBatchSize, async () => {
      try {
        await deps.podControl.createPod(rs['spec'].template, owner, ref);
      } catch (e) {
        // Every create would fail the same way while the namespace goes; not an error to retry.
        if (isNamespaceTerminating(e)) return;
        throw e;
      }
    });
    // Pods never attempted (or failed) will not be observed: stop waiting for them.
    for (let i = successes; i < n; i++) deps.expectations.creationObserved(key);
    if (error !== undefined) throw error;
    return;
  }
  if (diff > 0) {
    const n = Math.min(diff, burstReplicas);
    const victims = podsToDelete(pods, relatedPods(deps, rs), n, deps.now());
    deps.expectations.expectDeletions(key, victims.map(podKey));
    const owner = typed(rs);
    const failures: unknown[] = [];
    await Promise.all(
      victims.map(async (p) => {
        try {
          await deps.podControl.deletePod(p['metadata'].namespace, p['metadata'].name, owner);
        } catch (e) {
          deps.expectations.deletionObserved(key, podKey(p));
          if (!isApiError(e, 'NotFound')) failures.push(e);
        }
      }),
    );
    if (failures.length) throw failures[0];
  }
}

/**
 * Pods of every ReplicaSet that shares `rs`'s controller (a Deployment's
 * old and new sets): the per-node rank counts them, so scale-down prefers
 * nodes crowded with the same workload.
 */
function relatedPods(deps: ManageDeps, rs: Obj): Obj[] {
  const ref = controllerOf(rs);
  if (!ref) return [];
  const seen = new Set<string>();
  const out: Obj[] = [];
  const nsPods = inNamespace(deps.pods, rs['metadata'].namespace);
  for (const sibling of controlledBy(deps.replicaSets, ref.uid)) {
    if (sibling['metadata'].namespace !== rs['metadata'].namespace) continue;
    let sel;
    try {
      sel = fromLabelSelector(sibling['spec']?.selector);
    } catch {
      continue;
    }
    for (const p of nsPods) {
      const uid = p['metadata'].uid;
      if (seen.has(uid) || !sel.matches(p['metadata'].labels)) continue;
      seen.add(uid);
      out.push(p);
    }
  }
  return out;
}
