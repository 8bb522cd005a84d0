/**
 * DaemonSet revisions (upstream constructHistory, snapshot, dedupCurHistories
 * and cleanupHistory). The current revision is the one whose snapshot is
 * the DaemonSet's template; if none is, one is created, named
 * `<ds>-<hash of the template>` and labelled `controller-revision-hash`.
 * Re-using an older snapshot (a rollback) renumbers it as the newest, which
 * is what `kubectl rollout history` shows. Old revisions beyond
 * revisionHistoryLimit that no pod still uses are deleted, oldest first.
 */
import { isApiError } from '../../api/errors.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { newControllerRef } from '../common/controller-ref.ts';
import { hashOf, matchesTemplate, maxRevision, podRevisionLabel, sortRevisions, templateData } from '../history/revision.ts';
import { deleteRevision, setRevisionNumber } from '../history/store.ts';

/** The current revision and the others. */
export interface DaemonHistory {
  cur: Obj;
  old: Obj[];
}

/** The revision object for the DaemonSet's current template. */
export function snapshotOf(ds: Obj, revision: number): Obj {
  const m = ds['metadata'];
  const template = ds['spec']?.template;
  const hash = hashOf(template, ds['status']?.collisionCount);
  const annotations = m.annotations && Object.keys(m.annotations).length ? { ...m.annotations } : undefined;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${m.name}-${hash}`,
      namespace: m.namespace,
      labels: { ...(template?.metadata?.labels ?? {}), [podRevisionLabel]: hash },
      ...(annotations ? { annotations } : {}),
      ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    data: templateData(template),
    revision,
  };
}

/** Creates the snapshot; on a name clash with other data bumps status.collisionCount and fails, so the sync retries with a new name. */
async function snapshot(client: Client, ds: Obj, revision: number): Promise<Obj> {
  const want = snapshotOf(ds, revision);
  const m = ds['metadata'];
  try {
    return await client.create(resources.controllerrevisions, m.namespace, want);
  } catch (e) {
    if (!isApiError(e, 'AlreadyExists')) throw e;
    const existing = await client.get(resources.controllerrevisions, m.namespace, want['metadata'].name);
    if (matchesTemplate(existing, ds['spec']?.template)) return existing;
    const fresh = await client.get(resources.daemonsets, m.namespace, m.name);
    if ((fresh['status']?.collisionCount ?? null) !== (ds['status']?.collisionCount ?? null)) {
      throw new Error(`found a stale collision count of DaemonSet ${m.namespace}/${m.name}; will retry until it is updated`);
    }
    fresh['status'] = { ...(fresh['status'] ?? {}), collisionCount: (fresh['status']?.collisionCount ?? 0) + 1 };
    await client.update(resources.daemonsets, m.namespace, fresh, { subresource: 'status' });
    throw e;
  }
}

/**
 * Finds or creates the current revision among `revisions` (those the
 * DaemonSet controls), keeping it unique and the newest.
 */
export async function constructHistory(client: Client, ds: Obj, revisions: readonly Obj[], pods: readonly Obj[]): Promise<DaemonHistory> {
  const current: Obj[] = [];
  const old: Obj[] = [];
  for (let r of revisions) {
    if (r['metadata'].labels?.[podRevisionLabel] === undefined) {
      // Revisions made by other tools lack the label; name it by the revision's name, as upstream.
      const clone = structuredClone(r);
      clone['metadata'].labels = { ...(clone['metadata'].labels ?? {}), [podRevisionLabel]: clone['metadata'].name };
      r = await client.update(resources.controllerrevisions, clone['metadata'].namespace, clone);
    }
    if (matchesTemplate(r, ds['spec']?.template)) current.push(r);
    else old.push(r);
  }
  const next = maxRevision(old) + 1;
  if (current.length === 0) return { cur: await snapshot(client, ds, next), old };
  const cur = await dedupCurrent(client, current, pods);
  return { cur: cur['revision'] < next ? await setRevisionNumber(client, cur, next) : cur, old };
}

/** Keeps the highest-numbered of several equal current revisions, relabelling pods onto it first. */
async function dedupCurrent(client: Client, current: Obj[], pods: readonly Obj[]): Promise<Obj> {
  if (current.length === 1) return current[0]!;
  let keep = current[0]!;
  for (const c of current) if ((c['revision'] ?? 0) >= (keep['revision'] ?? 0)) keep = c;
  const keepHash = keep['metadata'].labels?.[podRevisionLabel];
  for (const p of pods) {
    if (p['metadata'].labels?.[podRevisionLabel] === keepHash) continue;
    await client.patch(resources.pods, p['metadata'].namespace, p['metadata'].name, 'merge', { metadata: { labels: { [podRevisionLabel]: keepHash } } }).catch((e) => {
      if (!isApiError(e, 'NotFound')) throw e;
    });
  }
  for (const c of current) if (c !== keep) await deleteRevision(client, c);
  return keep;
}

/** Deletes old revisions beyond revisionHistoryLimit that no pod (even a terminating one) still carries. */
export async function cleanupHistory(client: Client, ds: Obj, old: readonly Obj[], pods: readonly Obj[]): Promise<void> {
  const limit: number = ds['spec']?.revisionHistoryLimit ?? 10;
  let toKill = old.length - limit;
  if (toKill <= 0) return;
  const live = new Set<string>();
  for (const p of pods) {
    const h = p['metadata'].labels?.[podRevisionLabel];
    if (h) live.add(h);
  }
  for (const r of sortRevisions(old)) {
    if (toKill <= 0) break;
    if (live.has(r['metadata'].labels?.[podRevisionLabel])) continue;
    await deleteRevision(client, r);
    toKill--;
  }
}
