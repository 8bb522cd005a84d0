/**
 * In-process watch fan-out shared by backends: one producer (the backend,
 * after each commit) publishes events in revision order; every watcher gets
 * them through its own bounded `WatchStream`.
 *
 * Cost model, for ~1000 watchers at ~100 events/s: events published within
 * one event-loop turn are delivered together in one flush. A flush filters
 * the events once per distinct prefix (watchers mostly share a handful of
 * prefixes) and appends the same frozen array to each matching watcher, so
 * the per-watcher cost is one queue slot and one wake-up per flush, and
 * watchers of other prefixes are not touched at all.
 */
import { StorageError, type WatchEvent } from './backend.ts';
import { hasPrefix } from './key-range.ts';
import { WatchStream, type Backfill, type StreamSource } from './watch-stream.ts';

/** Default bound on undelivered events per watcher (see WatchOptions.maxBuffered). */
export const DEFAULT_MAX_BUFFERED = 10_000;

export interface SubscribeOptions {
  /** Deliver events with revision strictly greater than this. */
  afterRevision: number;
  signal?: AbortSignal;
  maxBuffered?: number;
  progressIntervalMs?: number;
  /**
   * Source for events at or below the broadcaster's flushed revision, needed
   * when `afterRevision` is older than that. Without it such a subscription
   * fails with NOT_SUPPORTED.
   */
  backfill?: Backfill;
}

export class Broadcaster implements StreamSource {
  readonly #groups = new Map<string, Set<WatchStream>>();
  #pending: WatchEvent[] = [];
  #published: number;
  #flushed: number;
  #scheduled = false;
  #closed = false;
  readonly #flush = (): void => this.#deliver();

  /** @param revision the store's revision when the broadcaster starts. */
  constructor(revision: number) {
    this.#published = revision;
    this.#flushed = revision;
  }

  /** Revision of the last `publish`. */
  get publishedRevision(): number {
    return this.#published;
  }

  /** Every published event at or below this revision has reached the watchers' queues. */
  get flushedRevision(): number {
    return this.#flushed;
  }

  /** Number of open watchers. */
  get watcherCount(): number {
    let n = 0;
    for (const g of this.#groups.values()) n += g.size;
    return n;
  }

  /**
   * Called by the backend after a commit, in revision order. `revision` is the
   * store revision after these events (at least the last event's). Events are
   * frozen here because every watcher shares the same objects.
   */
  publish(events: readonly WatchEvent[], revision: number): void {
    if (revision < this.#published) throw new Error(`publish out of order: ${revision} after ${this.#published}`);
    this.#published = revision;
    if (this.#closed) return;
    if (this.#groups.size === 0 && !this.#scheduled) {
      // Nobody listens and nothing is queued: nothing to hold on to.
      this.#flushed = revision;
      return;
    }
    for (const e of events) {
      Object.freeze(e.kv);
      if (e.type !== 'create') Object.freeze(e.prev);
      this.#pending.push(Object.freeze(e));
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /**
   * Registers a watcher now (not at its first `next()`), so "after revision N"
   * holds from the moment of the call.
   */
  subscribe(prefix: string, opts: SubscribeOptions): WatchStream {
    const stream = new WatchStream(this, prefix, {
      afterRevision: opts.afterRevision,
      liveFrom: this.#flushed,
      maxBuffered: opts.maxBuffered ?? DEFAULT_MAX_BUFFERED,
      progressIntervalMs: opts.progressIntervalMs,
      signal: opts.signal,
      backfill: opts.backfill,
    });
    if (this.#closed) {
      stream.end(new StorageError('UNAVAILABLE', 'the watch source is closed'));
    } else if (stream.isOpen) {
      let group = this.#groups.get(prefix);
      if (!group) this.#groups.set(prefix, (group = new Set()));
      group.add(stream);
    }
    return stream;
  }

  /** Part of StreamSource: a stream that ended leaves its group. */
  detach(stream: WatchStream): void {
    const group = this.#groups.get(stream.prefix);
    if (!group) return;
    group.delete(stream);
    if (group.size === 0) this.#groups.delete(stream.prefix);
  }

  /** Ends every watcher (with `error`, if given) and refuses new ones. */
  close(error?: StorageError): void {
    this.#closed = true;
    this.#pending = [];
    for (const group of [...this.#groups.values()]) for (const s of [...group]) s.end(error);
    this.#groups.clear();
  }

  #deliver(): void {
    this.#scheduled = false;
    const events = this.#pending;
    this.#pending = [];
    this.#flushed = this.#published;
    if (events.length === 0) return;
    for (const [prefix, group] of this.#groups) {
      let matched: WatchEvent[] | undefined;
      if (prefix === '') matched = events;
      else for (const e of events) if (hasPrefix(e.kv.key, prefix)) (matched ??= []).push(e);
      if (!matched) continue;
      Object.freeze(matched);
      for (const stream of group) stream.enqueue(matched);
    }
  }
}
