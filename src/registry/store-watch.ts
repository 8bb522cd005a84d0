/**
 * Watch for a Store: turns storage change batches into Kubernetes watch
 * events for one request, as upstream's watch cache does:
 * - resourceVersion "" or "0": synthetic ADDED for every current object, then changes;
 * - resourceVersion N: the changes after N (410 Expired if N was compacted);
 * - sendInitialEvents=true: initial ADDEDs, then a BOOKMARK marking their end;
 * - an update that moves an object out of (into) the selector is DELETED (ADDED).
 *
 * Decoded objects are cached per stored revision and shared by all watchers,
 * so fan-out to many watchers parses each change once. Shared objects are
 * read-only for consumers.
 */
import { errors } from '../api/errors.ts';
import { isStorageError, type KeyValue } from '../storage/backend.ts';
import { listPrefix, parseRV, type Store } from './store.ts';
import type { ApiWatchEvent, Obj, WatchOptions } from './types.ts';

const caches = new WeakMap<Store, WeakMap<KeyValue, Obj>>();

function decoded(store: Store, kv: KeyValue): Obj {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new WeakMap()));
  let obj = cache.get(kv);
  if (!obj) {
    obj = store.fromKV(kv);
    cache.set(kv, obj);
  }
  return obj;
}

/** How often idle watches with bookmarks enabled get one (upstream sends about one a minute). */
export const bookmarkIntervalMs = 60_000;

function bookmark(store: Store, revision: number, initialEventsEnd = false): ApiWatchEvent {
  const metadata: Obj = { resourceVersion: String(revision) };
  if (initialEventsEnd) metadata['annotations'] = { 'k8s.io/initial-events-end': 'true' };
  return { type: 'BOOKMARK', object: { kind: store.info.kind, apiVersion: store.apiVersion, metadata } };
}

function expired(message: string): ApiWatchEvent {
  return { type: 'ERROR', object: errors.expired(message).toStatus() };
}

/**
 * Opens a watch: checks the parameters and reads the initial state (errors
 * here are thrown, so the caller can still answer with a Status), then
 * returns the stream of events.
 */
export async function openWatch(store: Store, namespace: string, opts: WatchOptions, signal: AbortSignal): Promise<AsyncGenerator<ApiWatchEvent>> {
  const sel = store.selectors(opts.labelSelector, opts.fieldSelector);
  const rv = opts.resourceVersion ?? '';
  const initial: ApiWatchEvent[] = [];
  let after: number;
  if (opts.sendInitialEvents !== undefined) {
    if (!opts.allowWatchBookmarks) throw errors.invalid('meta.k8s.io', 'ListOptions', '', [
      { type: 'FieldValueForbidden', field: 'allowWatchBookmarks', message: 'Forbidden: allowWatchBookmarks required when sendInitialEvents is specified' },
    ]);
    if (opts.resourceVersionMatch !== 'NotOlderThan') throw errors.invalid('meta.k8s.io', 'ListOptions', '', [
      { type: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' },
    ]);
  }
  if (opts.sendInitialEvents === true || ((rv === '' || rv === '0') && opts.sendInitialEvents === undefined)) {
    const list = await store.list(namespace, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, resourceVersion: rv });
    for (const item of list.items) initial.push({ type: 'ADDED', object: item });
    after = Number(list.resourceVersion);
    if (opts.sendInitialEvents === true) initial.push(bookmark(store, after, true));
  } else if (rv === '' || rv === '0') {
    after = await store.deps.backend.currentRevision();
  } else {
    after = parseRV(rv);
  }
  return stream(store, namespace, opts, signal, sel, initial, after);
}

async function* stream(
  store: Store,
  namespace: string,
  opts: WatchOptions,
  signal: AbortSignal,
  sel: ReturnType<Store['selectors']>,
  initial: ApiWatchEvent[],
  after: number,
): AsyncGenerator<ApiWatchEvent> {
  yield* initial;
  const prefix = listPrefix(store.info, namespace);
  const stream = store.deps.backend.watch(prefix, {
    afterRevision: after,
    signal,
    progressIntervalMs: opts.allowWatchBookmarks ? bookmarkIntervalMs : undefined,
  });
  try {
    for await (const batch of stream) {
      if (batch.events.length === 0) {
        if (opts.allowWatchBookmarks) yield bookmark(store, batch.revision);
        continue;
      }
      for (const ev of batch.events) {
        const obj = decoded(store, ev.kv);
        const now = store.matches(obj, sel);
        if (ev.type === 'create') {
          if (now) yield { type: 'ADDED', object: obj, cacheKey: ev.kv };
        } else if (ev.type === 'delete') {
          if (store.matches(decoded(store, ev.prev), sel)) yield { type: 'DELETED', object: obj, cacheKey: ev.kv };
        } else {
          const before = store.matches(decoded(store, ev.prev), sel);
          if (now && before) yield { type: 'MODIFIED', object: obj, cacheKey: ev.kv };
          else if (now) yield { type: 'ADDED', object: obj, cacheKey: ev.kv };
          else if (before) yield { type: 'DELETED', object: obj, cacheKey: ev.kv };
        }
      }
    }
  } catch (e) {
    if (isStorageError(e, 'COMPACTED')) {
      yield expired(`too old resource version: ${after} (${(e.compactedRevision ?? after) + 1})`);
      return;
    }
    // A watcher that fell too far behind is dropped; the client re-watches from its last version.
    if (isStorageError(e, 'WATCHER_TOO_SLOW')) return;
    if (signal.aborted) return;
    throw e;
  }
}
