/**
 * The Deployment controller's shared steps, after upstream's sync.go:
 * finding (or creating) the new ReplicaSet and syncing revisions, scaling
 * one set with its ScalingReplicaSet event, proportional scaling when the
 * Deployment is resized mid-rollout (or paused), history cleanup, and the
 * status write.
 *
 * `d` is always the controller's own copy of the Deployment: steps update
 * its annotations and status and write them, keeping its resourceVersion
 * current.
 */
import { isApiError } from '../../api/errors.ts';
import type { EventRecorder } from '../../client/events.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { newControllerRef, controllerOf } from '../common/controller-ref.ts';
import { computeHash } from '../common/pod-template-hash.ts';
import { errorText } from '../common/pod-control.ts';
import { desiredReplicasOf, replicasAnnotationsNeedUpdate, revisionAnnotation, setNewReplicaSetAnnotations, setReplicasAnnotations } from './annotations.ts';
import { desired, isRollingUpdate, isSaturated, maxSurge, newRSNewReplicas, proportion } from './fenceposts.ts';
import {
  activeSets,
  byCreation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  equalIgnoreHash,
  findNewReplicaSet,
  findOldReplicaSets,
  maxRevision,
  podTemplateHashLabel,
  replicasOf,
  specReplicas,
} from './replica-sets.ts';
import { calculateStatus, getCondition, hasProgressDeadline, newCondition, reasons, sameStatus, setCondition } from './status.ts';

export interface SyncDeps {
  client: Client;
  recorder: EventRecorder;
  /** The ReplicaSet cache, for the "already exists" path of a create. */
  getReplicaSet(namespace: string, name: string): Obj | undefined;
  now(): number;
}

const ns = (o: Obj): string => o['metadata'].namespace;

/**
 * Runs a write of `d` that carries its resourceVersion. Our own previous
 * write often lands in the cache a moment after the next sync starts; when
 * the only news is such a write (same uid and generation: nobody changed
 * the spec), retry once on the fresh resourceVersion instead of failing
 * the sync.
 */
async function withFreshVersion(deps: SyncDeps, d: Obj, write: () => Promise<Obj>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await write();
      d['metadata'].resourceVersion = out['metadata'].resourceVersion;
      return;
    } catch (e) {
      if (attempt > 0 || !isApiError(e, 'Conflict')) throw e;
      const fresh = await deps.client.get(resources.deployments, ns(d), d['metadata'].name);
      if (fresh['metadata'].uid !== d['metadata'].uid || fresh['metadata'].generation !== d['metadata'].generation) throw e;
      d['metadata'].resourceVersion = fresh['metadata'].resourceVersion;
    }
  }
}

/** Writes `d.status` through the status subresource; `d` takes the new resourceVersion. */
export async function writeStatus(deps: SyncDeps, d: Obj): Promise<void> {
  await withFreshVersion(deps, d, () => deps.client.update(resources.deployments, ns(d), d, { subresource: 'status' }));
}

/**
 * Records the revision on the Deployment itself. Upstream does this through
 * UpdateStatus (its Deployment status strategy keeps metadata changes);
 * bramble's status subresource changes status only, so the annotation goes
 * through the main resource as a metadata-only patch (no generation bump).
 */
async function writeRevision(deps: SyncDeps, d: Obj, revision: string): Promise<boolean> {
  const annotations = (d['metadata'].annotations ??= {});
  if (annotations[revisionAnnotation] === revision) return false;
  annotations[revisionAnnotation] = revision;
  await withFreshVersion(deps, d, () =>
    deps.client.patch(resources.deployments, ns(d), d['metadata'].name, 'merge', {
      metadata: { resourceVersion: d['metadata'].resourceVersion, annotations: { [revisionAnnotation]: revision } },
    }),
  );
  return true;
}

/**
 * Updates a ReplicaSet from its cached copy. The ReplicaSet controller
 * rewrites status constantly, so a stale resourceVersion is common and
 * usually harmless: when the spec is unchanged (same generation), the same
 * change is applied once more to a fresh copy.
 */
async function updateReplicaSet(deps: SyncDeps, cached: Obj, change: (rs: Obj) => void): Promise<Obj> {
  const copy = structuredClone(cached);
  change(copy);
  try {
    return await deps.client.update(resources.replicasets, ns(copy), copy);
  } catch (e) {
    if (!isApiError(e, 'Conflict')) throw e;
    const fresh = await deps.client.get(resources.replicasets, ns(cached), cached['metadata'].name);
    if (fresh['metadata'].uid !== cached['metadata'].uid || fresh['metadata'].generation !== cached['metadata'].generation) throw e;
    change(fresh);
    return deps.client.update(resources.replicasets, ns(fresh), fresh);
  }
}

/**
 * The new ReplicaSet (creating it when `create` and missing) and the old
 * ones, with revisions synced (upstream's getAllReplicaSetsAndSyncRevision).
 * A set rewritten here replaces its cached copy in `sets`, so later steps of
 * the same sync do not write from a stale version.
 */
export async function replicaSetsAndSyncRevision(deps: SyncDeps, d: Obj, sets: Obj[], create: boolean): Promise<{ newRS?: Obj; oldRSs: Obj[] }> {
  const oldRSs = findOldReplicaSets(d, sets);
  const newRS = await getNewReplicaSet(deps, d, sets, oldRSs, create);
  if (newRS) {
    const i = sets.findIndex((rs) => rs['metadata'].uid === newRS['metadata'].uid);
    if (i >= 0) sets[i] = newRS;
  }
  return { newRS, oldRSs };
}

async function getNewReplicaSet(deps: SyncDeps, d: Obj, sets: readonly Obj[], oldRSs: Obj[], create: boolean): Promise<Obj | undefined> {
  const existing = findNewReplicaSet(d, sets);
  const newRevision = maxRevision(oldRSs) + 1;
  const max = desired(d) + maxSurge(d);
  if (existing) {
    const copy = structuredClone(existing);
    const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true, max);
    const minReady = d['spec'].minReadySeconds ?? 0;
    if (annotationsChanged || (copy['spec'].minReadySeconds ?? 0) !== minReady) {
      return updateReplicaSet(deps, existing, (rs) => {
        setNewReplicaSetAnnotations(d, rs, newRevision, true, max);
        rs['spec'].minReadySeconds = minReady;
      });
    }
    await writeRevision(deps, d, copy['metadata'].annotations?.[revisionAnnotation] ?? '');
    if (hasProgressDeadline(d) && !getCondition(d['status'], 'Progressing')) {
      d['status'] ??= {};
      setCondition(d['status'], newCondition('Progressing', 'True', reasons.foundNewRS, `Found new replica set "${copy['metadata'].name}"`, deps.now()));
      await writeStatus(deps, d);
    }
    return copy;
  }
  if (!create) return undefined;

  const collisionCount: number | undefined = d['status']?.collisionCount;
  const hash = computeHash(d['spec'].template, collisionCount);
  const template = structuredClone(d['spec'].template);
  template.metadata ??= {};
  template.metadata.labels = { ...(template.metadata.labels ?? {}), [podTemplateHashLabel]: hash };
  const selector = structuredClone(d['spec'].selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [podTemplateHashLabel]: hash };
  const owner = { apiVersion: 'apps/v1', kind: 'Deployment', ...d };
  const rs: Obj = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `${d['metadata'].name}-${hash}`, namespace: ns(d), labels: { ...template.metadata.labels }, ownerReferences: [newControllerRef(owner, 'apps/v1', 'Deployment')] },
    spec: { replicas: 0, minReadySeconds: d['spec'].minReadySeconds ?? 0, selector, template },
  };
  const count = newRSNewReplicas(d, [...oldRSs, rs], rs);
  rs['spec'].replicas = count;
  setNewReplicaSetAnnotations(d, rs, newRevision, false, max);
  let created: Obj;
  let alreadyExisted = false;
  try {
    created = await deps.client.create(resources.replicasets, ns(d), rs);
  } catch (e) {
    if (isApiError(e, 'AlreadyExists')) {
      const found = deps.getReplicaSet(ns(d), rs['metadata'].name);
      if (!found) throw e;
      // Ours, with our template: a create we made before the cache caught up.
      if (controllerOf(found)?.uid === d['metadata'].uid && equalIgnoreHash(d['spec'].template, found['spec']?.template)) {
        created = found;
        alreadyExisted = true;
      } else {
        // A genuine hash collision: bump collisionCount so the next name differs.
        d['status'] ??= {};
        d['status'].collisionCount = (collisionCount ?? 0) + 1;
        await writeStatus(deps, d).catch(() => undefined);
        throw e;
      }
    } else {
      if (isApiError(e, 'Forbidden') && /being terminated/.test(e.message)) throw e;
      const msg = `Failed to create new replica set "${rs['metadata'].name}": ${errorText(e)}`;
      if (hasProgressDeadline(d)) {
        d['status'] ??= {};
        setCondition(d['status'], newCondition('Progressing', 'False', reasons.failedRSCreate, msg, deps.now()));
        await writeStatus(deps, d).catch(() => undefined);
      }
      deps.recorder.event(owner, 'Warning', reasons.failedRSCreate, msg);
      throw e;
    }
  }
  if (!alreadyExisted && count > 0) {
    deps.recorder.event(owner, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created['metadata'].name} to ${count}`);
  }
  await writeRevision(deps, d, String(newRevision));
  if (!alreadyExisted && hasProgressDeadline(d)) {
    d['status'] ??= {};
    setCondition(d['status'], newCondition('Progressing', 'True', reasons.newReplicaSet, `Created new replica set "${created['metadata'].name}"`, deps.now()));
    await writeStatus(deps, d);
  }
  return created;
}

/** Scales one set, recording ScalingReplicaSet when its size changes. */
export async function scaleReplicaSetAndRecordEvent(deps: SyncDeps, rs: Obj, newScale: number, d: Obj): Promise<{ scaled: boolean; rs: Obj }> {
  if (replicasOf(rs) === newScale) return { scaled: false, rs };
  return scaleReplicaSet(deps, rs, newScale, d, replicasOf(rs) < newScale ? 'up' : 'down');
}

async function scaleReplicaSet(deps: SyncDeps, rs: Obj, newScale: number, d: Obj, op: string): Promise<{ scaled: boolean; rs: Obj }> {
  const sizeChange = replicasOf(rs) !== newScale;
  const max = desired(d) + maxSurge(d);
  if (!sizeChange && !replicasAnnotationsNeedUpdate(rs, desired(d), max)) return { scaled: false, rs };
  const oldScale = replicasOf(rs);
  const updated = await updateReplicaSet(deps, rs, (copy) => {
    copy['spec'].replicas = newScale;
    setReplicasAnnotations(copy, desired(d), max);
  });
  if (sizeChange) {
    deps.recorder.event({ apiVersion: 'apps/v1', kind: 'Deployment', ...d }, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs['metadata'].name} to ${newScale} from ${oldScale}`);
  }
  return { scaled: sizeChange, rs: updated };
}

/**
 * Resizes the sets to the Deployment's size (upstream's scale): one active
 * set takes it all; a saturated new set lets the old ones go to zero;
 * otherwise, during a rolling update, the difference is shared out in
 * proportion to the sets' sizes, leftovers to the largest.
 */
export async function scale(deps: SyncDeps, d: Obj, newRS: Obj | undefined, oldRSs: Obj[]): Promise<void> {
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (replicasOf(activeOrLatest) === desired(d)) return;
    await scaleReplicaSetAndRecordEvent(deps, activeOrLatest, desired(d), d);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of activeSets(oldRSs)) await scaleReplicaSetAndRecordEvent(deps, old, 0, d);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = activeSets([...oldRSs, newRS]);
  const allowed = desired(d) > 0 ? desired(d) + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(all);
  let op = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    op = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    op = 'down';
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    const p = toAdd !== 0 ? proportion(rs, d, toAdd, added) : 0;
    sizes.set(rs['metadata'].name, replicasOf(rs) + p);
    added += p;
  }
  for (let i = 0; i < all.length; i++) {
    const rs = all[i]!;
    if (i === 0 && toAdd !== 0) sizes.set(rs['metadata'].name, Math.max(0, sizes.get(rs['metadata'].name)! + toAdd - added));
    await scaleReplicaSet(deps, rs, sizes.get(rs['metadata'].name)!, d, op);
  }
}

/** The only active set, or the newest when none is active; undefined when several are active. */
function findActiveOrLatest(newRS: Obj | undefined, oldRSs: Obj[]): Obj | undefined {
  if (!newRS && !oldRSs.length) return undefined;
  const olds = [...oldRSs].sort(byCreation).reverse();
  const active = activeSets([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  return active.length === 1 ? active[0] : undefined;
}

/** Sets the desired-replicas annotation disagrees with: the Deployment was resized (upstream's isScalingEvent). */
export async function isScalingEvent(deps: SyncDeps, d: Obj, sets: Obj[]): Promise<boolean> {
  const { newRS, oldRSs } = await replicaSetsAndSyncRevision(deps, d, sets, false);
  if (!newRS) return false;
  return activeSets([...oldRSs, newRS]).some((rs) => {
    const want = desiredReplicasOf(rs);
    return want !== undefined && want !== desired(d);
  });
}

/** Deletes old, empty, settled sets beyond revisionHistoryLimit, oldest revision first. */
export async function cleanupDeployment(deps: SyncDeps, oldRSs: Obj[], d: Obj): Promise<void> {
  const limit = d['spec']?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const cleanable = oldRSs.filter((rs) => !rs['metadata'].deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (const rs of cleanable.slice(0, diff)) {
    const st = rs['status'] ?? {};
    if ((st.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs['metadata'].generation ?? 0) > (st.observedGeneration ?? 0) || rs['metadata'].deletionTimestamp) continue;
    await deps.client.delete(resources.replicasets, ns(rs), rs['metadata'].name).catch((e) => {
      if (!isApiError(e, 'NotFound')) throw e;
    });
  }
}

/** Writes the status the sets imply, if it changed (upstream's syncDeploymentStatus). */
export async function syncDeploymentStatus(deps: SyncDeps, all: Obj[], newRS: Obj | undefined, d: Obj): Promise<void> {
  const status = calculateStatus(all, newRS, d, deps.now());
  if (sameStatus(d['status'], status)) return;
  d['status'] = status;
  await writeStatus(deps, d);
}

/** Scaling or paused: resize, clean up, report (upstream's sync). */
export async function syncScaling(deps: SyncDeps, d: Obj, sets: Obj[]): Promise<void> {
  const { newRS, oldRSs } = await replicaSetsAndSyncRevision(deps, d, sets, false);
  await scale(deps, d, newRS, oldRSs);
  // A rollout cleans up as it completes; a paused Deployment (no rollout running) cleans up here.
  if (d['spec'].paused) await cleanupDeployment(deps, oldRSs, d);
  await syncDeploymentStatus(deps, [...oldRSs, ...(newRS ? [newRS] : [])], newRS, d);
}

/**
 * Keeps a Progressing condition that says "paused" while paused and
 * "resumed" after, so time spent paused never counts against the deadline.
 */
export async function checkPausedConditions(deps: SyncDeps, d: Obj): Promise<void> {
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d['status'], 'Progressing');
  if (cond?.reason === reasons.timedOut) return;
  const pausedCond = cond?.reason === reasons.paused;
  const paused = d['spec'].paused === true;
  if (paused === pausedCond) return;
  d['status'] ??= {};
  setCondition(
    d['status'],
    paused
      ? newCondition('Progressing', 'Unknown', reasons.paused, 'Deployment is paused', deps.now())
      : newCondition('Progressing', 'Unknown', reasons.resumed, 'Deployment is resumed', deps.now()),
  );
  await writeStatus(deps, d);
}
