/**
 * The scheduling queue, as upstream's PriorityQueue:
 * - activeQ: pods to try now, highest priority first, then the longest
 *   waiting (the time each entered the queue);
 * - backoffQ: pods that failed recently, released when their backoff (1 s
 *   doubling per attempt up to 10 s) has passed;
 * - unschedulable pods: parked after a rejection until a cluster event one
 *   of the rejecting plugins registered (and its hint accepts) moves them
 *   back, or until they have waited `maxInUnschedulableMs` (5 min);
 * - gated pods (a PreEnqueue plugin said no) wait for their own update.
 *
 * Pods popped and not yet finished are "in flight"; the scheduler calls
 * `done` (bound) or one of the requeue methods (failed) for each.
 */
import { realClock, type Clock } from '../../client/clock.ts';
import type { Obj } from '../../client/types.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import { covers, type ClusterEvent } from '../framework/events.ts';
import type { Framework } from '../framework/framework.ts';
import { Heap } from './heap.ts';

export interface QueuedPodInfo {
  info: PodInfo;
  /** When the pod last entered the queue (ordering and backoff start). */
  timestamp: number;
  /** When it was first popped. */
  initialAttempt?: number;
  attempts: number;
  /** Plugins that rejected it in its last attempt. */
  unschedulablePlugins: Set<string>;
  gated: boolean;
}

export interface QueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Parked pods older than this are retried anyway (upstream podMaxInUnschedulablePodsDuration). */
  maxInUnschedulableMs?: number;
  /** How often parked pods are checked for that (upstream: 30 s). */
  flushIntervalMs?: number;
}

const uidOf = (q: QueuedPodInfo) => q.info.uid;

/** Whether an update to a pending pod may change its scheduling (upstream isPodUpdated). */
export function podChangedForScheduling(old: Obj, cur: Obj): boolean {
  const strip = (p: Obj) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _mf, ...meta } = p['metadata'] ?? {};
    return JSON.stringify([meta, p['spec']]);
  };
  return strip(old) !== strip(cur);
}

export class SchedulingQueue {
  private readonly fwk: Framework;
  private readonly clock: Clock;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly maxInUnschedulable: number;
  private readonly flushInterval: number;
  private readonly active = new Heap<QueuedPodInfo>(uidOf, (a, b) => a.info.priority > b.info.priority || (a.info.priority === b.info.priority && a.timestamp < b.timestamp));
  private readonly backoff = new Heap<QueuedPodInfo>(uidOf, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly inFlight = new Map<string, QueuedPodInfo>();
  private waiter: ((q: QueuedPodInfo | undefined) => void) | undefined;
  private backoffTimer: { at: number; handle: unknown } | undefined;
  private flushTimer: unknown;
  private closed = false;

  constructor(fwk: Framework, opts: QueueOptions = {}) {
    this.fwk = fwk;
    this.clock = opts.clock ?? realClock;
    this.initialBackoff = opts.initialBackoffMs ?? 1000;
    this.maxBackoff = opts.maxBackoffMs ?? 10_000;
    this.maxInUnschedulable = opts.maxInUnschedulableMs ?? 5 * 60_000;
    this.flushInterval = opts.flushIntervalMs ?? 30_000;
  }

  /** Sizes, for logs and tests. */
  get stats(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  /** Where the pod is: 'active', 'backoff', 'unschedulable', 'gated', 'inFlight' or undefined. */
  where(uid: string): string | undefined {
    if (this.active.has(uid)) return 'active';
    if (this.backoff.has(uid)) return 'backoff';
    const u = this.unschedulable.get(uid);
    if (u) return u.gated ? 'gated' : 'unschedulable';
    return this.inFlight.has(uid) ? 'inFlight' : undefined;
  }

  /** Backoff after `attempts` tries: initial × 2^(attempts−1), capped. */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoff;
    for (let i = 1; i < attempts; i++) {
      if (d > this.maxBackoff - d) return this.maxBackoff;
      d += d;
    }
    return Math.min(d, this.maxBackoff);
  }

  private backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q.attempts);
  }

  private isBackingOff(q: QueuedPodInfo): boolean {
    return q.attempts > 0 && this.backoffExpiry(q) > this.clock.now();
  }

  /** A new pending pod. */
  add(info: PodInfo): void {
    if (this.closed || this.where(info.uid)) return;
    const q: QueuedPodInfo = { info, timestamp: this.clock.now(), attempts: 0, unschedulablePlugins: new Set(), gated: false };
    this.toActive(q);
  }

  /** The pending pod changed (`old` is the previous object); a change that may matter retries a parked pod. */
  update(old: Obj | undefined, info: PodInfo): void {
    const uid = info.uid;
    const a = this.active.get(uid) ?? this.backoff.get(uid);
    if (a) {
      a.info = info;
      if (this.active.has(uid)) this.active.push(a);
      else this.backoff.push(a);
      return;
    }
    const f = this.inFlight.get(uid);
    if (f) {
      f.info = info;
      return;
    }
    const u = this.unschedulable.get(uid);
    if (!u) return this.add(info);
    u.info = info;
    if (old && !podChangedForScheduling(old, info.pod)) return;
    this.unschedulable.delete(uid);
    if (!u.gated && this.isBackingOff(u)) this.toBackoff(u);
    else this.toActive(u);
  }

  delete(uid: string): void {
    this.active.delete(uid);
    this.backoff.delete(uid);
    this.unschedulable.delete(uid);
  }

  /** Resolves with the next pod to schedule (waiting while there is none); undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const q = this.active.pop();
    if (q) return Promise.resolve(this.started(q));
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Non-blocking pop, for tests and batch loops. */
  tryPop(): QueuedPodInfo | undefined {
    const q = this.active.pop();
    return q ? this.started(q) : undefined;
  }

  private started(q: QueuedPodInfo): QueuedPodInfo {
    q.attempts++;
    q.initialAttempt ??= this.clock.now();
    this.inFlight.set(q.info.uid, q);
    return q;
  }

  /** The pod's attempt ended (bound, skipped or given up). */
  done(uid: string): void {
    this.inFlight.delete(uid);
  }

  /**
   * After a rejection: park the pod until an event one of `plugins` cares
   * about. With no rejecting plugin (a fault, a failed binding) it goes to
   * backoff instead, since no event would be known to help.
   */
  requeue(q: QueuedPodInfo, plugins: ReadonlySet<string>, info: PodInfo = q.info): void {
    this.inFlight.delete(q.info.uid);
    if (this.closed) return;
    q.info = info;
    q.timestamp = this.clock.now();
    q.unschedulablePlugins = new Set(plugins);
    if (plugins.size === 0) {
      if (this.isBackingOff(q)) this.toBackoff(q);
      else this.toActive(q);
      return;
    }
    this.unschedulable.set(q.info.uid, q);
  }

  /**
   * A cluster event happened: parked pods that a plugin registered for it
   * rejected (and whose hint agrees) are retried, after their backoff.
   */
  moveAllToActiveOrBackoff(event: ClusterEvent, oldObj?: Obj, newObj?: Obj): number {
    let moved = 0;
    for (const [uid, q] of this.unschedulable) {
      if (q.gated || !this.worthRequeuing(q, event, oldObj, newObj)) continue;
      this.unschedulable.delete(uid);
      if (this.isBackingOff(q)) this.toBackoff(q);
      else this.toActive(q);
      moved++;
    }
    return moved;
  }

  private worthRequeuing(q: QueuedPodInfo, event: ClusterEvent, oldObj?: Obj, newObj?: Obj): boolean {
    if (event.resource === 'WildCard' || q.unschedulablePlugins.size === 0) return true;
    for (const plugin of q.unschedulablePlugins) {
      for (const reg of this.fwk.enqueueEvents.get(plugin) ?? []) {
        if (!covers(reg.event, event)) continue;
        if (!reg.hint) return true;
        try {
          if (reg.hint(q.info, oldObj, newObj) === 'Queue') return true;
        } catch {
          return true;
        }
      }
    }
    return false;
  }

  private toActive(q: QueuedPodInfo): void {
    const gate = this.fwk.runPreEnqueue(q.info);
    if (gate.code !== 'Success') {
      q.gated = true;
      this.unschedulable.set(q.info.uid, q);
      return;
    }
    q.gated = false;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(this.started(q));
      return;
    }
    this.active.push(q);
  }

  private toBackoff(q: QueuedPodInfo): void {
    this.backoff.push(q);
    this.armBackoffTimer();
  }

  /** One timer, for the earliest backoff expiry. */
  private armBackoffTimer(): void {
    const next = this.backoff.peek();
    if (!next || this.closed) return;
    const at = this.backoffExpiry(next);
    if (this.backoffTimer && this.backoffTimer.at <= at) return;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    const handle = this.clock.setTimeout(() => {
      this.backoffTimer = undefined;
      this.flushBackoff();
    }, Math.max(0, at - this.clock.now()));
    this.backoffTimer = { at, handle };
  }

  /** Moves pods whose backoff has passed to activeQ. */
  flushBackoff(): void {
    const now = this.clock.now();
    for (;;) {
      const q = this.backoff.peek();
      if (!q || this.backoffExpiry(q) > now) break;
      this.backoff.pop();
      this.toActive(q);
    }
    this.armBackoffTimer();
  }

  /** Retries pods parked longer than maxInUnschedulableMs. */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const [uid, q] of this.unschedulable) {
      if (q.gated || now - q.timestamp < this.maxInUnschedulable) continue;
      this.unschedulable.delete(uid);
      if (this.isBackingOff(q)) this.toBackoff(q);
      else this.toActive(q);
    }
  }

  /** Starts the periodic leftover flush. */
  start(): void {
    const tick = () => {
      this.flushUnschedulableLeftover();
      if (!this.closed) this.flushTimer = this.clock.setTimeout(tick, this.flushInterval);
    };
    this.flushTimer = this.clock.setTimeout(tick, this.flushInterval);
  }

  close(): void {
    this.closed = true;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    if (this.flushTimer !== undefined) this.clock.clearTimeout(this.flushTimer);
    const w = this.waiter;
    this.waiter = undefined;
    w?.(undefined);
  }
}
