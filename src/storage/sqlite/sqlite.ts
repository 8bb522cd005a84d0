/**
 * The default storage backend: a log-structured key-value store in one
 * SQLite file, on Node's built-in `node:sqlite`. See ../README.md for why it
 * is shaped this way.
 *
 * Threads: reads run synchronously on the caller's thread over a read-only
 * connection; writes go to a single log writer (a worker thread by default)
 * and come back as results, which are published to watchers before the
 * writer's callers see them.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  StorageError,
  type Backend,
  type CreateResult,
  type DeleteResult,
  type KeyValue,
  type ListOptions,
  type UpdateResult,
  type WatchBatch,
  type WatchEvent,
  type WatchOptions,
  type Watch,
} from '../backend.ts';
import { Broadcaster } from '../broadcaster.ts';
import { DEFAULT_COMPACT_INTERVAL_MS, startCompactor, type Compactor } from '../compactor.ts';
import { logger } from '../../util/log.ts';
import { LogReader } from './log-reader.ts';
import { openReaderDb } from './schema.ts';
import { openInlineWriter, openThreadWriter, type WriterHooks, type WriterHost } from './writer-host.ts';
import type { RowState, WriteOp, WriteResult } from './writer-protocol.ts';

const log = logger('storage').child('sqlite');

/** Events read from disk per watch-replay page. */
const HISTORY_PAGE = 1000;

export interface SqliteBackendOptions {
  /** Database file; its directory is created if missing. */
  path: string;
  /** FULL (default): every acknowledged write survives power loss. NORMAL: survives a process crash only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** Commit writes that arrive together in one transaction (default true). */
  groupCommit?: boolean;
  /** Where the log writer runs (default 'thread'; see writer-host.ts). */
  writer?: 'thread' | 'inline';
  /** Compaction interval (default 5 minutes); 0 turns the built-in compactor off. */
  compactIntervalMs?: number;
  /** How often deferred updates are written to disk when there are any (default 10 minutes). */
  deferredFlushMs?: number;
}

/** Deferred updates reach disk at least this often (when there are any). */
export const DEFAULT_DEFERRED_FLUSH_MS = 10 * 60_000;

/** Opens (creating if needed) a SQLite-backed store. Fails with UNAVAILABLE if the file cannot be opened. */
export async function openSqliteBackend(opts: SqliteBackendOptions): Promise<Backend> {
  const config = { path: opts.path, synchronous: opts.synchronous ?? 'FULL', groupCommit: opts.groupCommit ?? true } as const;
  try {
    mkdirSync(dirname(opts.path), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StorageError('UNAVAILABLE', `cannot create the directory for ${opts.path}`, { cause: e });
  }
  // The writer is created first (it creates the schema and switches on WAL);
  // its results need the backend, which needs the writer: hence the late bind.
  let backend: SqliteBackend | undefined;
  const hooks: WriterHooks = {
    committed: (ops, results) => backend!.committed(ops, results),
    broken: (error) => backend?.broken(error),
  };
  let host: WriterHost;
  try {
    host = opts.writer === 'inline' ? openInlineWriter(config, hooks) : await openThreadWriter(config, hooks);
  } catch (e) {
    throw e instanceof StorageError ? e : new StorageError('UNAVAILABLE', `cannot open sqlite database ${opts.path}`, { cause: e });
  }
  let reader: LogReader;
  try {
    reader = new LogReader(openReaderDb(opts.path));
  } catch (e) {
    await host.close();
    throw new StorageError('UNAVAILABLE', `cannot open sqlite database ${opts.path} for reading`, { cause: e });
  }
  backend = new SqliteBackend(reader, host, opts.deferredFlushMs ?? DEFAULT_DEFERRED_FLUSH_MS);
  const interval = opts.compactIntervalMs ?? DEFAULT_COMPACT_INTERVAL_MS;
  if (interval > 0) backend.compactor = startCompactor(backend, { intervalMs: interval, log: log.child('compactor') });
  log.debug('opened', { path: opts.path, revision: host.initial.revision, compacted: host.initial.compactedRevision });
  return backend;
}

const kvOf = (key: string, row: RowState): KeyValue => ({ key, value: row.value, createRevision: row.createRevision, modRevision: row.revision });

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') throw new StorageError('NOT_SUPPORTED', 'keys must be non-empty strings');
}

function checkValue(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new StorageError('NOT_SUPPORTED', 'values must be strings');
}

function checkRevision(revision: unknown, what: string): asserts revision is number {
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) {
    throw new StorageError('NOT_SUPPORTED', `${what} must be a non-negative integer`);
  }
}

class SqliteBackend implements Backend {
  readonly #reader: LogReader;
  readonly #host: WriterHost;
  readonly #broadcaster: Broadcaster;
  /** Newest revision whose results were published: reads are taken at it. */
  #revision: number;
  /** Raised before the writer starts deleting, so no read can see a half-compacted past. */
  #compacted: number;
  #closed = false;
  /** Set when the writer died: every call fails with it from then on. */
  #failure: StorageError | undefined;
  compactor: Compactor | undefined;
  /** The newest deferred (not yet written) value of each key that has one; reads prefer it when newer. */
  readonly #deferred = new Map<string, KeyValue>();
  /** A deferred update happened since the last flush. */
  #deferredDirty = false;
  readonly #flushTimer: NodeJS.Timeout | undefined;

  constructor(reader: LogReader, host: WriterHost, deferredFlushMs: number) {
    this.#reader = reader;
    this.#host = host;
    this.#revision = host.initial.revision;
    this.#compacted = host.initial.compactedRevision;
    this.#broadcaster = new Broadcaster(this.#revision);
    if (deferredFlushMs > 0) {
      this.#flushTimer = setInterval(() => void this.flushDeferred().catch((e) => log.warn('writing deferred updates failed', { err: e })), deferredFlushMs);
      this.#flushTimer.unref();
    }
  }

  /** Writes deferred updates now; nothing at all when there are none. */
  async flushDeferred(): Promise<number> {
    if (!this.#deferredDirty || this.#closed) return 0;
    this.#deferredDirty = false;
    return this.#host.flush();
  }

  /** The deferred value of a key if it is newer than `kv` and visible at `revision`. */
  #withDeferred(key: string, kv: KeyValue | undefined, revision: number): KeyValue | undefined {
    const d = this.#deferred.get(key);
    if (!d || d.modRevision > revision || (kv && kv.modRevision >= d.modRevision)) return kv;
    return d;
  }

  async currentRevision(): Promise<number> {
    this.#checkOpen();
    return this.#revision;
  }

  async compactedRevision(): Promise<number> {
    this.#checkOpen();
    return this.#compacted;
  }

  async get(key: string, opts?: { revision?: number }): Promise<{ revision: number; kv: KeyValue | undefined }> {
    this.#checkOpen();
    const revision = this.#readRevision(opts?.revision);
    const kv = this.#reader.get(key, revision);
    return { revision, kv: this.#deferred.size ? this.#withDeferred(key, kv, revision) : kv };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<{ revision: number; kvs: KeyValue[]; more: boolean }> {
    this.#checkOpen();
    const revision = this.#readRevision(opts.revision);
    if (opts.limit !== undefined) checkRevision(opts.limit, 'limit');
    const res = this.#reader.list(prefix, revision, opts.startKey, opts.limit ?? 0);
    // Deferred updates change values, never which keys exist.
    if (this.#deferred.size) res.kvs = res.kvs.map((kv) => this.#withDeferred(kv.key, kv, revision)!);
    return { revision, ...res };
  }

  async count(prefix: string): Promise<{ revision: number; count: number }> {
    this.#checkOpen();
    const revision = this.#revision;
    return { revision, count: this.#reader.count(prefix, revision) };
  }

  async create(key: string, value: string): Promise<CreateResult> {
    checkKey(key);
    checkValue(value);
    const r = await this.#write({ kind: 'create', key, value });
    if (r.ok) return { ok: true, kv: { key, value, createRevision: r.createRevision, modRevision: r.revision } };
    return { ok: false, current: kvOf(key, r.current!) };
  }

  async update(key: string, value: string, expectedRevision: number, opts?: { deferred?: boolean }): Promise<UpdateResult> {
    checkKey(key);
    checkValue(value);
    checkRevision(expectedRevision, 'expectedRevision');
    const op: WriteOp = { kind: 'update', key, value, expected: expectedRevision };
    if (opts?.deferred) op.deferred = true;
    const r = await this.#write(op);
    if (r.ok) return { ok: true, kv: { key, value, createRevision: r.createRevision, modRevision: r.revision }, prev: kvOf(key, r.prev!) };
    return { ok: false, current: r.current && kvOf(key, r.current) };
  }

  async delete(key: string, expectedRevision?: number): Promise<DeleteResult> {
    checkKey(key);
    if (expectedRevision !== undefined) checkRevision(expectedRevision, 'expectedRevision');
    const r = await this.#write({ kind: 'delete', key, expected: expectedRevision });
    if (r.ok) {
      const prev = kvOf(key, r.prev!);
      return { ok: true, kv: { ...prev, modRevision: r.revision }, prev };
    }
    return { ok: false, current: r.current && kvOf(key, r.current) };
  }

  watch(prefix: string, opts: WatchOptions): Watch {
    let after: number;
    try {
      this.#checkOpen();
      checkRevision(opts.afterRevision, 'afterRevision');
      after = opts.afterRevision === 0 ? this.#revision : opts.afterRevision;
      if (after > this.#revision) throw this.#revisionError('FUTURE_REVISION', after);
      if (after < this.#compacted) throw this.#revisionError('COMPACTED', after);
    } catch (e) {
      return failed(e);
    }
    return this.#broadcaster.subscribe(prefix, {
      afterRevision: after,
      signal: opts.signal,
      maxBuffered: opts.maxBuffered,
      progressIntervalMs: opts.progressIntervalMs,
      backfill: (from, upTo) => this.#history(prefix, from, upTo),
    });
  }

  async compact(revision: number): Promise<number> {
    this.#checkOpen();
    checkRevision(revision, 'revision');
    if (revision > this.#revision) throw this.#revisionError('FUTURE_REVISION', revision);
    if (revision <= this.#compacted) return this.#compacted;
    this.#compacted = revision;
    await this.#host.compact(revision);
    return revision;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.compactor?.stop();
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    this.#broadcaster.close(new StorageError('UNAVAILABLE', 'the storage backend was closed'));
    // The reader goes first so the writer's connection is the last one and
    // checkpoints the WAL back into the database file on close.
    this.#reader.close();
    await this.#host.close();
  }

  /** Called by the writer host with each batch's results, before the callers get them. */
  committed(ops: readonly WriteOp[], results: readonly WriteResult[]): void {
    const events: WatchEvent[] = [];
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (!r.ok) continue;
      const op = ops[i]!;
      const kv: KeyValue = { key: op.key, value: op.kind === 'delete' ? r.prev!.value : op.value, createRevision: r.createRevision, modRevision: r.revision };
      if (op.kind === 'create') events.push({ type: 'create', kv });
      else events.push({ type: op.kind, kv, prev: kvOf(op.key, r.prev!) });
      if (op.kind === 'update' && op.deferred) {
        this.#deferred.set(op.key, kv);
        this.#deferredDirty = true;
      } else this.#deferred.delete(op.key);
      if (r.revision > this.#revision) this.#revision = r.revision;
    }
    if (events.length > 0) this.#broadcaster.publish(events, this.#revision);
  }

  /** Called by the writer host when the writer died unexpectedly. */
  broken(error: StorageError): void {
    log.error('sqlite writer failed; the backend is unavailable', { error: error.cause ?? error });
    this.#failure = error;
    this.#broadcaster.close(error);
  }

  async #write(op: WriteOp): Promise<Exclude<WriteResult, { fault: string }>> {
    this.#checkOpen();
    const r = await this.#host.write(op);
    if ('fault' in r) throw new StorageError('UNAVAILABLE', `write to ${op.key} failed: ${r.fault}`);
    return r;
  }

  #history(prefix: string, after: number, upTo: number): WatchBatch {
    this.#checkOpen();
    if (after < this.#compacted) throw this.#revisionError('COMPACTED', after);
    const events = this.#reader.history(prefix, after, upTo, HISTORY_PAGE);
    const revision = events.length === HISTORY_PAGE ? events[HISTORY_PAGE - 1]!.kv.modRevision : upTo;
    return { events, revision };
  }

  #readRevision(requested: number | undefined): number {
    if (requested === undefined || requested === 0) return this.#revision;
    checkRevision(requested, 'revision');
    if (requested > this.#revision) throw this.#revisionError('FUTURE_REVISION', requested);
    if (requested < this.#compacted) throw this.#revisionError('COMPACTED', requested);
    return requested;
  }

  #revisionError(code: 'COMPACTED' | 'FUTURE_REVISION', revision: number): StorageError {
    const detail = code === 'COMPACTED' ? `compacted to ${this.#compacted}` : `current revision is ${this.#revision}`;
    return new StorageError(code, `revision ${revision}: ${detail}`, { compactedRevision: this.#compacted, currentRevision: this.#revision });
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError('UNAVAILABLE', 'the storage backend is closed');
    if (this.#failure) throw this.#failure;
  }
}

/** A watch that fails on its first read (watch() itself returns, never throws). */
/** A watch that fails on first use, by either reading style. */
function failed(error: unknown): Watch {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.reject(error),
    }),
    pump: () => Promise.reject(error),
  };
}
