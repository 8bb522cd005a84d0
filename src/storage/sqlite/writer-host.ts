/**
 * The backend's handle on the log writer. Two placements, one contract:
 *
 * - `thread` (default): the writer runs in a worker thread, so the WAL sync
 *   of each commit (milliseconds on an SD card) never blocks the event loop
 *   that serves HTTP and watches. Costs one extra V8 isolate (~20 MB RSS).
 * - `inline`: the writer runs on the caller's thread. Smallest footprint;
 *   every commit's sync stalls the event loop.
 *
 * Either way, ops submitted in the same event-loop turn travel together, and
 * `onCommitted` sees each batch's results, in revision order, before any of
 * the callers' promises resolve (the backend publishes watch events there).
 */
import { Worker } from 'node:worker_threads';
import { StorageError } from '../backend.ts';
import { compactTo, LogWriter } from './log-writer.ts';
import { openWriterDb } from './schema.ts';
import type { FromWriter, ToWriter, WriteOp, WriteResult, WriterConfig, WriterState } from './writer-protocol.ts';

export interface WriterHost {
  /** Revisions as the writer found them on open. */
  readonly initial: WriterState;
  write(op: WriteOp): Promise<WriteResult>;
  /** Resolves with the compacted revision once history up to `revision` is gone from disk. */
  compact(revision: number): Promise<number>;
  /** Writes deferred updates to disk (after every write submitted before); resolves with how many. */
  flush(): Promise<number>;
  /** Commits what was submitted, then closes the database. */
  close(): Promise<void>;
}

export interface WriterHooks {
  /** Each batch's results, in revision order, before the callers' promises resolve. */
  committed(ops: readonly WriteOp[], results: readonly WriteResult[]): void;
  /** The writer died (not closed): no write can succeed any more. */
  broken(error: StorageError): void;
}

interface Pending {
  op: WriteOp;
  resolve: (r: WriteResult) => void;
  reject: (e: unknown) => void;
}

const unavailable = (msg: string, cause?: unknown) => new StorageError('UNAVAILABLE', msg, { cause });

/** Hands a batch's results to the hook, then to the callers, in order. */
function settle(batch: readonly Pending[], results: readonly WriteResult[], hooks: WriterHooks): void {
  hooks.committed(batch.map((p) => p.op), results);
  for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
}

export function openInlineWriter(config: WriterConfig, hooks: WriterHooks): WriterHost {
  const writer = new LogWriter(openWriterDb(config.path, config.synchronous), config.groupCommit);
  let queue: Pending[] = [];
  let scheduled = false;
  let compacting: Promise<unknown> = Promise.resolve();
  let closed = false;
  const drain = (): void => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length > 0) settle(batch, writer.apply(batch.map((p) => p.op)), hooks);
  };
  return {
    initial: writer.state,
    write(op) {
      if (closed) return Promise.reject(unavailable('the sqlite writer is closed'));
      return new Promise<WriteResult>((resolve, reject) => {
        queue.push({ op, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(drain);
        }
      });
    },
    compact(revision) {
      const run = compacting.then(() => compactTo(writer, revision));
      compacting = run.catch(() => undefined);
      return run;
    },
    async flush() {
      drain();
      return writer.flushDeferred();
    },
    async close() {
      closed = true;
      await compacting;
      drain();
      writer.flushDeferred();
      writer.close();
    },
  };
}

export async function openThreadWriter(config: WriterConfig, hooks: WriterHooks): Promise<WriterHost> {
  const worker = new Worker(new URL('./writer-thread.ts', import.meta.url), { workerData: config });
  const initial = await new Promise<WriterState>((resolve, reject) => {
    const fail = (e: unknown) => {
      off();
      void worker.terminate();
      reject(unavailable(`cannot open sqlite database ${config.path}`, e));
    };
    const onExit = (code: number) => fail(new Error(`writer thread exited with code ${code}`));
    const onMessage = (msg: FromWriter) => {
      if (msg.type !== 'ready') return fail(new Error(msg.type === 'fatal' ? msg.message : `unexpected ${msg.type} from writer thread`));
      off();
      resolve({ revision: msg.revision, compactedRevision: msg.compactedRevision });
    };
    // Only our own listeners: Worker keeps internal ones (removeAllListeners breaks message delivery).
    const off = () => {
      worker.off('error', fail);
      worker.off('exit', onExit);
      worker.off('message', onMessage);
    };
    worker.on('error', fail);
    worker.on('exit', onExit);
    worker.on('message', onMessage);
  });

  let outbox: WriteOp[] = [];
  let scheduled = false;
  const inflight: Pending[] = [];
  const compactions = new Map<number, { resolve: (n: number) => void; reject: (e: unknown) => void }>();
  const flushes = new Map<number, { resolve: (n: number) => void; reject: (e: unknown) => void }>();
  let nextCompaction = 1;
  let broken: StorageError | undefined;
  let closing: Promise<void> | undefined;
  let exited!: () => void;
  const exit = new Promise<void>((r) => (exited = r));
  let closedByWriter!: () => void;
  const writerClosed = new Promise<void>((r) => (closedByWriter = r));
  const send = (msg: ToWriter) => worker.postMessage(msg);
  // Keep the process alive only while work is outstanding: an idle backend
  // must not stop a program from exiting, a pending write must.
  const refWhileBusy = () => (inflight.length > 0 || compactions.size > 0 || flushes.size > 0 || closing ? worker.ref() : worker.unref());

  const flush = () => {
    scheduled = false;
    if (outbox.length === 0) return;
    send({ type: 'write', ops: outbox });
    outbox = [];
  };

  const failAll = (err: StorageError) => {
    if (!broken && !closing) hooks.broken(err);
    broken ??= err;
    for (const p of inflight.splice(0)) p.reject(err);
    for (const c of compactions.values()) c.reject(err);
    compactions.clear();
    for (const f of flushes.values()) f.reject(err);
    flushes.clear();
    outbox = [];
  };

  worker.on('message', (msg: FromWriter) => {
    switch (msg.type) {
      case 'written':
        settle(inflight.splice(0, msg.results.length), msg.results, hooks);
        break;
      case 'compacted':
        compactions.get(msg.id)?.resolve(msg.revision);
        compactions.delete(msg.id);
        break;
      case 'compact-failed':
        compactions.get(msg.id)?.reject(unavailable(`compaction failed: ${msg.message}`));
        compactions.delete(msg.id);
        break;
      case 'flushed':
        flushes.get(msg.id)?.resolve(msg.rows);
        flushes.delete(msg.id);
        break;
      case 'fatal':
        failAll(unavailable(`sqlite writer failed: ${msg.message}`));
        break;
      case 'closed':
        closedByWriter();
        break;
    }
    refWhileBusy();
  });
  worker.on('error', (e) => failAll(unavailable('sqlite writer thread crashed', e)));
  worker.on('exit', () => {
    failAll(unavailable('sqlite writer thread exited'));
    closedByWriter();
    exited();
  });
  worker.unref();

  return {
    initial,
    write(op) {
      if (broken) return Promise.reject(broken);
      if (closing) return Promise.reject(unavailable('the sqlite writer is closed'));
      return new Promise<WriteResult>((resolve, reject) => {
        inflight.push({ op, resolve, reject });
        outbox.push(op);
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
        refWhileBusy();
      });
    },
    compact(revision) {
      if (broken) return Promise.reject(broken);
      return new Promise<number>((resolve, reject) => {
        const id = nextCompaction++;
        compactions.set(id, { resolve, reject });
        send({ type: 'compact', id, revision });
        refWhileBusy();
      });
    },
    flush() {
      if (broken) return Promise.reject(broken);
      return new Promise<number>((resolve, reject) => {
        const id = nextCompaction++;
        flushes.set(id, { resolve, reject });
        flush();
        send({ type: 'flush', id });
        refWhileBusy();
      });
    },
    close() {
      closing ??= (async () => {
        worker.ref();
        flush();
        send({ type: 'close' });
        // 'closed' comes after the last 'written', so every write is settled here.
        await writerClosed;
        await exit;
      })();
      return closing;
    },
  };
}
