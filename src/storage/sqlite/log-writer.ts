/**
 * The only code that writes the log. It runs wherever the backend puts it
 * (a worker thread by default) and is synchronous: `node:sqlite` is, and a
 * single writer applying ops one after another is what makes each
 * compare-and-swap see every earlier write.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { readCompactedRevision, readReservedRevision, readRevision } from './schema.ts';
import type { RowState, WriteOp, WriteResult, WriterState } from './writer-protocol.ts';

/** Revisions handled per compaction transaction, so writes queued behind it wait briefly. */
export const COMPACT_STEP = 5000;

/**
 * Revisions reserved on disk at a time for deferred writes: one small meta
 * write per this many deferred updates keeps a crash from ever reusing a
 * revision that was handed out but not written.
 */
export const RESERVE_BLOCK = 100_000;

/** A deferred update: applied and announced, not yet on disk. */
interface DeferredRow {
  id: number;
  createRevision: number;
  /** The last durable row of the key (what this row replaces on disk). */
  prevRevision: number;
  value: string;
}

interface LatestRow {
  id: number;
  create_revision: number;
  deleted: number;
  value: string | null;
}

export class LogWriter {
  readonly #db: DatabaseSync;
  readonly #groupCommit: boolean;
  #revision: number;
  #compacted: number;
  readonly #latest: StatementSync;
  readonly #insert: StatementSync;
  readonly #deleteSuperseded: StatementSync;
  readonly #deleteTombstones: StatementSync;
  readonly #setCompacted: StatementSync;
  readonly #setReserved: StatementSync;
  readonly #deleteRow: StatementSync;
  /** Deferred updates by key (newest per key). */
  readonly #deferred = new Map<string, DeferredRow>();
  /** Undo entries for #deferred during a transaction: [key, previous entry]. */
  #undo: [string, DeferredRow | undefined][] = [];
  #reserved: number;

  constructor(db: DatabaseSync, groupCommit: boolean) {
    this.#db = db;
    this.#groupCommit = groupCommit;
    this.#revision = readRevision(db);
    this.#compacted = readCompactedRevision(db);
    this.#reserved = readReservedRevision(db);
    this.#latest = db.prepare('SELECT id, create_revision, deleted, value FROM log WHERE key = ? ORDER BY id DESC LIMIT 1');
    // Ids are given explicitly (always last + 1) so a create can store its own
    // revision as create_revision in the same row; AUTOINCREMENT still records
    // the high-water mark in sqlite_sequence.
    this.#insert = db.prepare('INSERT INTO log (id, key, create_revision, prev_revision, deleted, value) VALUES (?, ?, ?, ?, ?, ?)');
    // Order matters: superseded rows are found through prev_revision, which
    // the tombstones deleted next also carry.
    this.#deleteSuperseded = db.prepare('DELETE FROM log WHERE id IN (SELECT prev_revision FROM log WHERE id > ? AND id <= ? AND prev_revision != 0)');
    this.#deleteTombstones = db.prepare('DELETE FROM log WHERE id > ? AND id <= ? AND deleted = 1');
    this.#setCompacted = db.prepare("UPDATE meta SET value = ? WHERE name = 'compacted_revision'");
    this.#setReserved = db.prepare("UPDATE meta SET value = ? WHERE name = 'reserved_revision'");
    this.#deleteRow = db.prepare('DELETE FROM log WHERE id = ?');
  }

  /** How many deferred updates wait to be written. */
  get deferredCount(): number {
    return this.#deferred.size;
  }

  /**
   * Writes every deferred update to disk in one transaction (in revision
   * order, with their own revisions). A row that lands at or below the
   * compacted revision also removes the row it supersedes, which compaction
   * has already walked past. Returns how many rows were written.
   */
  flushDeferred(): number {
    if (this.#deferred.size === 0) return 0;
    const rows = [...this.#deferred.entries()].sort((a, b) => a[1].id - b[1].id);
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const [key, d] of rows) this.#materialize(key, d);
      this.#db.exec('COMMIT');
    } catch (e) {
      this.#rollback();
      throw e;
    }
    this.#deferred.clear();
    return rows.length;
  }

  #materialize(key: string, d: DeferredRow): void {
    this.#insert.run(d.id, key, d.createRevision, d.prevRevision, 0, d.value);
    if (d.id <= this.#compacted && d.prevRevision !== 0) this.#deleteRow.run(d.prevRevision);
  }

  #setDeferred(key: string, row: DeferredRow | undefined): void {
    this.#undo.push([key, this.#deferred.get(key)]);
    if (row) this.#deferred.set(key, row);
    else this.#deferred.delete(key);
  }

  get state(): WriterState {
    return { revision: this.#revision, compactedRevision: this.#compacted };
  }

  /**
   * Applies ops in order and commits. With group commit they share one
   * transaction (one WAL sync); if that transaction fails, each op is retried
   * alone so one bad op cannot fail its neighbours.
   */
  apply(ops: readonly WriteOp[]): WriteResult[] {
    if (this.#groupCommit && ops.length > 1) {
      try {
        return this.#transact(ops);
      } catch {
        // fall through to one transaction per op
      }
    }
    return ops.map((op) => {
      try {
        return this.#transact([op])[0]!;
      } catch (e) {
        return { ok: false, fault: e instanceof Error ? e.message : String(e) };
      }
    });
  }

  /** Compacts at most COMPACT_STEP revisions towards `target` in one transaction. */
  compactStep(target: number): number {
    if (target > this.#revision) throw new Error(`cannot compact to ${target}: current revision is ${this.#revision}`);
    const lo = this.#compacted;
    if (target <= lo) return lo;
    const hi = Math.min(target, lo + COMPACT_STEP);
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      this.#deleteSuperseded.run(lo, hi);
      this.#deleteTombstones.run(lo, hi);
      this.#setCompacted.run(hi);
      this.#db.exec('COMMIT');
    } catch (e) {
      this.#rollback();
      throw e;
    }
    this.#compacted = hi;
    return hi;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #transact(ops: readonly WriteOp[]): WriteResult[] {
    const start = this.#revision;
    const reserved = this.#reserved;
    this.#undo = [];
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const results = ops.map((op) => this.#applyOne(op));
      this.#db.exec('COMMIT');
      return results;
    } catch (e) {
      this.#revision = start;
      this.#reserved = reserved;
      for (let i = this.#undo.length - 1; i >= 0; i--) {
        const [key, prev] = this.#undo[i]!;
        if (prev) this.#deferred.set(key, prev);
        else this.#deferred.delete(key);
      }
      this.#rollback();
      throw e;
    }
  }

  #rollback(): void {
    try {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
    } catch {
      // SQLite may already have rolled back on an I/O error; nothing left to undo.
    }
  }

  #applyOne(op: WriteOp): WriteResult {
    const deferred = this.#deferred.get(op.key);
    let live: RowState | undefined;
    if (deferred) live = { revision: deferred.id, createRevision: deferred.createRevision, value: deferred.value };
    else {
      const row = this.#latest.get(op.key) as LatestRow | undefined;
      live = row && row.deleted === 0 ? { revision: row.id, createRevision: row.create_revision, value: row.value ?? '' } : undefined;
    }
    if (op.kind === 'update' && op.deferred) {
      if (!live || live.revision !== op.expected) return { ok: false, current: live };
      const revision = ++this.#revision;
      if (revision > this.#reserved) {
        this.#reserved = revision + RESERVE_BLOCK;
        this.#setReserved.run(this.#reserved);
      }
      this.#setDeferred(op.key, { id: revision, createRevision: live.createRevision, prevRevision: deferred ? deferred.prevRevision : live.revision, value: op.value });
      return { ok: true, revision, createRevision: live.createRevision, prev: live };
    }
    // A durable write to a key with a deferred update writes that update first,
    // so this row's prev_revision names a row that exists.
    const succeeds =
      op.kind === 'update' ? live?.revision === op.expected : op.kind === 'delete' ? live !== undefined && (op.expected === undefined || live.revision === op.expected) : false;
    if (deferred && succeeds) {
      this.#materialize(op.key, deferred);
      this.#setDeferred(op.key, undefined);
    }
    switch (op.kind) {
      case 'create': {
        if (live) return { ok: false, current: live };
        const revision = ++this.#revision;
        this.#insert.run(revision, op.key, revision, 0, 0, op.value);
        return { ok: true, revision, createRevision: revision, prev: undefined };
      }
      case 'update': {
        if (!live || live.revision !== op.expected) return { ok: false, current: live };
        const revision = ++this.#revision;
        this.#insert.run(revision, op.key, live.createRevision, live.revision, 0, op.value);
        return { ok: true, revision, createRevision: live.createRevision, prev: live };
      }
      case 'delete': {
        if (!live || (op.expected !== undefined && live.revision !== op.expected)) return { ok: false, current: live };
        const revision = ++this.#revision;
        this.#insert.run(revision, op.key, live.createRevision, live.revision, 1, null);
        return { ok: true, revision, createRevision: live.createRevision, prev: live };
      }
    }
  }
}

/**
 * Compacts to `target` step by step, yielding to the event loop between
 * steps so writes queued meanwhile are committed without waiting for the
 * whole compaction.
 */
export async function compactTo(writer: LogWriter, target: number): Promise<number> {
  let compacted = writer.compactStep(target);
  while (compacted < target) {
    await nextTurn();
    compacted = writer.compactStep(target);
  }
  return compacted;
}
