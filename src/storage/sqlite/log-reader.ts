/**
 * Read queries over the log, on the backend's own (read-only) connection.
 *
 * Every query is bounded by an explicit revision (`id <= ?`), never "whatever
 * is newest on disk": the backend reads at the revision it has published, so
 * a list's revision and the watch that follows it line up exactly even while
 * the writer thread is committing.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { KeyValue, WatchEvent } from '../backend.ts';
import { prefixEnd } from '../key-range.ts';

/**
 * "The newest row of its key at revision R" is a row with no later row of the
 * same key at or below R. Written as NOT EXISTS (a probe of the key+id index)
 * so SQLite walks keys in index order: no sort, and LIMIT stops the scan early.
 */
const latestAt = (bounded: boolean) => `
  FROM log l
  WHERE l.key >= ?1 ${bounded ? 'AND l.key < ?2' : ''} AND l.id <= ?3 AND l.deleted = 0
    AND NOT EXISTS (SELECT 1 FROM log n WHERE n.key = l.key AND n.id > l.id AND n.id <= ?3)`;

/** History in revision order with each row's predecessor, for watch replay. */
const historySql = (bounded: boolean) => `
  SELECT l.id, l.key, l.create_revision, l.prev_revision, l.deleted, l.value,
         p.create_revision AS prev_create_revision, p.value AS prev_value
  FROM log l LEFT JOIN log p ON p.id = l.prev_revision
  WHERE l.id > ?1 AND l.id <= ?2 AND +l.key >= ?3 ${bounded ? 'AND +l.key < ?4' : ''}
  ORDER BY l.id LIMIT ?5`;

type ListRow = [key: string, value: string, createRevision: number, modRevision: number];

interface HistoryRow {
  id: number;
  key: string;
  create_revision: number;
  prev_revision: number;
  deleted: number;
  value: string | null;
  prev_create_revision: number | null;
  prev_value: string | null;
}

/** One prepared statement per shape: with and without an upper key bound. */
class Variants {
  readonly #db: DatabaseSync;
  readonly #sql: (bounded: boolean) => string;
  readonly #cache = new Map<boolean, StatementSync>();
  readonly #arrays: boolean;
  constructor(db: DatabaseSync, sql: (bounded: boolean) => string, arrays = false) {
    this.#db = db;
    this.#sql = sql;
    this.#arrays = arrays;
  }
  get(bounded: boolean): StatementSync {
    let stmt = this.#cache.get(bounded);
    if (!stmt) {
      stmt = this.#db.prepare(this.#sql(bounded));
      // Arrays instead of objects: a 10k-row list skips 10k property-bag builds.
      if (this.#arrays) stmt.setReturnArrays(true);
      this.#cache.set(bounded, stmt);
    }
    return stmt;
  }
}

export class LogReader {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #list: Variants;
  readonly #count: Variants;
  readonly #history: Variants;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#get = db.prepare(
      'SELECT id, create_revision, deleted, value FROM log WHERE key = ? AND id <= ? ORDER BY id DESC LIMIT 1',
    );
    this.#list = new Variants(db, (b) => `SELECT l.key, l.value, l.create_revision, l.id ${latestAt(b)} ORDER BY l.key LIMIT ?4`, true);
    this.#count = new Variants(db, (b) => `SELECT COUNT(*) AS n ${latestAt(b)}`);
    this.#history = new Variants(db, historySql);
  }

  get(key: string, revision: number): KeyValue | undefined {
    const row = this.#get.get(key, revision) as
      | { id: number; create_revision: number; deleted: number; value: string | null }
      | undefined;
    if (!row || row.deleted !== 0) return undefined;
    return { key, value: row.value ?? '', createRevision: row.create_revision, modRevision: row.id };
  }

  /** Live keys under `prefix` at `revision`, from `startKey` on, at most `limit` (0: all). */
  list(prefix: string, revision: number, startKey: string | undefined, limit: number): { kvs: KeyValue[]; more: boolean } {
    const from = startKey !== undefined && startKey > prefix ? startKey : prefix;
    const end = prefixEnd(prefix);
    const rows = this.#list.get(end !== undefined).all(from, end ?? null, revision, limit > 0 ? limit + 1 : -1) as unknown as ListRow[];
    const more = limit > 0 && rows.length > limit;
    const n = more ? limit : rows.length;
    const kvs = new Array<KeyValue>(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      kvs[i] = { key: r[0], value: r[1], createRevision: r[2], modRevision: r[3] };
    }
    return { kvs, more };
  }

  count(prefix: string, revision: number): number {
    const end = prefixEnd(prefix);
    const row = this.#count.get(end !== undefined).get(prefix, end ?? null, revision) as { n: number };
    return row.n;
  }

  /**
   * Changes under `prefix` with revision in (after, upTo], oldest first, at
   * most `limit`. Every row above the compacted revision still has its
   * predecessor on disk (compaction only removes rows superseded at or below
   * it), so update and delete events always get their `prev`.
   */
  history(prefix: string, after: number, upTo: number, limit: number): WatchEvent[] {
    const end = prefixEnd(prefix);
    const rows = this.#history.get(end !== undefined).all(after, upTo, prefix, end ?? null, limit) as unknown as HistoryRow[];
    return rows.map(toEvent);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

function toEvent(r: HistoryRow): WatchEvent {
  if (r.prev_revision === 0) {
    return { type: 'create', kv: { key: r.key, value: r.value ?? '', createRevision: r.create_revision, modRevision: r.id } };
  }
  if (r.prev_value === null || r.prev_create_revision === null) {
    throw new Error(`log row ${r.id} (${r.key}) has lost its predecessor ${r.prev_revision}`);
  }
  const prev: KeyValue = { key: r.key, value: r.prev_value, createRevision: r.prev_create_revision, modRevision: r.prev_revision };
  if (r.deleted !== 0) return { type: 'delete', kv: { ...prev, modRevision: r.id }, prev };
  return { type: 'update', kv: { key: r.key, value: r.value ?? '', createRevision: r.create_revision, modRevision: r.id }, prev };
}
