/**
 * Watch for a Store: turns storage change batches into Kubernetes watch
 * events for one request, as upstream's watch cache does:
 * - resourceVersion "" or "0": synthetic ADDED for every current object, then changes;
 * - resourceVersion N: the changes after N (410 Expired if N was compacted);
 * - sendInitialEvents=true: initial ADDEDs, then a BOOKMARK marking their end;
 * - an update that moves an object out of (into) the selector is DELETED (ADDED).
 *
 * Fan-out to many watchers is the hot path, so events of stored changes are
 * shared: one immutable StoredEvent per (revision, type), whose object is
 * decoded only if someone asks (a selector or a Table), and which carries
 * its encoded frames for the HTTP layer. Events arrive in batches, one per
 * storage batch, so a watcher costs one await per batch, not per event.
 */
import { errors } from '../api/errors.ts';
import { isStorageError, type KeyValue } from '../storage/backend.ts';
import { listPrefix, parseRV, type Store } from './store.ts';
import type { ApiWatchEvent, Obj, WatchEventType, WatchOptions } from './types.ts';

/** The event of one stored change, shared by every watcher that sees it with this type. */
export class StoredEvent implements ApiWatchEvent {
  readonly type: WatchEventType;
  readonly kv: KeyValue;
  readonly store: Store;
  private decoded?: Obj;
  /** Encoded frames, filled by the HTTP layer (one per response shape), as bytes every watcher writes as is. */
  frames: Record<string, Buffer> = {};

  constructor(type: WatchEventType, kv: KeyValue, store: Store) {
    this.type = type;
    this.kv = kv;
    this.store = store;
  }

  /** The object (read-only: shared by all watchers). */
  get object(): Obj {
    return (this.decoded ??= this.store.fromKV(this.kv));
  }
}

type Shared = { ADDED?: StoredEvent; MODIFIED?: StoredEvent; DELETED?: StoredEvent };
const shared = new WeakMap<KeyValue, Shared>();

function storedEvent(store: Store, type: 'ADDED' | 'MODIFIED' | 'DELETED', kv: KeyValue): StoredEvent {
  let s = shared.get(kv);
  if (!s) shared.set(kv, (s = {}));
  return (s[type] ??= new StoredEvent(type, kv, store));
}

/** The object of a stored row, decoded once for all watchers. */
function objectOf(store: Store, kv: KeyValue): Obj {
  return storedEvent(store, 'MODIFIED', kv).object;
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

/** An opened watch: event batches pushed to the consumer. */
export interface ApiWatch {
  /**
   * Calls `onEvents` with each batch (initial events first), synchronously
   * with the storage flush once caught up. Resolves when the watch ends
   * (signal, or a watcher dropped for being too slow); an expired start
   * revision arrives as an ERROR event first.
   */
  pump(onEvents: (events: ApiWatchEvent[]) => void): Promise<void>;
}

/**
 * Opens a watch: checks the parameters and reads the initial state (errors
 * here are thrown, so the caller can still answer with a Status), then
 * returns the watch to pump.
 */
export async function openWatch(store: Store, namespace: string, opts: WatchOptions, signal: AbortSignal): Promise<ApiWatch> {
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
  // Without selectors every change passes: no object is decoded for this watcher.
  const all = sel.label.empty && sel.field.empty;
  const matches = (kv: KeyValue) => all || store.matches(objectOf(store, kv), sel);
  const convert = (events: readonly import('../storage/backend.ts').WatchEvent[]): ApiWatchEvent[] => {
    const out: ApiWatchEvent[] = [];
    for (const ev of events) {
      if (ev.type === 'create') {
        if (matches(ev.kv)) out.push(storedEvent(store, 'ADDED', ev.kv));
      } else if (ev.type === 'delete') {
        if (matches(ev.prev)) out.push(storedEvent(store, 'DELETED', ev.kv));
      } else {
        const now = matches(ev.kv);
        const before = all || matches(ev.prev);
        if (now && before) out.push(storedEvent(store, 'MODIFIED', ev.kv));
        else if (now) out.push(storedEvent(store, 'ADDED', ev.kv));
        else if (before) out.push(storedEvent(store, 'DELETED', ev.kv));
      }
    }
    return out;
  };
  return {
    async pump(onEvents) {
      if (initial.length) onEvents(initial);
      const changes = store.deps.backend.watch(listPrefix(store.info, namespace), {
        afterRevision: after,
        signal,
        progressIntervalMs: opts.allowWatchBookmarks ? bookmarkIntervalMs : undefined,
      });
      try {
        await changes.pump((batch) => {
          if (batch.events.length === 0) {
            if (opts.allowWatchBookmarks) onEvents([bookmark(store, batch.revision)]);
            return;
          }
          const out = convert(batch.events);
          if (out.length) onEvents(out);
        });
      } catch (e) {
        if (isStorageError(e, 'COMPACTED')) {
          onEvents([expired(`too old resource version: ${after} (${(e.compactedRevision ?? after) + 1})`)]);
          return;
        }
        // A watcher that fell too far behind is dropped; the client re-watches from its last version.
        if (isStorageError(e, 'WATCHER_TOO_SLOW') || signal.aborted) return;
        throw e;
      }
    },
  };
}
