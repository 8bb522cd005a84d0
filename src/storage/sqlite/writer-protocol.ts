/**
 * What the backend asks of the log writer and what it answers, kept to plain
 * data so the same shapes cross a worker-thread boundary unchanged.
 */

export type WriteOp =
  | { kind: 'create'; key: string; value: string }
  | { kind: 'update'; key: string; value: string; expected: number; deferred?: boolean }
  | { kind: 'delete'; key: string; expected: number | undefined };

/** The newest live row of a key, as the writer read it inside its transaction. */
export interface RowState {
  revision: number;
  createRevision: number;
  value: string;
}

export type WriteResult =
  /** Appended at `revision`. `prev` is the row it replaced (update, delete). */
  | { ok: true; revision: number; createRevision: number; prev: RowState | undefined }
  /** The compare failed; `current` is the key's live row, if any. */
  | { ok: false; current: RowState | undefined }
  /** A fault (I/O, disk full...): nothing was written for this op. */
  | { ok: false; fault: string };

export interface WriterConfig {
  path: string;
  synchronous: 'FULL' | 'NORMAL';
  /** One transaction per drained queue (true) or per op (false). */
  groupCommit: boolean;
}

export interface WriterState {
  revision: number;
  compactedRevision: number;
}

/** Main thread to worker. */
export type ToWriter =
  | { type: 'write'; ops: WriteOp[] }
  | { type: 'flush'; id: number }
  | { type: 'compact'; id: number; revision: number }
  | { type: 'close' };

/** Worker to main thread. */
export type FromWriter =
  | ({ type: 'ready' } & WriterState)
  | { type: 'written'; results: WriteResult[] }
  | { type: 'compacted'; id: number; revision: number }
  | { type: 'flushed'; id: number; rows: number }
  | { type: 'compact-failed'; id: number; message: string }
  | { type: 'fatal'; message: string }
  | { type: 'closed' };
