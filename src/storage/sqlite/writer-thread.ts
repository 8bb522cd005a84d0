/**
 * Worker-thread entry for the log writer (see writer-host.ts). Messages that
 * arrive while a commit is syncing queue up and are committed together by
 * the next drain: group commit falls out of the thread being busy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compactTo, LogWriter } from './log-writer.ts';
import { openWriterDb } from './schema.ts';
import type { FromWriter, ToWriter, WriteOp, WriterConfig } from './writer-protocol.ts';

const port = parentPort!;
const config = workerData as WriterConfig;
const post = (msg: FromWriter) => port.postMessage(msg);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function open(): LogWriter | undefined {
  try {
    return new LogWriter(openWriterDb(config.path, config.synchronous), config.groupCommit);
  } catch (e) {
    // Reported as a message, not thrown: the host turns it into an UNAVAILABLE open error.
    post({ type: 'fatal', message: message(e) });
    port.close();
    return undefined;
  }
}

function serve(writer: LogWriter): void {
  let queue: WriteOp[] = [];
  let scheduled = false;
  let compacting: Promise<unknown> = Promise.resolve();

  const drain = (): void => {
    scheduled = false;
    const ops = queue;
    queue = [];
    if (ops.length > 0) post({ type: 'written', results: writer.apply(ops) });
  };

  port.on('message', (msg: ToWriter) => {
    switch (msg.type) {
      case 'write':
        for (const op of msg.ops) queue.push(op);
        if (!scheduled) {
          scheduled = true;
          setImmediate(drain);
        }
        break;
      case 'compact':
        compacting = compacting.then(() =>
          compactTo(writer, msg.revision).then(
            (revision) => post({ type: 'compacted', id: msg.id, revision }),
            (e: unknown) => post({ type: 'compact-failed', id: msg.id, message: message(e) }),
          ),
        );
        break;
      case 'flush':
        // Messages arrive in order: writes sent before the flush are in the queue.
        drain();
        try {
          post({ type: 'flushed', id: msg.id, rows: writer.flushDeferred() });
        } catch (e) {
          post({ type: 'fatal', message: message(e) });
        }
        break;
      case 'close':
        void compacting.then(() => {
          drain();
          writer.flushDeferred();
          writer.close();
          post({ type: 'closed' });
          port.close();
        });
        break;
    }
  });
  post({ type: 'ready', ...writer.state });
}

const writer = open();
if (writer) serve(writer);
