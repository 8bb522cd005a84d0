/**
 * Serves a watch: newline-delimited `{"type":…,"object":…}` frames, flushed
 * as they happen. Frames of stored changes are encoded once and shared by
 * every watcher (kept on the shared StoredEvent); each storage batch is one
 * write per watcher.
 *
 * Without `timeoutSeconds` the stream ends after 30–60 minutes, as
 * upstream's minRequestTimeout rule does; clients re-watch from their last
 * resourceVersion.
 */
import type { Negotiated } from './negotiate.ts';
import type { RequestContext } from './http.ts';
import { partialMetadata, tableRow, type IncludeObject, type Printer } from './output.ts';
import type { Store } from '../registry/store.ts';
import { openWatch, StoredEvent, type ApiWatch } from '../registry/store-watch.ts';
import { logger } from '../util/log.ts';
import type { ApiWatchEvent, WatchOptions } from '../registry/types.ts';
import { toApiError, writeError } from './respond.ts';

const log = logger('apiserver');

/** What a watcher may leave unread before it is dropped. */
export const maxBufferedBytes = 8 * 1024 * 1024;

interface Encoding {
  shape: Negotiated['shape'];
  printer?: Printer;
  include: IncludeObject;
  /** Table: only the first event carries column definitions. */
  columnsSent: boolean;
}

function plain(ev: ApiWatchEvent, body: string): string {
  return `{"type":"${ev.type}","object":${body}}\n`;
}

/** A one-row Table event (header only on the first, as upstream). */
function tableFrame(ev: ApiWatchEvent, row: string, enc: Encoding): string {
  const rv = JSON.stringify(ev.object['metadata']?.resourceVersion ?? '');
  const columns = enc.columnsSent ? 'null' : JSON.stringify(enc.printer!.columns);
  enc.columnsSent = true;
  return plain(ev, `{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":${rv}},"columnDefinitions":${columns},"rows":[${row}]}`);
}

/** One event's frame. Frames of stored changes are encoded once, to bytes, and shared by all watchers. */
function encode(ev: ApiWatchEvent, enc: Encoding): Buffer | string {
  if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return plain(ev, JSON.stringify(ev.object));
  const stored = ev instanceof StoredEvent ? ev : undefined;
  switch (enc.shape) {
    case 'object':
      if (stored) return (stored.frames['json'] ??= Buffer.from(plain(ev, stored.store.objectText(stored.kv))));
      return plain(ev, JSON.stringify(ev.object));
    case 'metadata':
      if (stored) return (stored.frames['meta'] ??= Buffer.from(plain(ev, JSON.stringify(partialMetadata(ev.object)))));
      return plain(ev, JSON.stringify(partialMetadata(ev.object)));
    case 'table': {
      // Tables differ per watcher (the first carries the columns); only the row is shared.
      const key = `row:${enc.include}`;
      const row = stored ? (stored.frames[key] ??= Buffer.from(JSON.stringify(tableRow(enc.printer!, ev.object, enc.include, Date.now())))) : undefined;
      return tableFrame(ev, row ? row.toString() : JSON.stringify(tableRow(enc.printer!, ev.object, enc.include, Date.now())), enc);
    }
  }
}

/** A batch's frames as one write: the shared bytes as is when there is one. */
function joinFrames(frames: (Buffer | string)[]): Buffer | string {
  if (frames.length === 1) return frames[0]!;
  return Buffer.concat(frames.map((f) => (typeof f === 'string' ? Buffer.from(f) : f)));
}

export async function serveWatch(
  ctx: RequestContext,
  store: Store,
  namespace: string,
  opts: WatchOptions & { timeoutSeconds?: number },
  negotiated: Negotiated,
  printer: Printer | undefined,
  include: IncludeObject,
): Promise<void> {
  const { res } = ctx;
  const abort = new AbortController();
  const onClientGone = () => abort.abort();
  ctx.signal.addEventListener('abort', onClientGone, { once: true });
  const seconds = opts.timeoutSeconds && opts.timeoutSeconds > 0 ? opts.timeoutSeconds : 1800 * (1 + Math.random());
  const timer = setTimeout(() => abort.abort(), seconds * 1000);
  timer.unref();
  const done = () => {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onClientGone);
  };

  let watch: ApiWatch;
  try {
    watch = await openWatch(store, namespace, opts, abort.signal);
  } catch (e) {
    done();
    writeError(res, e);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
  res.flushHeaders();
  const enc: Encoding = { shape: negotiated.shape, printer, include, columnsSent: false };
  try {
    await watch.pump((events) => {
      if (abort.signal.aborted) return;
      res.write(joinFrames(events.map((ev) => encode(ev, enc))));
      // Events reach us synchronously from the writer's flush; a client that
      // does not read lets bytes pile up here. Past the bound it is dropped
      // (it re-watches from its last resourceVersion), never slowing writers.
      if (buffered(res) > maxBufferedBytes) {
        log.info('dropping slow watcher', { resource: store.info.resource, buffered: buffered(res) });
        abort.abort();
      }
    });
  } catch (e) {
    // Mid-stream failures become an ERROR event, as upstream does.
    if (!abort.signal.aborted) res.write(plain({ type: 'ERROR', object: {} }, JSON.stringify(toApiError(e).toStatus())));
  } finally {
    done();
    if (!res.writableEnded) res.end();
  }
}

/** Bytes a response holds that the client has not taken yet. */
function buffered(res: RequestContext['res']): number {
  const r = res as unknown as { writableLength?: number; stream?: { writableLength?: number } };
  return r.stream?.writableLength ?? r.writableLength ?? 0;
}
