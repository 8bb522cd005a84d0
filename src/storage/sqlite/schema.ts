/**
 * The on-disk layout: one append-only `log` table whose id is the store
 * revision, plus a tiny `meta` table for the compacted revision.
 *
 * Row meanings (see README.md for the reasons):
 * - `prev_revision = 0`: this row created the key.
 * - `prev_revision = N`: this row replaced row N of the same key (an update,
 *   or with `deleted = 1` a delete). Compaction uses it to find superseded rows.
 * - Tombstones keep `value` NULL; a delete event takes its value from row N.
 */
import { DatabaseSync } from 'node:sqlite';

export const SCHEMA_VERSION = 1;

const ddl = `
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  value TEXT
);
CREATE INDEX IF NOT EXISTS log_key_id ON log (key, id, deleted);
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', ${SCHEMA_VERSION});
INSERT OR IGNORE INTO meta (name, value) VALUES ('compacted_revision', 0);
INSERT OR IGNORE INTO meta (name, value) VALUES ('reserved_revision', 0);
`;

/** How long a connection waits for another's lock before failing (ms). */
const BUSY_TIMEOUT_MS = 5000;
/** Keep the WAL file from staying large after a burst once it is checkpointed. */
const JOURNAL_SIZE_LIMIT = 8 * 1024 * 1024;

/**
 * Opens the writing connection and makes sure the schema exists. WAL lets
 * the reader connection run while this one commits; `synchronous=FULL`
 * syncs the WAL on every commit so an acknowledged write survives power loss.
 */
export function openWriterDb(path: string, synchronous: 'FULL' | 'NORMAL'): DatabaseSync {
  const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.exec(`PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    db.exec('BEGIN IMMEDIATE');
    db.exec(ddl);
    const version = db.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get() as { value: number };
    if (version.value !== SCHEMA_VERSION) throw new Error(`unsupported schema version ${version.value} (want ${SCHEMA_VERSION})`);
    db.exec('COMMIT');
    return db;
  } catch (e) {
    if (db.isOpen) {
      if (db.isTransaction) db.exec('ROLLBACK');
      db.close();
    }
    throw e;
  }
}

/** Opens a connection that only reads (the writer must have created the schema). */
export function openReaderDb(path: string): DatabaseSync {
  const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  db.exec('PRAGMA query_only = ON');
  return db;
}

/**
 * The last revision that may have been handed out: the highest row id ever
 * written (survives compaction deleting the newest rows) or the reservation
 * made for deferred writes, whichever is higher. Revisions of deferred
 * writes lost in a crash are therefore never reused.
 */
export function readRevision(db: DatabaseSync): number {
  const row = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'log'").get() as { seq: number } | undefined;
  return Math.max(row?.seq ?? 0, readReservedRevision(db));
}

export function readReservedRevision(db: DatabaseSync): number {
  const row = db.prepare("SELECT value FROM meta WHERE name = 'reserved_revision'").get() as { value: number } | undefined;
  return row?.value ?? 0;
}

export function readCompactedRevision(db: DatabaseSync): number {
  const row = db.prepare("SELECT value FROM meta WHERE name = 'compacted_revision'").get() as { value: number };
  return row.value;
}
