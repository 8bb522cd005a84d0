/**
 * The Recreate strategy (upstream's recreate.go): scale every old set to
 * zero, wait until none of their pods is left running (terminating pods
 * count), and only then create or scale up the new set.
 */
import type { Obj } from '../../client/types.ts';
import { desired } from './fenceposts.ts';
import { syncRolloutStatus } from './progress.ts';
import { activeSets, replicasOf, statusSum } from './replica-sets.ts';
import { deploymentComplete } from './status.ts';
import { cleanupDeployment, replicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent, type SyncDeps } from './sync.ts';

/** `podsBySet`: the Deployment's pods by the uid of the ReplicaSet controlling them. */
export async function rolloutRecreate(deps: SyncDeps, d: Obj, sets: Obj[], podsBySet: Map<string, Obj[]>): Promise<number | undefined> {
  let { newRS, oldRSs } = await replicaSetsAndSyncRevision(deps, d, sets, false);
  let all = [...oldRSs, ...(newRS ? [newRS] : [])];
  let scaledDown = false;
  for (const rs of activeSets(oldRSs)) {
    if ((await scaleReplicaSetAndRecordEvent(deps, rs, 0, d)).scaled) scaledDown = true;
  }
  if (scaledDown) return syncRolloutStatus(deps, all, newRS, d);
  if (oldPodsRunning(newRS, oldRSs, podsBySet)) return syncRolloutStatus(deps, all, newRS, d);
  if (!newRS) {
    ({ newRS, oldRSs } = await replicaSetsAndSyncRevision(deps, d, sets, true));
    all = [...oldRSs, ...(newRS ? [newRS] : [])];
  }
  if (newRS && replicasOf(newRS) !== desired(d)) await scaleReplicaSetAndRecordEvent(deps, newRS, desired(d), d);
  if (deploymentComplete(d, d['status'])) await cleanupDeployment(deps, oldRSs, d);
  return syncRolloutStatus(deps, all, newRS, d);
}

/** Old sets still report pods, or pods of theirs (not Succeeded or Failed) still exist. */
export function oldPodsRunning(newRS: Obj | undefined, oldRSs: Obj[], podsBySet: Map<string, Obj[]>): boolean {
  if (statusSum(oldRSs, 'replicas') > 0) return true;
  for (const [uid, pods] of podsBySet) {
    if (newRS && newRS['metadata'].uid === uid) continue;
    if (pods.some((p) => p['status']?.phase !== 'Succeeded' && p['status']?.phase !== 'Failed')) return true;
  }
  return false;
}
