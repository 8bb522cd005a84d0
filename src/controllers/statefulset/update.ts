/**
 * One pass of the StatefulSet control loop (upstream updateStatefulSet):
 *
 * 1. Replicas in [start, start+replicas): failed or succeeded pods are
 *    deleted (and recreated next time), missing ones created with their
 *    claims, and live ones brought back to their identity. With
 *    OrderedReady each must be Running, Ready (and available) before the
 *    next is touched; with Parallel all proceed at once.
 * 2. Pods beyond the range are condemned and deleted from the highest
 *    ordinal down; OrderedReady deletes one at a time and only while every
 *    other pod is healthy.
 * 3. RollingUpdate: the highest-ordinal pod at or above the partition that
 *    is not at the update revision is deleted (step 1 recreates it at the
 *    update revision next time), one at a time, waiting for each to be
 *    available again. OnDelete leaves pods alone until someone deletes them.
 */
import type { Obj } from '../../client/types.ts';
import { slowStartBatch } from '../common/slow-start.ts';
import { identityMatches, inOrdinalRange, newStatefulPod, ordinalOf, podRevision, replicasOf, startOrdinal, storageMatches } from './identity.ts';
import type { StatefulPodControl } from './pod-control.ts';
import { applyRevision } from './revisions.ts';
import { countPods, isCreated, isRunningAndAvailable, isRunningAndReady, isTerminating, isUnavailable, type SetStatus } from './status.ts';

export interface UpdateResult {
  status: SetStatus;
  /** Set when a write failed; the status is still worth writing. */
  error?: unknown;
}

/** The pod for `ordinal` at the revision the strategy gives it (upstream newVersionedStatefulSetPod). */
export function newVersionedPod(currentSet: Obj, updateSet: Obj, currentRevision: string, updateRevision: string, ordinal: number): Obj {
  const us = currentSet['spec']?.updateStrategy ?? {};
  const start = startOrdinal(currentSet);
  // Go evaluates `A && B || C` as `(A && B) || C`; kept so behaviour matches.
  const belowCurrent = us.type === 'RollingUpdate' && !us.rollingUpdate && ordinal < start + (currentSet['status']?.currentReplicas ?? 0);
  const belowPartition = !!us.rollingUpdate && ordinal < start + (us.rollingUpdate.partition ?? 0);
  return belowCurrent || belowPartition ? newStatefulPod(currentSet, ordinal, currentRevision) : newStatefulPod(updateSet, ordinal, updateRevision);
}

/** Monotonic: one at a time, stopping at the first that says so. Burst: all, in slow-start batches, stopping at an error. */
async function runForAll(count: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
  if (monotonic) {
    for (let i = 0; i < count; i++) if (await fn(i)) return true;
    return false;
  }
  let next = 0;
  const { error } = await slowStartBatch(count, 1, async () => void (await fn(next++)));
  if (error !== undefined) throw error;
  return false;
}

export async function updateStatefulSet(control: StatefulPodControl, set: Obj, current: Obj, update: Obj, collisionCount: number, pods: readonly Obj[], now: number): Promise<UpdateResult> {
  const currentSet = applyRevision(set, current);
  const updateSet = applyRevision(set, update);
  const minReady: number = set['spec']?.minReadySeconds ?? 0;
  const status: SetStatus = {
    observedGeneration: set['metadata'].generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    availableReplicas: 0,
    currentRevision: current['metadata'].name,
    updateRevision: update['metadata'].name,
    collisionCount,
  };
  countPods(status, minReady, now, [...pods]);

  const start = startOrdinal(set);
  const replicas: Obj[] = new Array(replicasOf(set));
  const condemned: Obj[] = [];
  for (const p of pods) {
    if (inOrdinalRange(set, p)) replicas[ordinalOf(p) - start] = p;
    else if (ordinalOf(p) >= 0) condemned.push(p);
  }
  for (let i = 0; i < replicas.length; i++) replicas[i] ??= newVersionedPod(currentSet, updateSet, current['metadata'].name, update['metadata'].name, start + i);
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));

  let firstUnavailable: Obj | undefined = replicas.find((p) => isUnavailable(p, minReady, now));
  if (!firstUnavailable) for (let i = condemned.length - 1; i >= 0; i--) if (isUnavailable(condemned[i]!, minReady, now)) {
    firstUnavailable = condemned[i];
    break;
  }

  if (set['metadata'].deletionTimestamp) return { status };
  const monotonic = set['spec']?.podManagementPolicy !== 'Parallel';
  const done = (error?: unknown): UpdateResult => {
    countPods(status, minReady, now, replicas, condemned);
    return error === undefined ? { status } : { status, error };
  };

  const processReplica = async (i: number): Promise<boolean> => {
    const pod = replicas[i]!;
    // Failed or Succeeded (an evicted or rebooted pod ends either way): recreate it.
    const phase = pod['status']?.phase;
    if (phase === 'Failed' || phase === 'Succeeded') {
      if (!isTerminating(pod)) await control.deletePod(set, pod);
      return true;
    }
    if (!isCreated(pod)) {
      if (control.claimIsStale(set, pod)) return true;
      replicas[i] = await control.createPod(set, pod);
      if (monotonic) return true;
      return false;
    }
    if (phase === 'Pending') await control.createMissingClaims(set, pod);
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) return true;
    if (identityMatches(set, pod) && storageMatches(set, pod) && control.claimsMatchRetention(updateSet, pod)) return false;
    await control.updatePod(updateSet, pod);
    return false;
  };

  try {
    if (await runForAll(replicas.length, processReplica, monotonic)) return done();
    const fixClaims = async (i: number) => {
      const c = condemned[i]!;
      if (!control.claimsMatchRetention(updateSet, c)) await control.updateClaimsForRetention(updateSet, c);
      return false;
    };
    if (await runForAll(condemned.length, fixClaims, monotonic)) return done();
    const processCondemned = async (i: number): Promise<boolean> => {
      const c = condemned[i]!;
      if (isTerminating(c)) return monotonic;
      if (monotonic && c !== firstUnavailable && (!isRunningAndReady(c) || !isRunningAndAvailable(c, minReady, now))) return true;
      await control.deletePod(set, c);
      return true;
    };
    if (await runForAll(condemned.length, processCondemned, monotonic)) return done();
  } catch (e) {
    return done(e);
  }

  countPods(status, minReady, now, replicas, condemned);
  if (set['spec']?.updateStrategy?.type === 'OnDelete') return { status };
  const updateMin: number = set['spec']?.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let target = replicas.length - 1; target >= updateMin; target--) {
    const pod = replicas[target]!;
    if (podRevision(pod) !== update['metadata'].name && !isTerminating(pod)) {
      try {
        await control.deletePod(set, pod);
      } catch (e) {
        return { status, error: e };
      }
      status.currentReplicas--;
      return { status };
    }
    if (isUnavailable(pod, minReady, now)) return { status };
  }
  return { status };
}
