/**
 * The RollingUpdate strategy (upstream's rolling.go): grow the new set as
 * far as maxSurge allows, shrink old sets as far as maxUnavailable allows
 * (unhealthy old replicas first), one step per sync; each step's writes
 * make the ReplicaSets change, which brings the Deployment back here.
 */
import type { Obj } from '../../client/types.ts';
import { desired, maxUnavailable, newRSNewReplicas } from './fenceposts.ts';
import { syncRolloutStatus } from './progress.ts';
import { activeSets, byCreation, replicasOf, specReplicas, statusSum } from './replica-sets.ts';
import { deploymentComplete } from './status.ts';
import { cleanupDeployment, replicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent, type SyncDeps } from './sync.ts';

export async function rolloutRolling(deps: SyncDeps, d: Obj, sets: Obj[]): Promise<number | undefined> {
  const { newRS, oldRSs } = await replicaSetsAndSyncRevision(deps, d, sets, true);
  const all = [...oldRSs, ...(newRS ? [newRS] : [])];
  if (newRS && (await reconcileNewReplicaSet(deps, all, newRS, d))) return syncRolloutStatus(deps, all, newRS, d);
  if (newRS && (await reconcileOldReplicaSets(deps, all, activeSets(oldRSs), newRS, d))) return syncRolloutStatus(deps, all, newRS, d);
  if (deploymentComplete(d, d['status'])) await cleanupDeployment(deps, oldRSs, d);
  return syncRolloutStatus(deps, all, newRS, d);
}

async function reconcileNewReplicaSet(deps: SyncDeps, all: Obj[], newRS: Obj, d: Obj): Promise<boolean> {
  const want = desired(d);
  if (replicasOf(newRS) === want) return false;
  const target = replicasOf(newRS) > want ? want : newRSNewReplicas(d, all, newRS);
  return (await scaleReplicaSetAndRecordEvent(deps, newRS, target, d)).scaled;
}

async function reconcileOldReplicaSets(deps: SyncDeps, all: Obj[], oldRSs: Obj[], newRS: Obj, d: Obj): Promise<boolean> {
  if (specReplicas(oldRSs) === 0) return false;
  // Room to scale down: everything running, less the minimum that must stay
  // available, less new pods that are not available yet (they may never be).
  const minAvailable = desired(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS['status']?.availableReplicas ?? 0);
  const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  // Errors in either step end this pass quietly, as upstream: the next sync retries.
  let cleaned: { sets: Obj[]; count: number };
  try {
    cleaned = await cleanupUnhealthyReplicas(deps, oldRSs, d, maxScaledDown);
  } catch {
    return false;
  }
  let scaledDown = 0;
  try {
    scaledDown = await scaleDownOldReplicaSets(deps, [...cleaned.sets, newRS], cleaned.sets, d);
  } catch {
    return false;
  }
  return cleaned.count + scaledDown > 0;
}

/** Removes old replicas that are not available anyway, oldest sets first, up to `max`. */
async function cleanupUnhealthyReplicas(deps: SyncDeps, oldRSs: Obj[], d: Obj, max: number): Promise<{ sets: Obj[]; count: number }> {
  const sets = [...oldRSs].sort(byCreation);
  let total = 0;
  for (let i = 0; i < sets.length; i++) {
    if (total >= max) break;
    const rs = sets[i]!;
    const available = rs['status']?.availableReplicas ?? 0;
    if (replicasOf(rs) === 0 || replicasOf(rs) === available) continue;
    const down = Math.min(max - total, replicasOf(rs) - available);
    const { rs: updated } = await scaleReplicaSetAndRecordEvent(deps, rs, replicasOf(rs) - down, d);
    sets[i] = updated;
    total += down;
  }
  return { sets, count: total };
}

/** Scales old sets down while more than the minimum are available, oldest first. */
async function scaleDownOldReplicaSets(deps: SyncDeps, all: Obj[], oldRSs: Obj[], d: Obj): Promise<number> {
  const minAvailable = desired(d) - maxUnavailable(d);
  const available = statusSum(all, 'availableReplicas');
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= budget) break;
    if (replicasOf(rs) === 0) continue;
    const down = Math.min(replicasOf(rs), budget - total);
    await scaleReplicaSetAndRecordEvent(deps, rs, replicasOf(rs) - down, d);
    total += down;
  }
  return total;
}
