/**
 * NoExecute tainting of unhealthy nodes, zone by zone (upstream's
 * doNoExecuteTaintingPass, markNodeForTainting, markNodeAsReachable and
 * handleDisruption). The node lifecycle controller asks for a node to be
 * tainted; the taint is added when the zone's rate limiter allows, and the
 * taint eviction controller then evicts what does not tolerate it. The
 * not-ready and unreachable taints mirror the Ready condition, so they are
 * mutually exclusive.
 */
import type { Clock } from '../../client/clock.ts';
import type { Informer } from '../../client/informer.ts';
import type { Client, Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import { getCondition, type Condition } from './conditions.ts';
import type { NodeHealthTracker } from './node-health.ts';
import { swapNodeTaints } from './node-taints.ts';
import { RateLimitedTimedQueue, type TryResult } from './rate-limited-queue.ts';
import { notReadyNoExecute, taintExists, taintsOf, unreachableNoExecute } from './taints.ts';
import { computeZoneState, zoneKey, zoneQPS, type ZonePolicy, type ZoneState } from './zones.ts';

const log = logger('node-lifecycle');

export class ZoneTainter {
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly nodes: Informer;
  private readonly health: NodeHealthTracker;
  private readonly policy: ZonePolicy;
  private readonly periodMs: number;
  private readonly queues = new Map<string, RateLimitedTimedQueue>();
  readonly states = new Map<string, ZoneState>();
  private timer: unknown;
  private running = false;
  private passes: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(opts: { client: Client; clock: Clock; nodes: Informer; health: NodeHealthTracker; policy: ZonePolicy; periodMs: number }) {
    this.client = opts.client;
    this.clock = opts.clock;
    this.nodes = opts.nodes;
    this.health = opts.health;
    this.policy = opts.policy;
    this.periodMs = opts.periodMs;
  }

  /** Creates the queue of a zone seen for the first time. */
  addZone(node: Obj): void {
    const zone = zoneKey(node);
    if (this.states.has(zone)) return;
    this.states.set(zone, 'Initial');
    if (!this.queues.has(zone)) this.queues.set(zone, new RateLimitedTimedQueue(this.policy.evictionQPS, this.clock));
  }

  hasZone(node: Obj): boolean {
    return this.states.has(zoneKey(node));
  }

  private queueOf(node: Obj): RateLimitedTimedQueue {
    const zone = zoneKey(node);
    let q = this.queues.get(zone);
    if (!q) this.queues.set(zone, (q = new RateLimitedTimedQueue(this.policy.evictionQPS, this.clock)));
    return q;
  }

  /** Queues a node whose Ready condition is False or Unknown for its NoExecute taint; true if newly queued. */
  markForTainting(node: Obj, status: 'False' | 'Unknown'): boolean {
    const q = this.queueOf(node);
    const name: string = node['metadata'].name;
    // A node processed before but since untainted (someone removed the taint) must be queued again.
    const wanted = status === 'False' ? notReadyNoExecute : unreachableNoExecute;
    if (!taintExists(taintsOf(node), wanted)) q.remove(name);
    const added = q.add(name, node['metadata'].uid ?? '');
    if (added) this.kick();
    return added;
  }

  /** Removes both NoExecute taints and forgets the node; true if it was queued or processed. */
  async markReachable(node: Obj): Promise<boolean> {
    await swapNodeTaints(this.client, node['metadata'].name, [], [unreachableNoExecute, notReadyNoExecute], this.clock.now(), node);
    return this.queueOf(node).remove(node['metadata'].name);
  }

  /** Swaps one NoExecute taint for the other at once (the node already had the opposite one). */
  async swap(node: Obj, status: 'False' | 'Unknown'): Promise<void> {
    const [add, remove] = status === 'False' ? [notReadyNoExecute, unreachableNoExecute] : [unreachableNoExecute, notReadyNoExecute];
    await swapNodeTaints(this.client, node['metadata'].name, [add], [remove], this.clock.now(), node);
  }

  /** Schedules a tainting pass; passes repeat while any zone has nodes waiting. */
  kick(): void {
    if (this.stopped || this.timer !== undefined || this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.pass();
    }, this.periodMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One tainting pass over every zone (upstream runs it every 100 ms); passes never overlap. */
  pass(): Promise<void> {
    const p = this.passes.then(() => this.passOnce());
    this.passes = p.catch(() => undefined);
    return p;
  }

  private async passOnce(): Promise<void> {
    this.running = true;
    try {
      for (const q of [...this.queues.values()]) await q.try((v) => this.taint(v.value));
    } finally {
      this.running = false;
    }
    if ([...this.queues.values()].some((q) => q.length > 0)) this.kick();
  }

  private async taint(name: string): Promise<TryResult> {
    const node = this.nodes.getByName('', name);
    if (!node) return { done: true };
    const ready = getCondition(node['status'], 'Ready');
    if (!ready) return { done: false, retryAfterMs: 50 };
    if (ready.status !== 'False' && ready.status !== 'Unknown') return { done: true }; // healthy again
    try {
      await this.swap(node, ready.status);
      return { done: true };
    } catch (e) {
      log.warn('failed to taint node; will retry', { node: name, err: e });
      return { done: false, retryAfterMs: 0 };
    }
  }

  /**
   * Updates zone states from this pass's Ready conditions and sets each
   * zone's tainting rate. When every zone is fully disrupted, removes all
   * NoExecute taints and stops tainting; on leaving that state, gives every
   * node a fresh grace period.
   */
  async handleDisruption(zoneConditions: Map<string, (Condition | undefined)[]>, nodes: readonly Obj[]): Promise<void> {
    const next = new Map<string, ZoneState>();
    let allAreFully = true;
    for (const [zone, conds] of zoneConditions) {
      const { state } = computeZoneState(conds, this.policy);
      if (state !== 'FullDisruption') allAreFully = false;
      next.set(zone, state);
      if (!this.states.has(zone)) this.states.set(zone, 'Initial');
    }
    let allWereFully = true;
    for (const [zone, state] of this.states) {
      if (!zoneConditions.has(zone)) {
        this.states.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') {
        allWereFully = false;
        break;
      }
    }
    if (allAreFully && allWereFully) return;
    if (allAreFully) {
      log.warn('every node is not Ready: entering full disruption mode, no evictions');
      for (const n of nodes) {
        try {
          await this.markReachable(n);
        } catch (e) {
          log.warn('failed to remove taints from node', { node: n['metadata'].name, err: e });
        }
      }
      for (const zone of this.states.keys()) {
        this.queues.get(zone)?.swapLimiter(0);
        this.states.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWereFully) {
      log.info('some nodes are Ready again: leaving full disruption mode');
      this.health.resetProbes(this.clock.now());
      for (const zone of this.states.keys()) {
        const state = next.get(zone)!;
        this.setRate(zone, zoneConditions.get(zone)!.length, state);
        this.states.set(zone, state);
      }
      return;
    }
    for (const [zone, state] of this.states) {
      const n = next.get(zone)!;
      if (n === state) continue;
      log.info('zone changed state', { zone: zone.replace('\x00', ''), state: n });
      this.setRate(zone, zoneConditions.get(zone)!.length, n);
      this.states.set(zone, n);
    }
  }

  private setRate(zone: string, size: number, state: ZoneState): void {
    this.queues.get(zone)?.swapLimiter(zoneQPS(state, size, this.policy));
  }
}
