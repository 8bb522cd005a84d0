/**
 * Deployment status and conditions, as upstream (deployment util,
 * sync.go calculateStatus, progress.go): counters summed over the
 * ReplicaSets, the Available condition against maxUnavailable, and the
 * Progressing condition's tests (complete, progressing, timed out).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Obj } from '../../client/types.ts';
import { timeString } from '../replicaset/status.ts';
import { desired, maxUnavailable } from './fenceposts.ts';
import { specReplicas, statusSum } from './replica-sets.ts';

export const reasons = {
  replicaSetUpdated: 'ReplicaSetUpdated',
  failedRSCreate: 'ReplicaSetCreateError',
  newReplicaSet: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export function newCondition(type: string, status: Condition['status'], reason: string, message: string, nowMs: number): Condition {
  const t = timeString(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition(status: Obj | undefined, type: string): Condition | undefined {
  return (status?.['conditions'] as Condition[] | undefined)?.find((c) => c.type === type);
}

/**
 * Adds or replaces a condition in `status` (a copy the caller owns). The
 * same status and reason is left alone; the same status keeps its
 * lastTransitionTime (upstream's SetDeploymentCondition).
 */
export function setCondition(status: Obj, cond: Condition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  status['conditions'] = [...((status['conditions'] as Condition[] | undefined) ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: Obj, type: string): void {
  const conds = (status['conditions'] as Condition[] | undefined)?.filter((c) => c.type !== type);
  if (conds?.length) status['conditions'] = conds;
  else delete status['conditions'];
}

/** progressDeadlineSeconds set and not MaxInt32 (which upstream treats as "no deadline"). */
export function hasProgressDeadline(d: Obj): boolean {
  const p = d['spec']?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== 2147483647;
}

/**
 * The status the ReplicaSets imply (upstream's calculateStatus), keeping
 * the Deployment's conditions and collisionCount. Zero counters are left
 * out, as Go's omitempty leaves them out.
 */
export function calculateStatus(all: readonly Obj[], newRS: Obj | undefined, d: Obj, nowMs: number): Obj {
  const available = statusSum(all, 'availableReplicas');
  const unavailable = Math.max(0, specReplicas(all) - available);
  const counters: [string, number][] = [
    ['observedGeneration', d['metadata'].generation ?? 0],
    ['replicas', statusSum(all, 'replicas')],
    ['updatedReplicas', statusSum([newRS], 'replicas')],
    ['readyReplicas', statusSum(all, 'readyReplicas')],
    ['availableReplicas', available],
    ['unavailableReplicas', unavailable],
  ];
  const status: Obj = {};
  for (const [k, v] of counters) if (v) status[k] = v;
  const conds = d['status']?.conditions as Condition[] | undefined;
  if (conds?.length) status['conditions'] = conds.map((c) => ({ ...c }));
  if (d['status']?.collisionCount !== undefined) status['collisionCount'] = d['status'].collisionCount;
  if (available >= desired(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', reasons.minimumReplicasAvailable, 'Deployment has minimum availability.', nowMs));
  } else {
    setCondition(status, newCondition('Available', 'False', reasons.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', nowMs));
  }
  return status;
}

const n = (s: Obj | undefined, k: string): number => s?.[k] ?? 0;

/** All replicas updated and available, and the latest spec observed (upstream's DeploymentComplete). */
export function deploymentComplete(d: Obj, status: Obj | undefined): boolean {
  const want = desired(d);
  return n(status, 'updatedReplicas') === want && n(status, 'replicas') === want && n(status, 'availableReplicas') === want && n(status, 'observedGeneration') >= (d['metadata'].generation ?? 0);
}

/** Any sign of progress since the stored status (upstream's DeploymentProgressing). */
export function deploymentProgressing(d: Obj, status: Obj): boolean {
  const old = d['status'];
  const oldOld = n(old, 'replicas') - n(old, 'updatedReplicas');
  const newOld = n(status, 'replicas') - n(status, 'updatedReplicas');
  return (
    n(status, 'updatedReplicas') > n(old, 'updatedReplicas') ||
    newOld < oldOld ||
    n(status, 'readyReplicas') > n(old, 'readyReplicas') ||
    n(status, 'availableReplicas') > n(old, 'availableReplicas')
  );
}

/** The Progressing condition has not moved for progressDeadlineSeconds (upstream's DeploymentTimedOut). */
export function deploymentTimedOut(d: Obj, status: Obj, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(status, 'Progressing');
  if (!c) return false;
  if (c.reason === reasons.newRSAvailable) return false;
  if (c.reason === reasons.timedOut) return true;
  const from = Date.parse(c.lastUpdateTime);
  return from + d['spec'].progressDeadlineSeconds * 1000 < nowMs;
}

/** Status equality as Go's DeepEqual on the typed status: absent and zero are the same. */
export function sameStatus(a: Obj | undefined, b: Obj | undefined): boolean {
  const norm = (s: Obj | undefined) => {
    const out: Obj = {};
    for (const k of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'terminatingReplicas']) out[k] = s?.[k] ?? 0;
    out['conditions'] = s?.['conditions'] ?? [];
    out['collisionCount'] = s?.['collisionCount'] ?? null;
    return out;
  };
  return isDeepStrictEqual(norm(a), norm(b));
}
