/**
 * A work queue in the style of client-go's: keys are de-duplicated (a key
 * added while queued is queued once; added while being processed, it is
 * queued again when processing ends), one key is never processed by two
 * workers at once, failures back off exponentially per key, and delayed
 * adds use an injectable clock.
 */
import { realClock, type Clock } from './clock.ts';

export interface WorkQueueOptions {
  clock?: Clock;
  /** First retry delay after a failure (client-go: 5 ms). */
  baseDelayMs?: number;
  /** Retry delay cap (client-go: 1000 s). */
  maxDelayMs?: number;
}

export class WorkQueue<K = string> {
  private readonly clock: Clock;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly failures = new Map<K, number>();
  private readonly waiting = new Map<K, { at: number; handle: unknown }>();
  private readonly getters: ((k: K | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.baseDelay = opts.baseDelayMs ?? 5;
    this.maxDelay = opts.maxDelayMs ?? 1_000_000;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const getter = this.getters.shift();
    if (getter) {
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
    } else this.queue.push(key);
  }

  /** Adds the key after a delay; an earlier pending delayed add wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const prev = this.waiting.get(key);
    if (prev && prev.at <= at) return;
    if (prev) this.clock.clearTimeout(prev.handle);
    const handle = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, handle });
  }

  /** Re-adds after the key's next backoff delay: base × 2^failures, capped. */
  addRateLimited(key: K): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(this.maxDelay, this.baseDelay * 2 ** n));
  }

  /** Clears the key's failure count (after a success). */
  forget(key: K): void {
    this.failures.delete(key);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to work on; undefined once shut down. Call done(key) afterwards. */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  len(): number {
    return this.queue.length;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) this.clock.clearTimeout(w.handle);
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}

/** Thrown by a reconciler for failures retrying cannot fix; the key is dropped. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export type Reconciler<K> = (key: K) => Promise<ReconcileResult | void>;

/**
 * Runs `workers` loops taking keys from the queue. A reconcile that throws is
 * retried with backoff (unless TerminalError); `requeueAfterMs` schedules a
 * later look. Resolves when the queue shuts down and the workers finish.
 */
export async function runWorkers<K>(
  queue: WorkQueue<K>,
  workers: number,
  reconcile: Reconciler<K>,
  onError: (key: K, err: unknown, willRetry: boolean) => void,
): Promise<void> {
  const loop = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const res = await reconcile(key);
        queue.forget(key);
        if (res?.requeueAfterMs !== undefined) queue.addAfter(key, res.requeueAfterMs);
      } catch (e) {
        const terminal = e instanceof TerminalError;
        onError(key, e, !terminal);
        if (terminal) queue.forget(key);
        else queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}
