/**
 * Deletion, as upstream's generic registry does it: preconditions, graceful
 * deletion (pods on a node), finalizers, and the garbage-collection
 * finalizers `orphan`/`foregroundDeletion` that Orphan and Foreground
 * propagation add. An object that must wait is marked with
 * deletionTimestamp; it is removed once nothing holds it.
 */
import { errors } from '../api/errors.ts';
import { meta, nowTime } from './object-meta.ts';
import type { Store } from './store.ts';
import type { DeleteOptions, ListOptions, Obj, WriteContext } from './types.ts';

const gcFinalizers = ['orphan', 'foregroundDeletion'];

function readyToDelete(store: Store, obj: Obj): boolean {
  if (store.strategy.readyToDelete) return store.strategy.readyToDelete(obj);
  const m = obj['metadata'] ?? {};
  return !m.finalizers?.length && !(m.deletionGracePeriodSeconds > 0);
}

function propagationOf(store: Store, opts: DeleteOptions): 'Background' | 'Foreground' | 'Orphan' {
  if (opts.propagationPolicy) return opts.propagationPolicy;
  if (opts.orphanDependents === true) return 'Orphan';
  if (opts.orphanDependents === false) return 'Background';
  return store.strategy.defaultPropagation ?? 'Background';
}

/** Finalizers after applying a propagation policy: Orphan/Foreground add theirs, Background clears both. */
function finalizersFor(current: string[], policy: 'Background' | 'Foreground' | 'Orphan'): string[] {
  const rest = current.filter((f) => !gcFinalizers.includes(f));
  if (policy === 'Orphan') rest.push('orphan');
  if (policy === 'Foreground') rest.push('foregroundDeletion');
  return rest;
}

export interface DeleteResult {
  object: Obj;
  /** True when the object is gone; false when it is marked and waits for finalizers or a grace period. */
  deleted: boolean;
}

export async function deleteObject(
  store: Store,
  namespace: string,
  name: string,
  opts: DeleteOptions,
  ctx: WriteContext,
): Promise<DeleteResult> {
  if (opts.propagationPolicy && opts.orphanDependents !== undefined) {
    throw errors.invalid('meta.k8s.io', 'DeleteOptions', '', [
      { type: 'FieldValueInvalid', field: 'propagationPolicy', message: 'Invalid value: orphanDependents and propagationPolicy cannot both be set' },
    ]);
  }
  const key = store.key(namespace, name);
  for (let attempt = 0; attempt < 16; attempt++) {
    const { kv } = await store.deps.backend.get(key);
    if (!kv) throw errors.notFound(store.gr, name);
    const obj = store.fromKV(kv);
    const m = meta(obj);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== m.uid) {
      throw errors.conflict(store.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${m.uid}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== m.resourceVersion) {
      throw errors.conflict(
        store.gr,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${m.resourceVersion}`,
      );
    }
    const forbidden = store.strategy.forbidDelete?.(obj);
    if (forbidden) throw errors.forbidden(store.gr, name, forbidden);
    await store.admit('validate', 'DELETE', obj, obj, '', ctx);

    const policy = propagationOf(store, opts);
    const finalizers = finalizersFor(m.finalizers ?? [], policy);
    let grace = store.strategy.gracePeriod?.(obj, opts.gracePeriodSeconds) ?? 0;
    if (m.deletionTimestamp) {
      // Already deleting: a shorter grace period may be requested (zero means now).
      const current = m.deletionGracePeriodSeconds ?? 0;
      grace = Math.min(grace, current);
    }
    const marked: Obj = { ...obj, metadata: { ...m } };
    const mm = marked['metadata'];
    if (finalizers.length) mm.finalizers = finalizers;
    else delete mm.finalizers;
    if (!m.deletionTimestamp || grace < (m.deletionGracePeriodSeconds ?? 0)) {
      mm.deletionTimestamp = nowTime(Date.now() + grace * 1000);
      mm.deletionGracePeriodSeconds = grace;
    }
    if (ctx.dryRun) return { object: marked, deleted: readyToDelete(store, marked) };

    if (!readyToDelete(store, marked)) {
      store.strategy.markDeleting?.(marked);
      const unchanged = JSON.stringify(marked) === JSON.stringify(obj);
      if (unchanged) return { object: obj, deleted: false };
      const res = await store.deps.backend.update(key, store.encode(marked), kv.modRevision);
      if (res.ok) return { object: store.fromKV(res.kv), deleted: false };
      continue;
    }
    const res = await store.deps.backend.delete(key, kv.modRevision);
    if (res.ok) return { object: obj, deleted: true };
    if (!res.current) throw errors.notFound(store.gr, name);
  }
  throw errors.conflict(store.gr, name, 'too many concurrent updates, please retry');
}

/**
 * After an update: an object marked for deletion whose last finalizer has
 * just been removed is deleted now. Returns the final object if it was.
 */
export async function finishDeletionIfReady(store: Store, namespace: string, name: string, obj: Obj, revision: number): Promise<Obj | undefined> {
  if (!obj['metadata']?.deletionTimestamp || !readyToDelete(store, obj)) return undefined;
  const res = await store.deps.backend.delete(store.key(namespace, name), revision);
  return res.ok ? obj : undefined;
}

/** DELETE on a collection: deletes each matching object; returns what was deleted or marked. */
export async function deleteCollection(
  store: Store,
  namespace: string,
  listOpts: ListOptions,
  opts: DeleteOptions,
  ctx: WriteContext,
): Promise<Obj[]> {
  const { items } = await store.list(namespace, { labelSelector: listOpts.labelSelector, fieldSelector: listOpts.fieldSelector });
  const out: Obj[] = [];
  for (const item of items) {
    try {
      const r = await deleteObject(store, item['metadata'].namespace ?? '', item['metadata'].name, opts, ctx);
      out.push(r.object);
    } catch (e) {
      if ((e as { reason?: string }).reason !== 'NotFound') throw e;
    }
  }
  return out;
}
