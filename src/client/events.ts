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
  /** The Event body while its create is queued and not yet sent: repeats update it in place. */
  unsent?: Obj;
  /** The count patch queued and not yet sent: repeats update it in place. */
  unsentPatch?: Obj;
  /** Settles once the Event was created (or its create failed). */
  created: Promise<void>;
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
  private readonly waiting: (() => Promise<void>)[] = [];
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];
  /** Event writes in flight at once. */
  static concurrency = 16;

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
      if (seen.unsent) {
        // The create has not gone out yet: it will carry the new count.
        seen.unsent['count'] = seen.count;
        seen.unsent['lastTimestamp'] = nowTime(now);
        return;
      }
      if (seen.unsentPatch) {
        seen.unsentPatch['count'] = seen.count;
        seen.unsentPatch['lastTimestamp'] = nowTime(now);
        return;
      }
      const body: Obj = { count: seen.count, lastTimestamp: nowTime(now) };
      seen.unsentPatch = body;
      // A count patch never overtakes the create it amends.
      this.enqueue(() =>
        seen.created.then(() => {
          seen.unsentPatch = undefined;
          return this.client.patch(resources.events, seen.namespace, seen.name, 'merge', body).then(() => undefined);
        }),
      );
      return;
    }
    const name = `${involved.name}.${randomBytes(8).toString('hex')}`;
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
    let settle!: () => void;
    const entry: Recent = { namespace, name, count: 1, at: now, unsent: ev, created: new Promise<void>((r) => (settle = r)) };
    this.recent.set(aggKey, entry);
    if (this.recent.size > 4096) this.recent.delete(this.recent.keys().next().value!);
    this.enqueue(() => {
      entry.unsent = undefined;
      return this.client
        .create(resources.events, namespace, ev)
        .then(() => undefined)
        .finally(settle);
    });
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
    if (this.waiting.length + this.inFlight > 1000) return;
    this.waiting.push(write);
    this.pump();
  }

  /** Runs up to `concurrency` writes at once, so a burst (a scheduler binding thousands of pods) keeps up. */
  private pump(): void {
    while (this.inFlight < EventRecorder.concurrency && this.waiting.length) {
      const write = this.waiting.shift()!;
      this.inFlight++;
      write()
        .catch((e) => log.debug('event write failed', { err: e }))
        .finally(() => {
          this.inFlight--;
          if (this.waiting.length) this.pump();
          else if (this.inFlight === 0) for (const r of this.idle.splice(0)) r();
        });
    }
  }

  /** Resolves once queued writes are done (tests, shutdown). */
  flush(): Promise<void> {
    if (this.inFlight === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }
}
