/**
 * ControllerRevision writes shared by the DaemonSet and StatefulSet
 * controllers (upstream history.Interface): claiming a workload's revisions,
 * creating one with name-collision handling, renumbering one (a rollback
 * re-uses an old snapshot as the newest revision) and deleting.
 */
import { isApiError } from '../../api/errors.ts';
import type { Selector } from '../../api/selectors/label.ts';
import type { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { adoptPatch, claimObjects, newControllerRef, recheckDeletion, releasePatch } from '../common/controller-ref.ts';
import { equalRevision, hashOf, revisionHashLabel, revisionName } from './revision.ts';

export interface Owner {
  obj: Obj;
  apiVersion: string;
  kind: string;
  /** The owner's own resource, for the fresh read before adopting. */
  resource: (typeof resources)[keyof typeof resources];
}

/**
 * The revisions `owner` controls, after adopting orphans its selector
 * matches and releasing owned ones it no longer matches. Reads the
 * informer's cache (read-only objects).
 */
export async function claimRevisions(client: Client, revisions: Informer, owner: Owner, selector: Selector): Promise<Obj[]> {
  const m = owner.obj['metadata'];
  const candidates = revisions.byIndex('namespace', m.namespace);
  const ref = newControllerRef(owner.obj, owner.apiVersion, owner.kind);
  return claimObjects(candidates, {
    controller: owner.obj,
    selector,
    adopt: async (o) => void (await client.patch(resources.controllerrevisions, m.namespace, o['metadata'].name, 'strategic', adoptPatch(ref, o['metadata'].uid))),
    release: async (o) => void (await client.patch(resources.controllerrevisions, m.namespace, o['metadata'].name, 'strategic', releasePatch(m.uid, o['metadata'].uid))),
    canAdopt: recheckDeletion(owner.kind, () => client.get(owner.resource, m.namespace, m.name), m.uid),
  });
}

/**
 * Creates `revision` (built by `newRevision`) for `parent`. When a revision
 * of that name exists with other data, the hash collided: `collisionCount`
 * is bumped and the name recomputed until a free one is found (upstream
 * CreateControllerRevision). Returns the stored revision, which is the
 * existing one if it already holds the same data.
 */
export async function createRevision(client: Client, parentName: string, revision: Obj, collisionCount: { value: number }): Promise<Obj> {
  const ns = revision['metadata'].namespace;
  for (let attempt = 0; attempt < 100; attempt++) {
    const hash = hashOf(revision['data'], collisionCount.value);
    const clone = structuredClone(revision);
    clone['metadata'].name = revisionName(parentName, hash);
    clone['metadata'].labels = { ...(clone['metadata'].labels ?? {}), [revisionHashLabel]: hash };
    try {
      return await client.create(resources.controllerrevisions, ns, clone);
    } catch (e) {
      if (!isApiError(e, 'AlreadyExists')) throw e;
      const existing = await client.get(resources.controllerrevisions, ns, clone['metadata'].name);
      if (equalRevision(existing, clone) || sameData(existing, clone)) return existing;
      collisionCount.value++;
    }
  }
  throw new Error(`could not find a free revision name for ${ns}/${parentName}`);
}

function sameData(a: Obj, b: Obj): boolean {
  return JSON.stringify(a['data']) === JSON.stringify(b['data']);
}

/** Gives `revision` a new revision number, re-reading it on conflicts (upstream UpdateControllerRevision). */
export async function setRevisionNumber(client: Client, revision: Obj, n: number): Promise<Obj> {
  let current = revision;
  for (let attempt = 0; ; attempt++) {
    if (current['revision'] === n) return current;
    const clone = structuredClone(current);
    clone['revision'] = n;
    try {
      return await client.update(resources.controllerrevisions, clone['metadata'].namespace, clone);
    } catch (e) {
      if (!isApiError(e, 'Conflict') || attempt >= 5) throw e;
      current = await client.get(resources.controllerrevisions, clone['metadata'].namespace, clone['metadata'].name);
    }
  }
}

/** Deletes a revision; one already gone is fine. */
export async function deleteRevision(client: Client, revision: Obj): Promise<void> {
  const m = revision['metadata'];
  await client.delete(resources.controllerrevisions, m.namespace, m.name, { preconditions: { uid: m.uid } }).catch((e) => {
    if (!isApiError(e, 'NotFound') && !isApiError(e, 'Conflict')) throw e;
  });
}
