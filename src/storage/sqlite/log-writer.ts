/**
 * The only code that writes the log. It runs wherever the backend puts it
 * (a worker thread by default) and is synchronous: `node:sqlite` is, and a
 * single writer applying ops one after another is what makes each
 * compare-and-swap see every earlier write.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { readCompactedRevision, readRevision } from './schema.ts';
import type { RowState, WriteOp, WriteResult, WriterState } from './writer-protocol.ts';

/** Revisions handled per compaction transaction, so writes queued behind it wait briefly. */
export const COMPACT_STEP = 5000;

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

  constructor(db: DatabaseSync, groupCommit: boolean) {
    this.#db = db;
    this.#groupCommit = groupCommit;
    this.#revision = readRevision(db);
    this.#compacted = readCompactedRevision(db);
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
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const results = ops.map((op) => this.#applyOne(op));
      this.#db.exec('COMMIT');
      return results;
    } catch (e) {
      this.#revision = start;
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
    const row = this.#latest.get(op.key) as LatestRow | undefined;
    const live: RowState | undefined =
      row && row.deleted === 0 ? { revision: row.id, createRevision: row.create_revision, value: row.value ?? '' } : undefined;
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
