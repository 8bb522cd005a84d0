/**
 * The storage seam on etcd v3 (for HA servers, as k3s embeds etcd): every
 * Backend call is one etcd gRPC call — compare-and-swap writes are Txns,
 * lists are Ranges, watches share one bidirectional Watch stream. Design
 * notes and their reasons are in ../README.md ("etcd: design and why").
 */
import { StorageError, type Backend, type CreateResult, type DeleteResult, type KeyValue, type ListOptions, type UpdateResult, type Watch, type WatchEvent, type WatchOptions } from '../backend.ts';
import { DEFAULT_MAX_BUFFERED } from '../broadcaster.ts';
import { startCompactor, type Compactor } from '../compactor.ts';
import { prefixEnd } from '../key-range.ts';
import { WatchStream, type StreamSource } from '../watch-stream.ts';
import type { BidiStream } from '../../agent/cri/grpc.ts';
import { logger } from '../../util/log.ts';
import { EtcdClient, isCompactedError, isFutureError, toStorageError, type EtcdTLS } from './client.ts';
import { decodeEtcd, encodeEtcd, methods, type PbEvent, type PbKeyValue, type PbRangeResponse, type PbTxnResponse, type PbWatchResponse } from './proto.ts';

export type { EtcdTLS } from './client.ts';

const log = logger('storage').child('etcd');

export interface EtcdBackendOptions {
  /** Client URL, e.g. https://127.0.0.1:2379 (http:// allowed for tests). */
  endpoint: string;
  tls?: EtcdTLS;
  /** Deadline for unary calls; default 10 s. */
  timeoutMs?: number;
  /** Ping etcd this often while watches are open; an unanswered ping ends them with UNAVAILABLE. Default 10 s. */
  keepaliveMs?: number;
  /** How long openEtcdBackend retries until etcd answers; default 30 s. */
  connectTimeoutMs?: number;
  /** Run the periodic compactor (compactor.ts) from this backend; default off (in HA only one server compacts). */
  compactIntervalMs?: number;
  /**
   * Keep this store's keys under `prefix` in etcd (stripped from returned
   * keys, applied to every range and watch). Default: none.
   */
  prefix?: string;
  /**
   * Tests only: count revisions from etcd's revision at open, so a fresh
   * `prefix` on a shared etcd looks like a new, empty store (revision 0,
   * nothing compacted). Only meaningful when nothing else writes to that
   * etcd while the backend is open.
   */
  relativeRevisions?: boolean;
}

/** Connects to etcd, waiting until it answers (up to `connectTimeoutMs`). */
export async function openEtcdBackend(opts: EtcdBackendOptions): Promise<Backend> {
  const client = new EtcdClient({ endpoint: opts.endpoint, tls: opts.tls, timeoutMs: opts.timeoutMs, keepaliveMs: opts.keepaliveMs });
  try {
    const st = await client.waitReady(opts.connectTimeoutMs ?? 30_000);
    const backend = new EtcdBackend(client, opts, st.header?.revision ?? 0);
    await backend.init();
    return backend;
  } catch (e) {
    await client.close();
    throw toStorageError(e, 'open');
  }
}

type Op = { requestRange?: object; requestPut?: object; requestDeleteRange?: object };

class EtcdBackend implements Backend {
  readonly #client: EtcdClient;
  readonly #prefix: string;
  /** Etcd revision that counts as this store's 0 (relativeRevisions), else 0. */
  readonly #base: number;
  readonly #hub: WatchHub;
  #compactor: Compactor | undefined;
  #closed = false;
  /** Highest etcd revision seen in any response: every write this client saw acknowledged is at or below it. */
  lastSeen: number;
  /** Etcd's compacted revision as far as we know (absolute); only ever grows. */
  knownCompacted = 0;

  constructor(client: EtcdClient, opts: EtcdBackendOptions, revision: number) {
    this.#client = client;
    this.#prefix = opts.prefix ?? '';
    this.#base = opts.relativeRevisions ? revision : 0;
    this.lastSeen = revision;
    this.#hub = new WatchHub(this, client);
    if (opts.compactIntervalMs !== undefined && opts.compactIntervalMs > 0) this.#compactor = startCompactor(this, { intervalMs: opts.compactIntervalMs });
  }

  async init(): Promise<void> {
    await this.probeCompacted();
  }

  // --- revision and key translation -------------------------------------------------

  rel(abs: number): number {
    return abs === 0 ? 0 : abs - this.#base;
  }

  abs(rel: number): number {
    return rel === 0 ? 0 : rel + this.#base;
  }

  get prefix(): string {
    return this.#prefix;
  }

  /** Etcd key range [key, end) of keys under `prefix` in this store. */
  range(prefix: string): { key: string; rangeEnd: string } {
    const full = this.#prefix + prefix;
    // '\0' as range_end means "every key >= key" to etcd; key '\0' is the smallest key.
    return { key: full === '' ? '\u0000' : full, rangeEnd: prefixEnd(full) ?? '\u0000' };
  }

  kv(pb: PbKeyValue): KeyValue {
    return { key: pb.key.slice(this.#prefix.length), value: pb.value, createRevision: this.rel(pb.createRevision), modRevision: this.rel(pb.modRevision) };
  }

  seen(revision: number | undefined): number {
    if (revision !== undefined && revision > this.lastSeen) this.lastSeen = revision;
    return revision ?? 0;
  }

  // --- calls ----------------------------------------------------------------------------

  #check(): void {
    if (this.#closed) throw new StorageError('UNAVAILABLE', 'the etcd backend is closed');
  }

  async #rangeRaw(req: object): Promise<PbRangeResponse> {
    const r = await this.#client.call<PbRangeResponse>(methods.range, 'RangeRequest', req, 'RangeResponse');
    this.seen(r.header?.revision);
    return r;
  }

  async #txn(compare: object[], success: Op[], failure: Op[]): Promise<PbTxnResponse> {
    this.#check();
    try {
      const r = await this.#client.call<PbTxnResponse>(methods.txn, 'TxnRequest', { compare, success, failure }, 'TxnResponse');
      this.seen(r.header?.revision);
      return r;
    } catch (e) {
      throw toStorageError(e, 'txn');
    }
  }

  /** Current etcd revision (absolute). */
  async currentAbs(): Promise<number> {
    const r = await this.#rangeRaw({ key: this.range('').key, limit: 1, countOnly: true });
    return r.header?.revision ?? 0;
  }

  /** A Range at a past revision, with COMPACTED / FUTURE_REVISION as the contract words them. */
  async #read(req: { key: string; rangeEnd?: string; limit?: number; countOnly?: boolean }, revision: number | undefined, what: string): Promise<{ revision: number; res: PbRangeResponse }> {
    this.#check();
    const rev = revision ?? 0;
    try {
      if (rev < 0 || !Number.isInteger(rev)) throw new StorageError('NOT_SUPPORTED', `bad revision ${rev}`);
      if (rev > 0 && this.abs(rev) < this.knownCompacted) throw await this.#compactedError(rev);
      const res = await this.#rangeRaw({ ...req, revision: this.abs(rev) });
      return { revision: rev > 0 ? rev : this.rel(res.header?.revision ?? 0), res };
    } catch (e) {
      if (isFutureError(e)) throw new StorageError('FUTURE_REVISION', `revision ${rev} is newer than the store`, { currentRevision: this.rel(await this.currentAbs().catch(() => this.lastSeen)), compactedRevision: this.rel(this.knownCompacted) });
      if (isCompactedError(e)) {
        await this.probeCompacted().catch(() => undefined);
        throw await this.#compactedError(rev);
      }
      throw toStorageError(e, what);
    }
  }

  async #compactedError(rev: number): Promise<StorageError> {
    const current = await this.currentAbs().catch(() => this.lastSeen);
    return new StorageError('COMPACTED', `revision ${rev} has been compacted (compacted revision ${this.rel(this.knownCompacted)})`, {
      compactedRevision: Math.max(0, this.rel(this.knownCompacted)),
      currentRevision: this.rel(current),
    });
  }

  /**
   * Finds etcd's compacted revision when it may have moved past what we know
   * (another server compacted). Etcd does not report it directly, but a read
   * at revision r fails exactly when r < compacted: one read when nothing
   * changed, a binary search over (known, current] otherwise.
   */
  async probeCompacted(): Promise<void> {
    this.#check();
    const readable = async (r: number): Promise<boolean> => {
      try {
        await this.#rangeRaw({ key: this.range('').key, limit: 1, countOnly: true, revision: r });
        return true;
      } catch (e) {
        if (isCompactedError(e)) return false;
        throw e;
      }
    };
    let lo = Math.max(this.knownCompacted, this.#base, 1);
    if (await readable(lo)) return;
    let hi = await this.currentAbs();
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid;
    }
    if (hi > this.knownCompacted) this.knownCompacted = hi;
  }

  // --- Backend --------------------------------------------------------------------------

  async currentRevision(): Promise<number> {
    this.#check();
    try {
      return this.rel(await this.currentAbs());
    } catch (e) {
      throw toStorageError(e, 'range');
    }
  }

  async compactedRevision(): Promise<number> {
    this.#check();
    try {
      await this.probeCompacted();
    } catch (e) {
      throw toStorageError(e, 'range');
    }
    return Math.max(0, this.rel(this.knownCompacted));
  }

  async get(key: string, opts?: { revision?: number }): Promise<{ revision: number; kv: KeyValue | undefined }> {
    const { revision, res } = await this.#read({ key: this.#prefix + key }, opts?.revision, 'get');
    const pb = res.kvs[0];
    return { revision, kv: pb ? this.kv(pb) : undefined };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<{ revision: number; kvs: KeyValue[]; more: boolean }> {
    const r = this.range(prefix);
    const start = opts.startKey !== undefined && this.#prefix + opts.startKey > r.key ? this.#prefix + opts.startKey : r.key;
    const { revision, res } = await this.#read({ key: start, rangeEnd: r.rangeEnd, limit: opts.limit ?? 0 }, opts.revision, 'list');
    return { revision, kvs: res.kvs.map((kv) => this.kv(kv)), more: res.more };
  }

  async count(prefix: string): Promise<{ revision: number; count: number }> {
    const { revision, res } = await this.#read({ ...this.range(prefix), countOnly: true }, undefined, 'count');
    return { revision, count: res.count };
  }

  async create(key: string, value: string): Promise<CreateResult> {
    const k = this.#prefix + key;
    const r = await this.#txn([{ result: 'EQUAL', target: 'CREATE', key: k, createRevision: 0 }], [{ requestPut: { key: k, value } }], [{ requestRange: { key: k } }]);
    if (r.succeeded) {
      const rev = this.rel(r.header?.revision ?? 0);
      return { ok: true, kv: { key, value, createRevision: rev, modRevision: rev } };
    }
    const cur = r.responses[0]?.responseRange?.kvs[0];
    if (!cur) throw new StorageError('UNAVAILABLE', `etcd refused the create of ${key} but has no value for it`);
    return { ok: false, current: this.kv(cur) };
  }

  async update(key: string, value: string, expectedRevision: number): Promise<UpdateResult> {
    const k = this.#prefix + key;
    // A missing key compares as mod_revision 0: the create_revision guard keeps update from creating it.
    const r = await this.#txn(
      [
        { result: 'GREATER', target: 'CREATE', key: k, createRevision: 0 },
        { result: 'EQUAL', target: 'MOD', key: k, modRevision: this.abs(expectedRevision) },
      ],
      [{ requestPut: { key: k, value, prevKv: true } }],
      [{ requestRange: { key: k } }],
    );
    if (!r.succeeded) {
      const cur = r.responses[0]?.responseRange?.kvs[0];
      return { ok: false, current: cur ? this.kv(cur) : undefined };
    }
    const prevPb = r.responses[0]?.responsePut?.prevKv;
    if (!prevPb) throw new StorageError('UNAVAILABLE', `etcd updated ${key} without returning its previous value`);
    const prev = this.kv(prevPb);
    return { ok: true, prev, kv: { key, value, createRevision: prev.createRevision, modRevision: this.rel(r.header?.revision ?? 0) } };
  }

  async delete(key: string, expectedRevision?: number): Promise<DeleteResult> {
    const k = this.#prefix + key;
    const compare: object[] = [{ result: 'GREATER', target: 'CREATE', key: k, createRevision: 0 }];
    if (expectedRevision !== undefined) compare.push({ result: 'EQUAL', target: 'MOD', key: k, modRevision: this.abs(expectedRevision) });
    const r = await this.#txn(compare, [{ requestDeleteRange: { key: k, prevKv: true } }], [{ requestRange: { key: k } }]);
    if (!r.succeeded) {
      const cur = r.responses[0]?.responseRange?.kvs[0];
      return { ok: false, current: cur ? this.kv(cur) : undefined };
    }
    const prevPb = r.responses[0]?.responseDeleteRange?.prevKvs[0];
    if (!prevPb) throw new StorageError('UNAVAILABLE', `etcd deleted ${key} without returning its previous value`);
    const prev = this.kv(prevPb);
    return { ok: true, prev, kv: { ...prev, modRevision: this.rel(r.header?.revision ?? 0) } };
  }

  watch(prefix: string, opts: WatchOptions): Watch {
    return this.#hub.watch(prefix, opts, this.#closed);
  }

  async compact(revision: number): Promise<number> {
    this.#check();
    try {
      const target = this.abs(revision);
      const current = await this.currentAbs();
      if (target > current) {
        throw new StorageError('FUTURE_REVISION', `cannot compact to ${revision}: the store is at ${this.rel(current)}`, {
          currentRevision: this.rel(current),
          compactedRevision: Math.max(0, this.rel(this.knownCompacted)),
        });
      }
      if (revision <= 0 || target <= this.knownCompacted) {
        await this.probeCompacted();
        return Math.max(0, this.rel(this.knownCompacted));
      }
      try {
        // physical: answer only once the compaction is applied, so no read can still see what it removed.
        const r = await this.#client.call<{ header?: { revision: number } }>(methods.compact, 'CompactionRequest', { revision: target, physical: true }, 'CompactionResponse', Math.max(this.#client.timeoutMs, 60_000));
        this.seen(r.header?.revision);
        if (target > this.knownCompacted) this.knownCompacted = target;
      } catch (e) {
        if (!isCompactedError(e)) throw e;
        // Someone compacted further already.
        await this.probeCompacted();
      }
      return Math.max(0, this.rel(this.knownCompacted));
    } catch (e) {
      throw toStorageError(e, 'compact');
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#compactor?.stop();
    this.#hub.close();
    await this.#client.close();
  }
}

// --- watches ------------------------------------------------------------------------------

/** One client watch: its WatchStream and the etcd watch feeding it. */
class Entry implements StreamSource {
  readonly hub: WatchHub;
  /** Revision (store's) up to which every event was handed to the stream. */
  flushedRevision: number;
  stream!: WatchStream;
  /** Etcd's watch id once created. */
  id: number | undefined;
  /** Start revision (absolute) of the etcd watch, for a restart of a "from now" watch. */
  startAbs = 0;
  fromNow: boolean;
  prefix: string;
  constructor(hub: WatchHub, prefix: string, flushed: number, fromNow: boolean) {
    this.hub = hub;
    this.prefix = prefix;
    this.flushedRevision = flushed;
    this.fromNow = fromNow;
  }
  detach(): void {
    this.hub.cancel(this);
  }
}

/**
 * All of a backend's watches on one bidirectional etcd Watch stream,
 * multiplexed by watch id. Etcd answers creates in order, so pending
 * creates are a FIFO. Opened on the first watch; if it fails, every watch
 * on it ends with UNAVAILABLE and the next watch opens a new one.
 */
class WatchHub {
  readonly #backend: EtcdBackend;
  readonly #client: EtcdClient;
  #stream: BidiStream | undefined;
  #creating: Entry[] = [];
  readonly #byId = new Map<number, Entry>();
  #closed = false;

  constructor(backend: EtcdBackend, client: EtcdClient) {
    this.#backend = backend;
    this.#client = client;
  }

  watch(prefix: string, opts: WatchOptions, closed: boolean): Watch {
    const b = this.#backend;
    const after = opts.afterRevision;
    const fromNow = after === 0;
    const entry = new Entry(this, prefix, fromNow ? b.rel(b.lastSeen) : after, fromNow);
    // liveFrom 0: every event comes through enqueue(); there is no separate history source.
    entry.stream = new WatchStream(entry, prefix, {
      afterRevision: fromNow ? b.rel(b.lastSeen) : after,
      liveFrom: 0,
      maxBuffered: opts.maxBuffered ?? DEFAULT_MAX_BUFFERED,
      progressIntervalMs: opts.progressIntervalMs,
      signal: opts.signal,
    });
    if (closed || this.#closed) {
      entry.stream.end(new StorageError('UNAVAILABLE', 'the etcd backend is closed'));
      return entry.stream;
    }
    if (fromNow) {
      // "From now" = after every write this client has seen acknowledged.
      this.#create(entry, b.lastSeen + 1);
    } else {
      void this.#checkAndCreate(entry, after);
    }
    return entry.stream;
  }

  async #checkAndCreate(entry: Entry, after: number): Promise<void> {
    const b = this.#backend;
    const absAfter = b.abs(after);
    try {
      if (after < 0 || !Number.isInteger(after)) throw new StorageError('NOT_SUPPORTED', `bad revision ${after}`);
      const current = absAfter > b.lastSeen ? await b.currentAbs() : b.lastSeen;
      if (absAfter > current) {
        throw new StorageError('FUTURE_REVISION', `cannot watch from ${after}: the store is at ${b.rel(current)}`, {
          currentRevision: b.rel(current),
          compactedRevision: Math.max(0, b.rel(b.knownCompacted)),
        });
      }
      // Etcd would replay from the compacted revision itself; the contract refuses it (its prev
      // may be gone). Another server may have compacted: one read tells.
      if (absAfter < current) await b.probeCompacted();
      if (absAfter < b.knownCompacted) throw this.#compacted(b.knownCompacted, current);
    } catch (e) {
      entry.stream.end(toStorageError(e, 'watch'));
      return;
    }
    if (!entry.stream.isOpen) return;
    this.#create(entry, absAfter + 1);
  }

  #compacted(compactAbs: number, currentAbs: number): StorageError {
    const b = this.#backend;
    return new StorageError('COMPACTED', `watch start is compacted (compacted revision ${b.rel(compactAbs)})`, {
      compactedRevision: Math.max(0, b.rel(compactAbs)),
      currentRevision: b.rel(currentAbs),
    });
  }

  #create(entry: Entry, startAbs: number): void {
    if (this.#closed) {
      entry.stream.end(new StorageError('UNAVAILABLE', 'the etcd backend is closed'));
      return;
    }
    const s = this.#open();
    entry.startAbs = startAbs;
    this.#creating.push(entry);
    const { key, rangeEnd } = this.#backend.range(entry.prefix);
    s.send(encodeEtcd('WatchRequest', { createRequest: { key, rangeEnd, startRevision: startAbs, prevKv: true, progressNotify: true } }));
  }

  cancel(entry: Entry): void {
    // Still waiting for its id: the created answer will cancel it.
    if (entry.id === undefined) return;
    this.#byId.delete(entry.id);
    if (this.#stream && !this.#closed) this.#stream.send(encodeEtcd('WatchRequest', { cancelRequest: { watchId: entry.id } }));
    entry.id = undefined;
  }

  close(): void {
    this.#closed = true;
    this.#fail(new StorageError('UNAVAILABLE', 'the etcd backend is closed'));
  }

  #open(): BidiStream {
    if (this.#stream) return this.#stream;
    const s = this.#client.grpc.bidiStream(methods.watch);
    this.#stream = s;
    void (async () => {
      let err: unknown;
      try {
        for await (const m of s) this.#onMessage(decodeEtcd<PbWatchResponse>('WatchResponse', m));
      } catch (e) {
        err = e;
      }
      if (this.#stream !== s) return;
      this.#stream = undefined;
      if (!this.#closed) log.info('etcd watch stream ended', { error: err });
      this.#fail(toStorageError(err ?? new Error('the watch stream ended'), 'watch'));
    })();
    return s;
  }

  /** Ends every watch on the stream; used when the stream breaks or the backend closes. */
  #fail(error: StorageError): void {
    const all = [...this.#creating, ...this.#byId.values()];
    this.#creating = [];
    this.#byId.clear();
    const s = this.#stream;
    this.#stream = undefined;
    for (const e of all) {
      e.id = undefined;
      e.stream.end(error);
    }
    s?.cancel();
  }

  #onMessage(r: PbWatchResponse): void {
    const b = this.#backend;
    const headerRev = b.seen(r.header?.revision);
    if (r.created) {
      const entry = this.#creating.shift();
      if (!entry) return;
      if (r.canceled) {
        entry.stream.end(r.compactRevision > 0 ? this.#compacted(r.compactRevision, headerRev) : new StorageError('UNAVAILABLE', `etcd refused the watch: ${r.cancelReason}`));
        return;
      }
      entry.id = r.watchId;
      if (!entry.stream.isOpen) {
        this.cancel(entry);
        return;
      }
      this.#byId.set(r.watchId, entry);
      return;
    }
    if (r.watchId < 0) return; // a WatchProgressRequest answer (we send none)
    const entry = this.#byId.get(r.watchId);
    if (!entry) return; // cancelled by us, events still in flight
    if (r.canceled) {
      this.#byId.delete(r.watchId);
      entry.id = undefined;
      if (r.compactRevision > 0) {
        if (r.compactRevision > b.knownCompacted) b.knownCompacted = r.compactRevision;
        if (entry.fromNow && entry.stream.isOpen) {
          // "From now" was pinned to the last revision we had seen, which another server's
          // compaction overtook: nothing after the call can be below its compacted revision.
          this.#create(entry, r.compactRevision);
          return;
        }
        entry.stream.end(this.#compacted(r.compactRevision, headerRev));
      } else {
        entry.stream.end(new StorageError('UNAVAILABLE', `etcd cancelled the watch: ${r.cancelReason || 'no reason given'}`));
      }
      return;
    }
    if (r.events.length === 0) {
      // A progress notification (progress_notify): etcd sends it through the watcher's own
      // queue, after its events, and only once the watcher is synced — safe as a bookmark.
      const rev = b.rel(headerRev);
      if (rev > entry.flushedRevision) entry.flushedRevision = rev;
      return;
    }
    const events: WatchEvent[] = [];
    let top = 0;
    for (const pe of r.events) {
      const e = this.#event(pe);
      if (!e) {
        this.cancel(entry);
        entry.stream.end(new StorageError('COMPACTED', 'a watch event lost its previous value to compaction', { compactedRevision: Math.max(0, b.rel(b.knownCompacted)) }));
        return;
      }
      events.push(e);
      if (e.kv.modRevision > top) top = e.kv.modRevision;
    }
    // Conservative: the batch covers up to its newest event (etcd's header says as much for
    // these responses, but events are all we need to be right).
    if (top > entry.flushedRevision) entry.flushedRevision = top;
    entry.stream.enqueue(Object.freeze(events));
  }

  #event(pe: PbEvent): WatchEvent | undefined {
    const b = this.#backend;
    if (!pe.kv) return undefined;
    if (pe.type === 'DELETE') {
      if (!pe.prevKv) return undefined;
      const prev = Object.freeze(b.kv(pe.prevKv));
      return Object.freeze({ type: 'delete' as const, kv: Object.freeze({ ...prev, modRevision: b.rel(pe.kv.modRevision) }), prev });
    }
    const kv = Object.freeze(b.kv(pe.kv));
    if (pe.kv.createRevision === pe.kv.modRevision) return Object.freeze({ type: 'create' as const, kv });
    if (!pe.prevKv) return undefined;
    return Object.freeze({ type: 'update' as const, kv, prev: Object.freeze(b.kv(pe.prevKv)) });
  }
}
