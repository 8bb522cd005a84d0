/**
 * StatefulSet status (upstream computeReplicaStatus, completeRollingUpdate,
 * inconsistentStatus): pods created, ready, available, and at the current
 * and update revisions; a rolling update completes when every replica is
 * updated and ready, making the update revision current.
 */
import { isApiError } from '../../api/errors.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { isPodAvailable, isPodReady } from '../common/pods.ts';
import { podRevision, replicasOf } from './identity.ts';

export interface SetStatus {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
}

/** Has the API server made the pod (it has a phase)? */
export const isCreated = (p: Obj): boolean => !!p['status']?.phase;
export const isTerminating = (p: Obj): boolean => !!p['metadata']?.deletionTimestamp;
export const isRunningAndReady = (p: Obj): boolean => p['status']?.phase === 'Running' && isPodReady(p);
export const isRunningAndAvailable = (p: Obj, minReady: number, now: number): boolean => isPodAvailable(p, minReady, now);
/** Not ready-and-available, or on its way out (upstream isUnavailable). */
export const isUnavailable = (p: Obj, minReady: number, now: number): boolean => !isRunningAndAvailable(p, minReady, now) || isTerminating(p);

/** Recounts the pod fields of `status` from the given pods. */
export function countPods(status: SetStatus, minReady: number, now: number, ...lists: (Obj | undefined)[][]): void {
  status.replicas = status.readyReplicas = status.availableReplicas = status.currentReplicas = status.updatedReplicas = 0;
  for (const list of lists)
    for (const p of list) {
      if (!p) continue;
      if (isCreated(p)) status.replicas++;
      if (isRunningAndReady(p)) {
        status.readyReplicas++;
        if (isRunningAndAvailable(p, minReady, now)) status.availableReplicas++;
      }
      if (isCreated(p) && !isTerminating(p)) {
        const rev = podRevision(p);
        if (rev === status.currentRevision) status.currentReplicas++;
        if (rev === status.updateRevision) status.updatedReplicas++;
      }
    }
}

/** A finished rolling update: the update revision becomes the current one. */
export function completeRollingUpdate(set: Obj, status: SetStatus): void {
  const want = replicasOf(set);
  if (set['spec']?.updateStrategy?.type === 'RollingUpdate' && status.updatedReplicas === want && status.readyReplicas === want && status.replicas === want) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
}

/** Does the stored status differ from `status` (so it must be written)? */
export function inconsistentStatus(set: Obj, status: SetStatus): boolean {
  const s: Obj = set['status'] ?? {};
  return (
    status.observedGeneration > (s['observedGeneration'] ?? 0) ||
    status.replicas !== (s['replicas'] ?? 0) ||
    status.currentReplicas !== (s['currentReplicas'] ?? 0) ||
    status.readyReplicas !== (s['readyReplicas'] ?? 0) ||
    status.updatedReplicas !== (s['updatedReplicas'] ?? 0) ||
    status.currentRevision !== (s['currentRevision'] ?? '') ||
    status.availableReplicas !== (s['availableReplicas'] ?? 0) ||
    status.updateRevision !== (s['updateRevision'] ?? '') ||
    status.collisionCount !== (s['collisionCount'] ?? 0)
  );
}

/** Writes `status` through the status subresource, re-reading the set on conflicts. */
export async function writeStatus(client: Client, set: Obj, status: SetStatus): Promise<void> {
  completeRollingUpdate(set, status);
  if (!inconsistentStatus(set, status)) return;
  let target = structuredClone(set);
  for (let attempt = 0; ; attempt++) {
    target['status'] = { ...(target['status'] ?? {}), ...status };
    try {
      await client.update(resources.statefulsets, target['metadata'].namespace, target, { subresource: 'status' });
      return;
    } catch (e) {
      if (!isApiError(e, 'Conflict') || attempt >= 5) throw e;
      target = await client.get(resources.statefulsets, set['metadata'].namespace, set['metadata'].name);
    }
  }
}
