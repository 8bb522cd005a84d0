/**
 * Status during a rollout, with the Progressing condition (upstream's
 * progress.go): NewReplicaSetAvailable once complete, ReplicaSetUpdated
 * whenever something moved, ProgressDeadlineExceeded when nothing moved for
 * progressDeadlineSeconds; ReplicaFailure copied from the sets. Returns
 * when to look again for a deadline check, if one is pending.
 */
import type { Obj } from '../../client/types.ts';
import { type SyncDeps, writeStatus } from './sync.ts';
import {
  calculateStatus,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  newCondition,
  reasons,
  removeCondition,
  sameStatus,
  setCondition,
  type Condition,
} from './status.ts';

export async function syncRolloutStatus(deps: SyncDeps, all: Obj[], newRS: Obj | undefined, d: Obj): Promise<number | undefined> {
  const now = deps.now();
  const status = calculateStatus(all, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(d['status'], 'Progressing');
  const complete = status['replicas'] === status['updatedReplicas'] && current?.reason === reasons.newRSAvailable;
  const name = d['metadata'].name;
  const who = newRS ? `ReplicaSet "${newRS['metadata'].name}"` : `Deployment "${name}"`;
  if (hasProgressDeadline(d) && !complete) {
    if (deploymentComplete(d, status)) {
      setCondition(status, newCondition('Progressing', 'True', reasons.newRSAvailable, `${who} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, status)) {
      // Progress refreshes lastUpdateTime even with an unchanged reason, which setCondition would skip.
      const cond = newCondition('Progressing', 'True', reasons.replicaSetUpdated, `${who} is progressing.`, now);
      if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
      if (current) removeCondition(status, 'Progressing');
      setCondition(status, cond);
    } else if (deploymentTimedOut(d, status, now)) {
      setCondition(status, newCondition('Progressing', 'False', reasons.timedOut, `${who} has timed out progressing.`, now));
    }
  }
  const failure = replicaFailure(all, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, 'ReplicaFailure');

  if (sameStatus(d['status'], status)) return requeueForDeadline(d, status, now);
  d['status'] = status;
  await writeStatus(deps, d);
  return undefined;
}

/** The new set's ReplicaFailure, else any set's, as a Deployment condition. */
function replicaFailure(all: Obj[], newRS: Obj | undefined): Condition | undefined {
  const of = (rs: Obj | undefined): Condition | undefined => {
    const c = (rs?.['status']?.conditions as Obj[] | undefined)?.find((x) => x.type === 'ReplicaFailure');
    return c && { type: 'ReplicaFailure', status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
  };
  return of(newRS) ?? all.map(of).find((c) => c);
}

/**
 * A stuck rollout produces no events: come back when its deadline would
 * pass (upstream's requeueStuckDeployment). Milliseconds, or undefined.
 */
function requeueForDeadline(d: Obj, status: Obj, now: number): number | undefined {
  const current = getCondition(d['status'], 'Progressing');
  if (!hasProgressDeadline(d) || !current) return undefined;
  if (deploymentComplete(d, status) || current.reason === reasons.timedOut) return undefined;
  const after = Date.parse(current.lastUpdateTime) + d['spec'].progressDeadlineSeconds * 1000 - now;
  return after < 1000 ? 1000 : after + 1000;
}
