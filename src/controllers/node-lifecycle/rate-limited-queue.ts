/**
 * The per-zone queue of nodes waiting for a NoExecute taint, rate limited
 * by a token bucket (upstream's RateLimitedTimedQueue). Tainting is what
 * evicts pods, so this is where eviction speed is limited: by default one
 * node per 10 s per zone, so a flapping network does not empty a cluster
 * at once.
 *
 * A node stays "known" after it is processed (removed from the queue but
 * kept in the set) so it is not queued again until `remove` forgets it —
 * when the node is healthy again or its taint vanished.
 */
import type { Clock } from '../../client/clock.ts';

/** A token bucket: `burst` tokens, refilled at `qps` per second; qps 0 never accepts. */
export class TokenBucket {
  readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(qps: number, burst: number, clock: Clock) {
    this.qps = qps;
    this.burst = burst;
    this.clock = clock;
    this.tokens = qps > 0 ? burst : 0;
    this.last = clock.now();
  }

  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface TimedValue {
  value: string;
  uid: string;
  addedAt: number;
  processAt: number;
}

/** What a processing function answers: done, or retry after `retryAfterMs`. */
export type TryResult = { done: true } | { done: false; retryAfterMs: number };

export class RateLimitedTimedQueue {
  private readonly clock: Clock;
  private limiter: TokenBucket;
  private queue: TimedValue[] = [];
  private readonly known = new Set<string>();

  constructor(qps: number, clock: Clock) {
    this.clock = clock;
    this.limiter = new TokenBucket(qps, 1, clock);
  }

  /** Queues a node unless it is known already; true if queued. */
  add(value: string, uid: string): boolean {
    if (this.known.has(value)) return false;
    const now = this.clock.now();
    this.known.add(value);
    this.queue.push({ value, uid, addedAt: now, processAt: now });
    return true;
  }

  /** Forgets a node entirely, so it may be queued again; true if it was known. */
  remove(value: string): boolean {
    if (!this.known.delete(value)) return false;
    this.queue = this.queue.filter((v) => v.value !== value);
    return true;
  }

  get length(): number {
    return this.queue.length;
  }

  /**
   * Processes due nodes, earliest first, while the limiter allows: `fn`
   * either finishes a node (it leaves the queue but stays known) or asks
   * for a retry later.
   */
  async try(fn: (v: TimedValue) => Promise<TryResult>): Promise<void> {
    for (;;) {
      this.queue.sort((a, b) => a.processAt - b.processAt);
      const head = this.queue[0];
      if (!head) return;
      if (head.processAt > this.clock.now()) return;
      if (!this.limiter.tryAccept()) return;
      const r = await fn(head);
      const i = this.queue.indexOf(head);
      if (i < 0) continue; // removed while being processed
      if (r.done) this.queue.splice(i, 1);
      else head.processAt = this.clock.now() + r.retryAfterMs;
    }
  }

  /** Changes the rate. A limiter that was exhausted hands its debt to the new one (upstream's drain for burst 1). */
  swapLimiter(qps: number): void {
    if (this.limiter.qps === qps) return;
    const next = new TokenBucket(qps, 1, this.clock);
    if (qps > 0 && !this.limiter.tryAccept()) next.tryAccept();
    this.limiter = next;
  }

  get qps(): number {
    return this.limiter.qps;
  }
}
