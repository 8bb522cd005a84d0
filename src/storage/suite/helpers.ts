/**
 * Shared tools for the backend conformance suite: a fresh backend per test,
 * closed even when the test fails, and a watch reader that never leaves a
 * test hanging on an iterator that will not produce.
 */
import assert from 'node:assert/strict';
import { isStorageError, type Backend, type StorageErrorCode, type WatchBatch, type WatchEvent } from '../backend.ts';

export type OpenBackend = () => Promise<Backend>;

/** Per-test time limit: generous for slow CI disks, finite so a hang fails. */
export const TEST_TIMEOUT = { timeout: 30_000 };

export async function withBackend(open: OpenBackend, fn: (b: Backend) => Promise<void>): Promise<void> {
  const b = await open();
  try {
    await fn(b);
  } finally {
    await b.close();
  }
}

/** Asserts `p` rejects with a StorageError of `code` and returns it for further checks. */
export async function rejectsWith(p: Promise<unknown>, code: StorageErrorCode): Promise<import('../backend.ts').StorageError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isStorageError(e, code), `expected StorageError ${code}, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected StorageError ${code}, but the call succeeded`);
}

const TIMEOUT = Symbol('timeout');

/** Races `p` against a timer that never keeps the process alive on its own. */
function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Reads a watch with deadlines. A `next()` that timed out stays pending and
 * is reused by the following read, so no call is lost or doubled.
 */
export class WatchReader {
  readonly #it: AsyncIterator<WatchBatch>;
  #pending: Promise<IteratorResult<WatchBatch>> | undefined;
  readonly batches: WatchBatch[] = [];

  constructor(watch: AsyncIterable<WatchBatch>) {
    this.#it = watch[Symbol.asyncIterator]();
  }

  /** The next batch, `done` if the watch ended, or `timeout`. Errors from the watch are thrown. */
  async next(ms = 5000): Promise<WatchBatch | 'done' | 'timeout'> {
    this.#pending ??= this.#it.next();
    const r = await within(this.#pending, ms).catch((e: unknown) => {
      this.#pending = undefined;
      throw e;
    });
    if (r === TIMEOUT) return 'timeout';
    this.#pending = undefined;
    if (r.done) return 'done';
    this.batches.push(r.value);
    return r.value;
  }

  /** Next batch that has events; fails on end or timeout. */
  async batch(ms = 5000): Promise<WatchBatch> {
    for (;;) {
      const b = await this.next(ms);
      assert.ok(typeof b === 'object', `expected a watch batch, got ${String(b)}`);
      if (b.events.length > 0) return b;
    }
  }

  /** Collects exactly `n` events (fails if more arrive in the last batch, or on timeout). */
  async events(n: number, ms = 5000): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    while (out.length < n) out.push(...(await this.batch(ms)).events);
    assert.equal(out.length, n, `expected exactly ${n} events`);
    return out;
  }

  /** Asserts no event arrives for `ms` (progress batches are allowed). */
  async quiet(ms = 200): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      const b = await this.next(left);
      if (b === 'timeout') return;
      assert.ok(b !== 'done', 'watch ended unexpectedly');
      assert.deepEqual(b.events, [], 'expected no events');
    }
  }

  async close(): Promise<void> {
    await this.#it.return?.();
  }
}

/** Event summary that is easy to compare in assertions. */
export function brief(e: WatchEvent): string {
  const prev = e.type === 'create' ? '' : ` prev=${e.prev.value}@${e.prev.modRevision}`;
  return `${e.type} ${e.kv.key}=${e.kv.value}@${e.kv.modRevision}/c${e.kv.createRevision}${prev}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
