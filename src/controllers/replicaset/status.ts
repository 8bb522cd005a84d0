/**
 * A ReplicaSet's status, as upstream's calculateStatus and
 * updateReplicaSetStatus (pkg/controller/replicaset/replica_set_utils.go):
 * counts over the pods it owns, a ReplicaFailure condition while creating
 * or deleting pods fails, and observedGeneration.
 */
import { fromLabelSelector } from '../../api/selectors/label.ts';
import { isApiError } from '../../api/errors.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { isPodAvailable, isPodReady } from '../common/pods.ts';
import { errorText } from '../common/pod-control.ts';

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration?: number;
  conditions?: Obj[];
}

/** RFC 3339 at second precision, as Kubernetes serialises metav1.Time. */
export function timeString(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The new status for `rs` owning `pods` (active ones), given the error of
 * this sync's pod creations or deletions, if any.
 */
export function calculateStatus(rs: Obj, pods: readonly Obj[], manageError: unknown, nowMs: number): ReplicaSetStatus {
  const spec = rs['spec'] ?? {};
  const templateLabels = fromLabelSelector({ matchLabels: spec.template?.metadata?.labels ?? {} });
  const minReady = spec.minReadySeconds ?? 0;
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (templateLabels.matches(p['metadata']?.labels)) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, nowMs)) available++;
    }
  }
  const old: Obj = rs['status'] ?? {};
  let conditions: Obj[] = [...((old['conditions'] as Obj[] | undefined) ?? [])];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageError !== undefined && !failure) {
    const diff = pods.length - (spec.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    conditions.push({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: timeString(nowMs), reason, message: errorText(manageError) });
  } else if (manageError === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  const status: ReplicaSetStatus = { replicas: pods.length, fullyLabeledReplicas: fully, readyReplicas: ready, availableReplicas: available };
  if (old['observedGeneration'] !== undefined) status.observedGeneration = old['observedGeneration'];
  if (conditions.length) status.conditions = conditions;
  return status;
}

function sameStatus(rs: Obj, s: ReplicaSetStatus): boolean {
  const old: Obj = rs['status'] ?? {};
  return (
    (old['replicas'] ?? 0) === s.replicas &&
    (old['fullyLabeledReplicas'] ?? 0) === s.fullyLabeledReplicas &&
    (old['readyReplicas'] ?? 0) === s.readyReplicas &&
    (old['availableReplicas'] ?? 0) === s.availableReplicas &&
    (rs['metadata']?.generation ?? 0) === (old['observedGeneration'] ?? 0) &&
    JSON.stringify(old['conditions'] ?? []) === JSON.stringify(s.conditions ?? [])
  );
}

/**
 * Writes the status through the status subresource unless nothing changed;
 * on a failed write it re-reads once and tries again (upstream's one
 * retry). Returns the ReplicaSet as stored.
 */
export async function updateStatus(client: Client, rs: Obj, status: ReplicaSetStatus): Promise<Obj> {
  if (sameStatus(rs, status)) return rs;
  let current = rs;
  for (let attempt = 0; ; attempt++) {
    const next = { ...current, status: { ...status, observedGeneration: current['metadata'].generation } };
    try {
      return await client.update(resources.replicasets, current['metadata'].namespace, next, { subresource: 'status' });
    } catch (e) {
      if (attempt >= 1 || isApiError(e, 'NotFound')) throw e;
      current = await client.get(resources.replicasets, rs['metadata'].namespace, rs['metadata'].name);
    }
  }
}
