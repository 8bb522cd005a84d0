/**
 * Recording core/v1 Events, as client-go's recorder does, so `kubectl
 * describe` shows what happened (Scheduled, SuccessfulCreate,
 * ScalingReplicaSet, FailedScheduling …):
 * - an event identical to a recent one (same object, type, reason, message
 *   and source) bumps that Event's `count` and `lastTimestamp` instead of
 *   creating another (upstream's EventCorrelator);
 * - each object may produce at most `burst` events, refilled one per
 *   `refillMs` (upstream's spam filter: 25, one per 5 minutes), so a
 *   flapping object cannot flood the store;
 * - recording never blocks the caller; writes go through a short queue.
 */
import { randomBytes } from 'node:crypto';
import { logger } from '../util/log.ts';
import { realClock, type Clock } from './clock.ts';
import { resources, type Client, type Obj } from './types.ts';

const log = logger('events');

export interface RecorderOptions {
  component: string;
  host?: string;
  clock?: Clock;
  burst?: number;
  refillMs?: number;
  /** How long an Event may be aggregated into (upstream: 10 minutes). */
  aggregateMs?: number;
}

interface Recent {
  namespace: string;
  name: string;
  count: number;
  at: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

function nowTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class EventRecorder {
  private readonly client: Client;
  private readonly o: Required<Omit<RecorderOptions, 'host'>> & { host?: string };
  private readonly recent = new Map<string, Recent>();
  private readonly buckets = new Map<string, Bucket>();
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(client: Client, opts: RecorderOptions) {
    this.client = client;
    this.o = { clock: realClock, burst: 25, refillMs: 300_000, aggregateMs: 600_000, ...opts };
  }

  /**
   * Records an event about `obj`. Never throws; failures are logged.
   * `fieldPath` names a part of the object, as the kubelet names a
   * container (`spec.containers{web}`).
   */
  event(obj: Obj, type: 'Normal' | 'Warning', reason: string, message: string, opts: { fieldPath?: string } = {}): void {
    const m = obj['metadata'] ?? {};
    const involved = {
      kind: obj['kind'],
      namespace: m.namespace,
      name: m.name,
      uid: m.uid,
      apiVersion: obj['apiVersion'],
      resourceVersion: m.resourceVersion,
      fieldPath: opts.fieldPath,
    };
    const now = this.o.clock.now();
    const objKey = `${involved.kind}/${involved.namespace ?? ''}/${involved.name}/${involved.uid ?? ''}`;
    if (!this.allow(objKey, now)) return;
    const aggKey = `${objKey}|${opts.fieldPath ?? ''}|${type}|${reason}|${message}|${this.o.component}|${this.o.host ?? ''}`;
    const seen = this.recent.get(aggKey);
    const namespace = involved.namespace || 'default';
    if (seen && now - seen.at < this.o.aggregateMs) {
      seen.count += 1;
      seen.at = now;
      const count = seen.count;
      this.enqueue(() =>
        this.client
          .patch(resources.events, seen.namespace, seen.name, 'merge', { count, lastTimestamp: nowTime(now) })
          .then(() => undefined),
      );
      return;
    }
    const name = `${involved.name}.${randomBytes(8).toString('hex')}`;
    this.recent.set(aggKey, { namespace, name, count: 1, at: now });
    if (this.recent.size > 4096) this.recent.delete(this.recent.keys().next().value!);
    const ev: Obj = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: involved,
      reason,
      message,
      source: this.o.host ? { component: this.o.component, host: this.o.host } : { component: this.o.component },
      firstTimestamp: nowTime(now),
      lastTimestamp: nowTime(now),
      count: 1,
      type,
      reportingComponent: this.o.component,
      reportingInstance: this.o.host ?? '',
    };
    this.enqueue(() => this.client.create(resources.events, namespace, ev).then(() => undefined));
  }

  /** Token bucket per object. */
  private allow(objKey: string, now: number): boolean {
    let b = this.buckets.get(objKey);
    if (!b) {
      b = { tokens: this.o.burst, at: now };
      this.buckets.set(objKey, b);
      if (this.buckets.size > 4096) this.buckets.delete(this.buckets.keys().next().value!);
    }
    const refill = Math.floor((now - b.at) / this.o.refillMs);
    if (refill > 0) {
      b.tokens = Math.min(this.o.burst, b.tokens + refill);
      b.at += refill * this.o.refillMs;
    }
    if (b.tokens <= 0) return false;
    b.tokens -= 1;
    return true;
  }

  private enqueue(write: () => Promise<void>): void {
    // Events are best effort: a long backlog is dropped rather than held in memory.
    if (this.pending > 1000) return;
    this.pending++;
    this.queue = this.queue
      .then(write)
      .catch((e) => log.debug('event write failed', { err: e }))
      .finally(() => this.pending--);
  }

  /** Resolves once queued writes are done (tests, shutdown). */
  flush(): Promise<void> {
    return this.queue;
  }
}
