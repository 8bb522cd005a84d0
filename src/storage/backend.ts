/**
 * The storage seam, shaped like kine's: a versioned key-value store whose
 * every write gets the next store-wide revision. The apiserver keeps API
 * objects here under `/registry/...` keys, uses revisions as
 * `resourceVersion`s, and serves watches from `watch()`.
 *
 * Every implementation (sqlite now, etcd for HA later) must pass the shared
 * conformance suite in `backend.suite.ts`.
 *
 * Conventions:
 * - Expected outcomes are values: a create on an existing key or an update
 *   with a stale revision returns `{ ok: false, current }`; it does not throw.
 * - Faults throw `StorageError` with a code (see below).
 * - Values are opaque strings (the apiserver stores JSON text).
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created this key (since it last did not exist). */
  createRevision: number;
  /** Revision of the write that produced this value. */
  modRevision: number;
}

export type WatchEvent =
  | { type: 'create'; kv: KeyValue }
  /** `prev` is the value before this write: watchers need it to notice objects leaving a selector. */
  | { type: 'update'; kv: KeyValue; prev: KeyValue }
  /** `kv` is the last value, with `modRevision` set to the deleting revision; `prev` is that last value as stored. */
  | { type: 'delete'; kv: KeyValue; prev: KeyValue };

export interface WatchBatch {
  /** Events in revision order, all with `kv.modRevision <= revision`. May be empty (a progress report). */
  events: WatchEvent[];
  /**
   * Every event for this watch's prefix with a revision up to and including
   * this one has been delivered (in this batch or an earlier one). The
   * apiserver uses it for BOOKMARK events.
   */
  revision: number;
}

export interface WatchOptions {
  /** Deliver events with revision strictly greater than this. 0 means "from now". */
  afterRevision: number;
  /** Ends the watch; the iterator then finishes normally. */
  signal?: AbortSignal;
  /**
   * Bound on undelivered events buffered for this watcher. When exceeded the
   * watcher is dropped: the iterator throws StorageError('WATCHER_TOO_SLOW').
   * Writers are never slowed by a watcher.
   */
  maxBuffered?: number;
  /** Ask for an empty progress batch at least this often while idle (ms). */
  progressIntervalMs?: number;
}

/**
 * A watch, read either by iteration or by push. Iteration suits a few
 * consumers; push (`pump`) suits fan-out to many, since a live batch then
 * reaches each watcher synchronously from the writer's flush, with no
 * promise per watcher. Use one or the other, once.
 */
export interface Watch extends AsyncIterable<WatchBatch> {
  /**
   * Calls `onBatch` with every batch, in order: history first (async), then
   * live batches as they are flushed. Resolves when the watch ends (signal,
   * or `return`), rejects with its StorageError. In push mode the bounded
   * buffer no longer applies: the consumer must bound what it holds.
   */
  pump(onBatch: (batch: WatchBatch) => void): Promise<void>;
}

export type CreateResult = { ok: true; kv: KeyValue } | { ok: false; current: KeyValue };
export type UpdateResult = { ok: true; kv: KeyValue; prev: KeyValue } | { ok: false; current: KeyValue | undefined };
export type DeleteResult = { ok: true; kv: KeyValue; prev: KeyValue } | { ok: false; current: KeyValue | undefined };

export interface ListOptions {
  /** Read as of this revision (0 or absent: the latest). Throws COMPACTED if older than the compacted revision. */
  revision?: number;
  /** Only keys >= startKey (for continue tokens). */
  startKey?: string;
  /** At most this many results; `more` tells whether more exist. 0 or absent: no limit. */
  limit?: number;
}

export interface Backend {
  /** Revision of the latest write (0 for an empty store). */
  currentRevision(): Promise<number>;
  /** Revision at or below which history has been discarded. */
  compactedRevision(): Promise<number>;

  get(key: string, opts?: { revision?: number }): Promise<{ revision: number; kv: KeyValue | undefined }>;
  /** Keys starting with `prefix`, in key order. `revision` in the result is the revision the list was read at. */
  list(prefix: string, opts?: ListOptions): Promise<{ revision: number; kvs: KeyValue[]; more: boolean }>;
  count(prefix: string): Promise<{ revision: number; count: number }>;

  /** Creates `key` if absent. */
  create(key: string, value: string): Promise<CreateResult>;
  /**
   * Replaces the value if the key's modRevision equals `expectedRevision`.
   *
   * `deferred` (for heartbeats such as node Lease renewals, which would
   * otherwise write to flash every few seconds): the new value gets its
   * revision and is visible to reads and live watches at once, but reaches
   * disk later (periodically, on close, or with the next durable write to the
   * key). A crash loses it, and the key then reads as its last durable value;
   * revisions are never reused. Watches replayed from disk do not see
   * unwritten deferred changes. Backends without the notion write at once.
   */
  update(key: string, value: string, expectedRevision: number, opts?: { deferred?: boolean }): Promise<UpdateResult>;
  /** Deletes the key; with `expectedRevision`, only if its modRevision matches. */
  delete(key: string, expectedRevision?: number): Promise<DeleteResult>;

  /** Changes under `prefix` after `opts.afterRevision`. Fails with COMPACTED if that revision is compacted. */
  watch(prefix: string, opts: WatchOptions): Watch;

  /** Discards history at or below `revision` (never the latest value of a live key). Returns the compacted revision. */
  compact(revision: number): Promise<number>;
  close(): Promise<void>;
}

export type StorageErrorCode =
  /** The requested revision was discarded by compaction. */
  | 'COMPACTED'
  /** The requested revision is newer than the store's current one. */
  | 'FUTURE_REVISION'
  /** A watcher fell too far behind and was dropped. */
  | 'WATCHER_TOO_SLOW'
  /** The backend is closed or cannot be reached. */
  | 'UNAVAILABLE'
  /** The request has a shape this backend does not support. */
  | 'NOT_SUPPORTED';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  /** For COMPACTED/FUTURE_REVISION: the store's compacted and current revisions. */
  readonly compactedRevision?: number;
  readonly currentRevision?: number;
  constructor(code: StorageErrorCode, message: string, extra?: { compactedRevision?: number; currentRevision?: number; cause?: unknown }) {
    super(message, extra?.cause !== undefined ? { cause: extra.cause } : undefined);
    this.name = 'StorageError';
    this.code = code;
    this.compactedRevision = extra?.compactedRevision;
    this.currentRevision = extra?.currentRevision;
  }
}

export function isStorageError(e: unknown, code?: StorageErrorCode): e is StorageError {
  return e instanceof StorageError && (code === undefined || e.code === code);
}
