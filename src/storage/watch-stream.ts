/**
 * One watcher's side of the broadcaster: a bounded queue of event chunks that
 * the producer appends to, and the async iterator the watcher reads from.
 *
 * The producer never waits on a watcher. Chunks are shared, frozen arrays
 * (one per prefix per flush), so queueing costs one array slot per flush, not
 * one allocation per event.
 */
import { StorageError, isStorageError, type Watch, type WatchBatch, type WatchEvent } from './backend.ts';
import { logger } from '../util/log.ts';

const log = logger('storage').child('watch');

/**
 * Reads events a stream needs but the broadcaster never held: those after
 * `afterRevision` up to and including `upToRevision`. Returns the events it
 * found (in revision order, under the stream's prefix) and how far they cover
 * (`revision`, greater than `afterRevision`). The stream calls it repeatedly
 * until it reaches `upToRevision`, so it may return one page at a time.
 */
export type Backfill = (afterRevision: number, upToRevision: number) => WatchBatch | Promise<WatchBatch>;

/** What a stream needs from its broadcaster. */
export interface StreamSource {
  /** Every published event at or below this revision has been handed to the streams. */
  readonly flushedRevision: number;
  detach(stream: WatchStream): void;
}

export interface WatchStreamOptions {
  /** Deliver events with revision strictly greater than this. */
  afterRevision: number;
  /** Events queued through `enqueue` are exactly those above this revision. */
  liveFrom: number;
  maxBuffered: number;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  backfill?: Backfill;
}

type State = 'open' | 'ended' | 'failed';

export class WatchStream implements AsyncIterableIterator<WatchBatch>, Watch {
  readonly prefix: string;
  readonly #source: StreamSource;
  readonly #max: number;
  readonly #progressMs: number;
  readonly #backfill: Backfill | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.end();
  #liveFrom: number;
  /** Events at or below this revision were delivered, or are not wanted. */
  #cursor: number;
  #chunks: (readonly WatchEvent[])[] = [];
  #buffered = 0;
  #state: State = 'open';
  #error: StorageError | undefined;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #progressDue = false;
  #pulling = false;
  /** Push mode, once caught up: batches go straight to the consumer. */
  #push: ((batch: WatchBatch) => void) | undefined;
  #ended: (() => void) | undefined;

  constructor(source: StreamSource, prefix: string, opts: WatchStreamOptions) {
    this.#source = source;
    this.prefix = prefix;
    this.#cursor = opts.afterRevision;
    this.#liveFrom = opts.liveFrom;
    this.#max = Math.max(1, opts.maxBuffered);
    this.#progressMs = opts.progressIntervalMs ?? 0;
    this.#backfill = opts.backfill;
    this.#signal = opts.signal;
    if (this.#signal?.aborted) this.#state = 'ended';
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /**
   * Producer side, called by the broadcaster with a frozen chunk already
   * filtered to this stream's prefix. Over the bound, the stream is dropped
   * (its reader gets WATCHER_TOO_SLOW) instead of slowing the producer.
   */
  enqueue(events: readonly WatchEvent[]): void {
    if (this.#state !== 'open') return;
    if (this.#push) {
      this.#chunks.push(events);
      this.#buffered += events.length;
      const batch = this.#take();
      if (batch) this.#deliverPushed(batch);
      return;
    }
    this.#buffered += events.length;
    if (this.#buffered > this.#max) {
      log.info('dropping slow watcher', { prefix: this.prefix, buffered: this.#buffered, maxBuffered: this.#max });
      this.end(new StorageError('WATCHER_TOO_SLOW', `watcher on ${JSON.stringify(this.prefix)} fell more than ${this.#max} events behind`));
      return;
    }
    this.#chunks.push(events);
    this.#wakeUp();
  }

  /** Ends the stream. With an error the reader sees it thrown; without, iteration just finishes. */
  end(error?: StorageError): void {
    if (this.#state !== 'open') return;
    this.#state = error ? 'failed' : 'ended';
    this.#error = error;
    this.#chunks = [];
    this.#buffered = 0;
    this.#source.detach(this);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (this.#timer) clearTimeout(this.#timer);
    this.#wakeUp();
    this.#ended?.();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<WatchBatch, undefined>> {
    // One reader per stream: a second concurrent next() would race on the queue.
    if (this.#pulling) throw new Error('WatchStream.next() called while a previous call is still pending');
    this.#pulling = true;
    try {
      const value = await this.#pull();
      return value ? { done: false, value } : { done: true, value: undefined };
    } finally {
      this.#pulling = false;
    }
  }

  async pump(onBatch: (batch: WatchBatch) => void): Promise<void> {
    // Catch up through the pull path (history pages, anything queued meanwhile)...
    for (;;) {
      if (this.#state === 'failed') {
        this.#state = 'ended';
        throw this.#error;
      }
      if (this.#state === 'ended') return;
      if (this.#cursor < this.#liveFrom) {
        const batch = await this.#fill();
        if (batch) onBatch(batch);
        continue;
      }
      if (this.#buffered > 0) {
        const batch = this.#take();
        if (batch) onBatch(batch);
        continue;
      }
      break;
    }
    // ...then every flush is delivered synchronously by enqueue().
    const done = new Promise<void>((resolve) => (this.#ended = resolve));
    this.#push = onBatch;
    this.#armProgress();
    await done;
    const e = this.#error;
    if (e) {
      this.#error = undefined;
      this.#state = 'ended';
      throw e;
    }
  }

  #deliverPushed(batch: WatchBatch): void {
    this.#armProgress();
    this.#push!(batch);
  }

  /** In push mode, an idle watch reports progress every progressIntervalMs. */
  #armProgress(): void {
    if (this.#progressMs <= 0 || this.#state !== 'open') return;
    if (this.#timer) {
      this.#timer.refresh();
      return;
    }
    this.#timer = setTimeout(() => {
      if (this.#state !== 'open' || !this.#push) return;
      this.#cursor = Math.max(this.#cursor, this.#source.flushedRevision);
      this.#timer!.refresh();
      this.#push({ events: [], revision: this.#cursor });
    }, this.#progressMs);
    this.#timer.unref();
  }

  async return(): Promise<IteratorResult<WatchBatch, undefined>> {
    this.end();
    return { done: true, value: undefined };
  }

  async #pull(): Promise<WatchBatch | undefined> {
    for (;;) {
      if (this.#state === 'failed') {
        // Report the failure once, then behave like a finished iterator.
        this.#state = 'ended';
        throw this.#error;
      }
      if (this.#state === 'ended') return undefined;
      if (this.#cursor < this.#liveFrom) {
        const batch = await this.#fill();
        if (batch) return batch;
        continue;
      }
      if (this.#buffered > 0) {
        const batch = this.#take();
        if (batch) return batch;
        continue;
      }
      if (this.#progressDue) {
        this.#progressDue = false;
        this.#cursor = Math.max(this.#cursor, this.#source.flushedRevision);
        return { events: [], revision: this.#cursor };
      }
      await this.#wait();
    }
  }

  /** One page of history the broadcaster never held. */
  async #fill(): Promise<WatchBatch | undefined> {
    if (!this.#backfill) {
      this.end(new StorageError('NOT_SUPPORTED', 'watch from a past revision needs a history source'));
      return undefined;
    }
    let page: WatchBatch;
    try {
      page = await this.#backfill(this.#cursor, this.#liveFrom);
    } catch (e) {
      this.end(isStorageError(e) ? e : new StorageError('UNAVAILABLE', 'reading watch history failed', { cause: e }));
      return undefined;
    }
    if (this.#state !== 'open') return undefined;
    if (!(page.revision > this.#cursor)) {
      this.end(new StorageError('UNAVAILABLE', `watch history made no progress past revision ${this.#cursor}`));
      return undefined;
    }
    this.#cursor = Math.min(page.revision, this.#liveFrom);
    this.#progressDue = false;
    return page.events.length > 0 ? { events: page.events, revision: this.#cursor } : undefined;
  }

  /** Everything queued, as one batch; undefined if all of it was at or below the cursor. */
  #take(): WatchBatch | undefined {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#buffered = 0;
    const cursor = this.#cursor;
    let events: readonly WatchEvent[] | undefined;
    if (chunks.length === 1 && chunks[0]![0]!.kv.modRevision > cursor) {
      events = chunks[0]; // common case: hand out the shared chunk as is
    } else {
      const out: WatchEvent[] = [];
      for (const chunk of chunks) {
        if (chunk[chunk.length - 1]!.kv.modRevision <= cursor) continue;
        for (const e of chunk) if (e.kv.modRevision > cursor) out.push(e);
      }
      events = out;
    }
    this.#cursor = Math.max(cursor, this.#source.flushedRevision);
    if (events.length === 0) return undefined;
    this.#progressDue = false;
    // Shared and frozen: the type says mutable only because WatchBatch does.
    return { events: events as WatchEvent[], revision: this.#cursor };
  }

  #wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
      if (this.#progressMs > 0) {
        if (this.#timer) this.#timer.refresh();
        else {
          this.#timer = setTimeout(() => {
            this.#progressDue = true;
            this.#wakeUp();
          }, this.#progressMs);
          this.#timer.unref();
        }
      }
    });
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
