/**
 * A shared informer, as client-go's: lists a resource, then watches it from
 * the list's resourceVersion, keeping a cache by `namespace/name`, optional
 * indexes, and handlers that only enqueue work. A watch that ends is resumed
 * from the last resourceVersion seen; a 410 (compacted history) relists.
 *
 * Cached objects may be shared with other consumers: treat them as
 * read-only (clone before changing one).
 */
import { logger } from '../util/log.ts';
import { keyOf, type ApiWatchEvent, type Client, type Obj, type ResourceId } from './types.ts';

const log = logger('informer');

export interface EventHandler {
  add?(obj: Obj): void;
  update?(old: Obj, obj: Obj): void;
  delete?(obj: Obj): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export type IndexFunc = (obj: Obj) => string[];

/** Built-in index: objects by namespace. */
export const byNamespace: IndexFunc = (o) => [o['metadata']?.namespace ?? ''];

export class Informer {
  readonly resource: ResourceId;
  private readonly client: Client;
  private readonly opts: InformerOptions;
  private readonly items = new Map<string, Obj>();
  private readonly handlers: EventHandler[] = [];
  private readonly indexFuncs = new Map<string, IndexFunc>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private synced = false;
  private resolveSynced!: () => void;
  /** Resolves once the first list is in the cache. */
  readonly ready: Promise<void>;
  /** The resourceVersion the cache reflects. */
  lastSyncResourceVersion = '';

  constructor(client: Client, resource: ResourceId, opts: InformerOptions = {}) {
    this.client = client;
    this.resource = resource;
    this.opts = opts;
    this.ready = new Promise((r) => (this.resolveSynced = r));
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Adds a handler; after the first sync it first gets an `add` for every cached object. */
  addHandler(h: EventHandler): void {
    this.handlers.push(h);
    if (this.synced) for (const o of this.items.values()) safe(() => h.add?.(o));
  }

  addIndex(name: string, fn: IndexFunc): void {
    this.indexFuncs.set(name, fn);
    const idx = new Map<string, Set<string>>();
    this.indexes.set(name, idx);
    for (const [k, o] of this.items) for (const v of fn(o)) addTo(idx, v, k);
  }

  get(key: string): Obj | undefined {
    return this.items.get(key);
  }

  getByName(namespace: string, name: string): Obj | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): Obj[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  byIndex(name: string, value: string): Obj[] {
    const keys = this.indexes.get(name)?.get(value);
    if (!keys) return [];
    const out: Obj[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  private index(key: string, old: Obj | undefined, obj: Obj | undefined): void {
    for (const [name, fn] of this.indexFuncs) {
      const idx = this.indexes.get(name)!;
      if (old) for (const v of fn(old)) idx.get(v)?.delete(key);
      if (obj) for (const v of fn(obj)) addTo(idx, v, key);
    }
  }

  private upsert(obj: Obj): void {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (old && old['metadata']?.resourceVersion === obj['metadata']?.resourceVersion) return;
    this.items.set(key, obj);
    this.index(key, old, obj);
    for (const h of this.handlers) safe(() => (old ? h.update?.(old, obj) : h.add?.(obj)));
  }

  private remove(obj: Obj): void {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (!old) return;
    this.items.delete(key);
    this.index(key, old, undefined);
    for (const h of this.handlers) safe(() => h.delete?.(obj));
  }

  /** Replaces the cache with a fresh list, telling handlers what changed. */
  private replace(items: Obj[]): void {
    const seen = new Set<string>();
    for (const o of items) {
      seen.add(keyOf(o));
      this.upsert(o);
    }
    for (const [k, o] of [...this.items]) if (!seen.has(k)) this.remove(o);
  }

  /** Lists and watches until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const ns = this.opts.namespace ?? '';
    let backoff = 200;
    while (!signal.aborted) {
      try {
        const l = await this.client.list(this.resource, ns, { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector });
        this.replace(l.items);
        this.lastSyncResourceVersion = l.resourceVersion;
        if (!this.synced) {
          this.synced = true;
          this.resolveSynced();
        }
        backoff = 200;
        // Watch, resuming from the last version after each end, until a 410 asks for a relist.
        for (;;) {
          if (signal.aborted) return;
          let expired = false;
          const w = await this.client.watch(
            this.resource,
            ns,
            { resourceVersion: this.lastSyncResourceVersion, allowWatchBookmarks: true, labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector },
            signal,
          );
          await w.pump((events: ApiWatchEvent[]) => {
            for (const ev of events) {
              if (ev.type === 'ERROR') {
                expired = true;
                continue;
              }
              const rv = ev.object['metadata']?.resourceVersion;
              if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.upsert(ev.object);
              else if (ev.type === 'DELETED') this.remove(ev.object);
              if (rv) this.lastSyncResourceVersion = rv;
            }
          });
          if (expired) break;
        }
      } catch (e) {
        if (signal.aborted) return;
        log.warn('list/watch failed; retrying', { resource: this.resource.resource, err: e, inMs: backoff });
        await new Promise((r) => setTimeout(r, backoff).unref());
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }
}

function addTo(idx: Map<string, Set<string>>, value: string, key: string): void {
  let s = idx.get(value);
  if (!s) idx.set(value, (s = new Set()));
  s.add(key);
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    log.error('event handler failed', { err: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
}

/** One informer per resource and options, shared by every controller that asks. */
export class InformerFactory {
  private readonly client: Client;
  private readonly informers = new Map<string, Informer>();
  private started?: AbortSignal;
  private readonly running: Promise<void>[] = [];

  constructor(client: Client) {
    this.client = client;
  }

  informer(r: ResourceId, opts: InformerOptions = {}): Informer {
    const key = `${r.group}/${r.version}/${r.resource}?${opts.namespace ?? ''}&${opts.labelSelector ?? ''}&${opts.fieldSelector ?? ''}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer(this.client, r, opts);
      this.informers.set(key, inf);
      if (this.started) this.running.push(inf.run(this.started));
    }
    return inf;
  }

  /** Starts every informer (and any asked for later) until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.started = signal;
    for (const inf of this.informers.values()) this.running.push(inf.run(signal));
  }

  /** Resolves when every informer created so far has synced. */
  async synced(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.ready));
  }

  /** Resolves once all informers have stopped (after the start signal aborts). */
  async stopped(): Promise<void> {
    await Promise.all(this.running);
  }
}
