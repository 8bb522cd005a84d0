/**
 * Garbage collector, after upstream's: deletes objects whose owners are all
 * gone, orphans dependents of owners deleted with `propagationPolicy:
 * Orphan`, and deletes dependents first for `Foreground` deletion.
 *
 * It keeps a small index of owner references only (dependents by owner
 * uid), fed by one storage watch over every resource. Owner absence is
 * always confirmed by a live read (by kind, name and uid) before anything
 * is deleted, as upstream does, so an index that lags can never cause a
 * wrong deletion.
 */
import { findKind } from '../../api/resources.ts';
import { runWorkers, WorkQueue } from '../../client/workqueue.ts';
import type { Registry } from '../../registry/registry.ts';
import type { Store } from '../../registry/store.ts';
import { deleteObject } from '../../registry/store-delete.ts';
import { guaranteedUpdate } from '../../registry/store-write.ts';
import type { Obj, WriteContext } from '../../registry/types.ts';
import type { KeyValue } from '../../storage/backend.ts';
import { logger } from '../../util/log.ts';

const log = logger('garbage-collector');

interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

interface Node {
  key: string;
  uid: string;
  owners: OwnerRef[];
}

export const gcContext: WriteContext = {
  user: { name: 'system:serviceaccount:kube-system:generic-garbage-collector', groups: ['system:serviceaccounts'], via: 'token' },
  warnings: [],
  fieldManager: 'generic-garbage-collector',
};

export class GarbageCollector {
  private readonly registry: Registry;
  private readonly stores = new Map<string, Store>();
  /** Dependents (storage key → their owner references). */
  private readonly dependents = new Map<string, Node>();
  /** Owner uid → keys of its dependents. */
  private readonly byOwner = new Map<string, Set<string>>();
  /** Owners being deleted with an `orphan` or `foregroundDeletion` finalizer: uid → key. */
  private readonly deletingOwners = new Map<string, string>();
  readonly queue = new WorkQueue<string>({ baseDelayMs: 50, maxDelayMs: 60_000 });

  constructor(registry: Registry) {
    this.registry = registry;
    for (const s of registry.all()) if (!s.conversion) this.stores.set(s.prefix, s);
  }

  private storeOf(key: string): Store | undefined {
    const parts = key.split('/');
    return this.stores.get(parts.slice(0, 4).join('/') + '/');
  }

  private static locate(store: Store, key: string): { namespace: string; name: string } {
    const rest = key.slice(store.prefix.length).split('/');
    return store.info.namespaced ? { namespace: rest[0]!, name: rest[1]! } : { namespace: '', name: rest[0]! };
  }

  /** Removes a key's owner references from the index. */
  private unindex(key: string): void {
    const prev = this.dependents.get(key);
    if (!prev) return;
    for (const o of prev.owners) {
      const set = this.byOwner.get(o.uid);
      set?.delete(key);
      if (set && set.size === 0) this.byOwner.delete(o.uid);
    }
    this.dependents.delete(key);
  }

  /** A stored object was created or changed. */
  observe(key: string, obj: Obj): void {
    this.unindex(key);
    const m = obj['metadata'] ?? {};
    const uid: string | undefined = m.uid;
    const owners: OwnerRef[] = m.ownerReferences ?? [];
    if (owners.length > 0 && uid) {
      this.dependents.set(key, { key, uid, owners });
      for (const o of owners) {
        let set = this.byOwner.get(o.uid);
        if (!set) this.byOwner.set(o.uid, (set = new Set()));
        set.add(key);
      }
      this.queue.add(`dep:${key}`);
    }
    const fin: string[] = m.finalizers ?? [];
    if (uid && m.deletionTimestamp && (fin.includes('orphan') || fin.includes('foregroundDeletion'))) {
      this.deletingOwners.set(uid, key);
      this.queue.add(`owner:${key}`);
    } else if (uid) this.deletingOwners.delete(uid);
  }

  /** A stored object was deleted; `last` is its final state. */
  forget(key: string, last: Obj | undefined): void {
    this.unindex(key);
    const uid: string | undefined = last?.['metadata']?.uid;
    if (!uid) return;
    this.deletingOwners.delete(uid);
    // Its dependents may now be garbage.
    for (const dep of this.byOwner.get(uid) ?? []) this.queue.add(`dep:${dep}`);
    // A foreground-deleting owner may have been waiting for it.
    for (const ref of (last?.['metadata']?.ownerReferences ?? []) as OwnerRef[]) {
      const ownerKey = this.deletingOwners.get(ref.uid);
      if (ownerKey) this.queue.add(`owner:${ownerKey}`);
    }
  }

  /** Resolves an owner reference to the live owner, if it exists with that uid. */
  private async liveOwner(ref: OwnerRef, namespace: string): Promise<Obj | undefined> {
    const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : ['', ref.apiVersion];
    const info = findKind(group!, version!, ref.kind);
    if (!info) throw new Error(`cannot resolve owner kind ${ref.apiVersion}/${ref.kind}`);
    const store = this.registry.store(info.group, info.version, info.resource)!;
    const kv = await store.getKV(info.namespaced ? namespace : '', ref.name);
    if (!kv) return undefined;
    const owner = store.fromKV(kv);
    return owner['metadata']?.uid === ref.uid ? owner : undefined;
  }

  private async reconcileDependent(key: string): Promise<void> {
    const store = this.storeOf(key);
    if (!store) return;
    const { namespace, name } = GarbageCollector.locate(store, key);
    const kv = await store.getKV(namespace, name);
    if (!kv) return;
    const obj = store.fromKV(kv);
    const refs: OwnerRef[] = obj['metadata']?.ownerReferences ?? [];
    if (refs.length === 0) return;
    const solid: OwnerRef[] = [];
    const dangling: OwnerRef[] = [];
    const waiting: OwnerRef[] = [];
    for (const ref of refs) {
      const owner = await this.liveOwner(ref, namespace);
      if (!owner) dangling.push(ref);
      else if (owner['metadata']?.deletionTimestamp && (owner['metadata'].finalizers ?? []).includes('foregroundDeletion')) waiting.push(ref);
      else solid.push(ref);
    }
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // Other owners still hold it: only drop the references to owners that are going.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      await guaranteedUpdate(store, namespace, name, gcContext, (o) => {
        if (o['metadata'].uid !== obj['metadata'].uid) return false;
        o['metadata'].ownerReferences = (o['metadata'].ownerReferences ?? []).filter((r: OwnerRef) => !drop.has(r.uid));
      });
      return;
    }
    if (obj['metadata']?.deletionTimestamp) return;
    // All owners gone (or going in the foreground): delete it. A blocking dependent of a
    // foreground-deleting owner is itself deleted in the foreground when it has dependents.
    const hasDependents = (this.byOwner.get(obj['metadata'].uid)?.size ?? 0) > 0;
    const policy = waiting.length > 0 && hasDependents ? 'Foreground' : 'Background';
    log.debug('deleting object whose owners are gone', { key, policy });
    try {
      await deleteObject(store, namespace, name, { propagationPolicy: policy, preconditions: { uid: obj['metadata'].uid } }, gcContext);
    } catch (e) {
      if ((e as { reason?: string }).reason !== 'NotFound') throw e;
    }
  }

  private async reconcileOwner(key: string): Promise<void> {
    const store = this.storeOf(key);
    if (!store) return;
    const { namespace, name } = GarbageCollector.locate(store, key);
    const kv = await store.getKV(namespace, name);
    if (!kv) return;
    const owner = store.fromKV(kv);
    const m = owner['metadata'];
    if (!m.deletionTimestamp) return;
    const fin: string[] = m.finalizers ?? [];
    const deps = [...(this.byOwner.get(m.uid) ?? [])];
    if (fin.includes('orphan')) {
      for (const dep of deps) {
        const ds = this.storeOf(dep);
        if (!ds) continue;
        const loc = GarbageCollector.locate(ds, dep);
        try {
          await guaranteedUpdate(ds, loc.namespace, loc.name, gcContext, (o) => {
            const refs: OwnerRef[] = o['metadata'].ownerReferences ?? [];
            if (!refs.some((r) => r.uid === m.uid)) return false;
            o['metadata'].ownerReferences = refs.filter((r) => r.uid !== m.uid);
            if (o['metadata'].ownerReferences.length === 0) delete o['metadata'].ownerReferences;
          });
        } catch (e) {
          if ((e as { reason?: string }).reason !== 'NotFound') throw e;
        }
      }
      await this.removeFinalizer(store, namespace, name, m.uid, 'orphan');
      return;
    }
    if (fin.includes('foregroundDeletion')) {
      let blocking = 0;
      for (const dep of deps) {
        const node = this.dependents.get(dep);
        const ref = node?.owners.find((r) => r.uid === m.uid);
        if (ref?.blockOwnerDeletion) blocking++;
        const ds = this.storeOf(dep);
        if (ds) this.queue.add(`dep:${dep}`);
      }
      if (blocking === 0) await this.removeFinalizer(store, namespace, name, m.uid, 'foregroundDeletion');
    }
  }

  private async removeFinalizer(store: Store, namespace: string, name: string, uid: string, finalizer: string): Promise<void> {
    try {
      await guaranteedUpdate(store, namespace, name, gcContext, (o) => {
        if (o['metadata'].uid !== uid) return false;
        const fin: string[] = o['metadata'].finalizers ?? [];
        if (!fin.includes(finalizer)) return false;
        o['metadata'].finalizers = fin.filter((f) => f !== finalizer);
      });
    } catch (e) {
      if ((e as { reason?: string }).reason !== 'NotFound') throw e;
    }
  }

  async reconcile(task: string): Promise<void> {
    if (task.startsWith('dep:')) return this.reconcileDependent(task.slice(4));
    if (task.startsWith('owner:')) return this.reconcileOwner(task.slice(6));
  }

  /** Applies one storage change to the index. */
  apply(kv: KeyValue, deleted: boolean): void {
    if (!this.storeOf(kv.key)) return;
    let obj: Obj | undefined;
    try {
      obj = JSON.parse(kv.value);
    } catch {
      return;
    }
    if (deleted) this.forget(kv.key, obj);
    else if (obj) this.observe(kv.key, obj);
  }

  /** Lists everything once, then follows changes. Resolves when `signal` aborts. */
  async run(signal: AbortSignal, workers = 2): Promise<void> {
    const backend = this.registry.backend;
    let revision = 0;
    let startKey: string | undefined;
    for (;;) {
      const page = await backend.list('/registry/', { revision, startKey, limit: 500 });
      revision = page.revision;
      for (const kv of page.kvs) this.apply(kv, false);
      if (!page.more || page.kvs.length === 0) break;
      startKey = page.kvs[page.kvs.length - 1]!.key + '\u0000';
    }
    const workersDone = runWorkers(this.queue, workers, (t) => this.reconcile(t), (task, err, retry) =>
      log.warn('reconcile failed', { task, err, retry }),
    );
    const onAbort = () => this.queue.shutDown();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        try {
          for await (const batch of backend.watch('/registry/', { afterRevision: revision, signal, maxBuffered: 100_000 })) {
            for (const ev of batch.events) {
              this.apply(ev.type === 'delete' ? ev.prev : ev.kv, ev.type === 'delete');
            }
            revision = batch.revision;
          }
        } catch (e) {
          if (signal.aborted) break;
          log.warn('watch ended; resuming', { err: e });
          await new Promise((r) => setTimeout(r, 1000));
          // On compaction the index is rebuilt by a fresh list (rare; after long stalls only).
          if ((e as { code?: string }).code === 'COMPACTED') return this.restart(signal, workers, workersDone);
        }
      }
    } finally {
      this.queue.shutDown();
      await workersDone;
    }
  }

  private async restart(signal: AbortSignal, workers: number, prev: Promise<void>): Promise<void> {
    this.queue.shutDown();
    await prev;
    const next = new GarbageCollector(this.registry);
    return next.run(signal, workers);
  }
}

