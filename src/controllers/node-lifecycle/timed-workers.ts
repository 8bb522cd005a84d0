/**
 * Work scheduled for a time, one item per key (upstream's
 * TimedWorkerQueue): the taint eviction controller schedules each pod's
 * deletion here. A key whose work succeeded stays as a tombstone so the
 * same deletion is not scheduled twice; cancelling removes it either way.
 */
import type { Clock } from '../../client/clock.ts';
import { logger } from '../../util/log.ts';

const log = logger('taint-eviction');

export interface TimedWork {
  createdAt: number;
  fireAt: number;
}

interface Worker extends TimedWork {
  timer: unknown;
}

export class TimedWorkers {
  private readonly clock: Clock;
  private readonly work: (key: string) => Promise<void>;
  /** null: the work ran and succeeded (a tombstone). */
  private readonly workers = new Map<string, Worker | null>();

  constructor(clock: Clock, work: (key: string) => Promise<void>) {
    this.clock = clock;
    this.work = work;
  }

  /** Schedules work for `key` unless some is scheduled (or done) already. */
  add(key: string, createdAt: number, fireAt: number): void {
    if (this.workers.has(key)) return;
    const w: Worker = { createdAt, fireAt, timer: undefined };
    this.workers.set(key, w);
    const delay = fireAt - this.clock.now();
    // Due now: run on the next turn without waiting for the clock (a fake clock may never move).
    if (delay <= 0) setImmediate(() => void this.fire(key, w));
    else w.timer = this.clock.setTimeout(() => void this.fire(key, w), delay);
  }

  /** Cancels (or forgets) the key's work; true if pending work was cancelled. */
  cancel(key: string): boolean {
    if (!this.workers.has(key)) return false;
    const w = this.workers.get(key);
    this.workers.delete(key);
    if (!w) return false;
    if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
    return true;
  }

  /** The pending work of a key, if any. */
  get(key: string): TimedWork | undefined {
    return this.workers.get(key) ?? undefined;
  }

  /** Cancels everything (on shutdown). */
  clear(): void {
    for (const w of this.workers.values()) if (w?.timer !== undefined) this.clock.clearTimeout(w.timer);
    this.workers.clear();
  }

  private async fire(key: string, w: Worker): Promise<void> {
    if (this.workers.get(key) !== w) return; // cancelled before it ran
    let ok = false;
    try {
      await this.work(key);
      ok = true;
    } catch (e) {
      log.warn('scheduled work failed', { key, err: e });
    }
    // Cancelled or replaced while running: leave the newer state alone.
    if (this.workers.get(key) !== w) return;
    if (ok) this.workers.set(key, null);
    else this.workers.delete(key);
  }
}
