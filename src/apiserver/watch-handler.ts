/**
 * Serves a watch: newline-delimited `{"type":…,"object":…}` frames, flushed
 * as they happen. Encoded frames are cached per stored revision and shape,
 * so a change fanned out to many watchers is serialised once per shape.
 *
 * Without `timeoutSeconds` the stream ends after 30–60 minutes, as
 * upstream's minRequestTimeout rule does; clients re-watch from their last
 * resourceVersion.
 */
import type { Negotiated } from './negotiate.ts';
import type { RequestContext } from './http.ts';
import { partialMetadata, tableRow, type IncludeObject, type Printer } from './output.ts';
import type { Store } from '../registry/store.ts';
import { openWatch } from '../registry/store-watch.ts';
import type { ApiWatchEvent, WatchOptions } from '../registry/types.ts';
import { toApiError, writeError } from './respond.ts';

const frameCache = new WeakMap<object, Map<string, string>>();

function encodeObject(ev: ApiWatchEvent, shape: Negotiated['shape'], printer: Printer | undefined, include: IncludeObject): string {
  if (ev.type === 'BOOKMARK' || ev.type === 'ERROR' || shape === 'object') return JSON.stringify(ev.object);
  if (shape === 'metadata') return JSON.stringify(partialMetadata(ev.object));
  const row = tableRow(printer!, ev.object, include, Date.now());
  return JSON.stringify(row);
}

function frame(ev: ApiWatchEvent, shape: Negotiated['shape'], printer: Printer | undefined, include: IncludeObject): string {
  const cacheable = ev.cacheKey !== undefined && shape !== 'table';
  const variant = `${ev.type}:${shape}:${include}`;
  if (cacheable) {
    const hit = frameCache.get(ev.cacheKey!)?.get(variant);
    if (hit) return hit;
  }
  const text = `{"type":"${ev.type}","object":${encodeObject(ev, shape, printer, include)}}\n`;
  if (cacheable) {
    let m = frameCache.get(ev.cacheKey!);
    if (!m) frameCache.set(ev.cacheKey!, (m = new Map()));
    m.set(variant, text);
  }
  return text;
}

/** Wraps a one-row Table (header only on the first event, as upstream). */
function tableFrame(ev: ApiWatchEvent, printer: Printer, include: IncludeObject, first: boolean): string {
  if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return frame(ev, 'object', undefined, include);
  const rv = ev.object['metadata']?.resourceVersion;
  const table = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: rv },
    columnDefinitions: first ? printer.columns : null,
    rows: [tableRow(printer, ev.object, include, Date.now())],
  };
  return `{"type":"${ev.type}","object":${JSON.stringify(table)}}\n`;
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

  let events: AsyncGenerator<ApiWatchEvent>;
  try {
    events = await openWatch(store, namespace, opts, abort.signal);
  } catch (e) {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onClientGone);
    writeError(res, e);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
  res.flushHeaders();
  let firstTable = true;
  const write = async (ev: ApiWatchEvent) => {
    const text = negotiated.shape === 'table' ? tableFrame(ev, printer!, include, firstTable) : frame(ev, negotiated.shape, printer, include);
    if (negotiated.shape === 'table' && ev.type !== 'BOOKMARK' && ev.type !== 'ERROR') firstTable = false;
    if (!res.write(text) && !abort.signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        res.once('drain', done);
        abort.signal.addEventListener('abort', done, { once: true });
      });
    }
  };
  try {
    let next = await events.next();
    while (!next.done && !abort.signal.aborted) {
      await write(next.value);
      next = await events.next();
    }
  } catch (e) {
    // Mid-stream failures become an ERROR event, as upstream does.
    if (!abort.signal.aborted) {
      const status = toApiError(e).toStatus();
      res.write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
    }
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onClientGone);
    await events.return(undefined).catch(() => undefined);
    if (!res.writableEnded) res.end();
  }
}
