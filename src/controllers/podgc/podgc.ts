/**
 * The pod garbage collector (`pod-garbage-collector`, upstream
 * pkg/controller/podgc). Every 20 s it force-deletes (grace period 0)
 * pods nobody else will ever finish:
 * - pods bound to a node that no longer exists, once the node has been
 *   missing for a 40 s quarantine and a live read confirms it is gone
 *   (an informer may simply not have seen a new node yet);
 * - terminating pods on a node that is not Ready and carries the
 *   `node.kubernetes.io/out-of-service` taint (an operator's statement
 *   that the node is down for good, so its pods may be replaced);
 * - terminating pods that were never scheduled;
 * - finished pods (Succeeded/Failed) above the threshold, evicted ones
 *   first, then oldest first.
 * A pod not yet finished is first marked Failed (with a DisruptionTarget
 * condition for orphans), so its owner sees how it ended.
 */
import { isApiError } from '../../api/errors.ts';
import type { Clock } from '../../client/clock.ts';
import type { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { isNodeReady, parseTime, timeString } from '../node-lifecycle/conditions.ts';
import { taintKeys, taintsOf } from '../node-lifecycle/taints.ts';

const log = logger('pod-garbage-collector');

export interface PodGCOptions {
  /** Finished pods kept before the oldest are deleted (upstream --terminated-pod-gc-threshold, 12500); 0 disables. */
  terminatedPodThreshold?: number;
  /** How often to collect (upstream 20 s). */
  periodMs?: number;
  /** How long a pod's node must be missing before a live read decides (upstream 40 s). */
  quarantineMs?: number;
}

/** Pods deleted at once. */
const concurrency = 8;

const terminalPhases = new Set(['Succeeded', 'Failed']);
/** Upstream counts any phase but these as terminated. */
const liveOrPendingPhases = new Set(['Pending', 'Running', 'Unknown']);

export class PodGCController implements Controller {
  readonly name = 'pod-garbage-collector';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly pods: Informer;
  private readonly nodes: Informer;
  private readonly threshold: number;
  private readonly periodMs: number;
  private readonly quarantineMs: number;
  /** Node name → when pods were first seen bound to it while it was missing. */
  private readonly missingSince = new Map<string, number>();
  private passes: Promise<void> = Promise.resolve();

  constructor(ctx: ControllerContext, opts: PodGCOptions = {}) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.threshold = opts.terminatedPodThreshold ?? 12_500;
    this.periodMs = opts.periodMs ?? 20_000;
    this.quarantineMs = opts.quarantineMs ?? 40_000;
    this.pods = ctx.informers.informer(resources.pods);
    this.nodes = ctx.informers.informer(resources.nodes);
  }

  async run(signal: AbortSignal): Promise<void> {
    let timer: unknown;
    await new Promise<void>((resolve) => {
      const loop = async () => {
        if (signal.aborted) return;
        await this.gc();
        if (!signal.aborted) timer = this.clock.setTimeout(() => void loop(), this.periodMs);
      };
      signal.addEventListener(
        'abort',
        () => {
          if (timer !== undefined) this.clock.clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
      void loop();
    });
    await this.passes;
  }

  /** One collection pass; passes never overlap. Tests call it directly. */
  gc(): Promise<void> {
    const p = this.passes.then(() => this.gcOnce());
    this.passes = p.catch(() => undefined);
    return p;
  }

  private async gcOnce(): Promise<void> {
    try {
      const pods = this.pods.list();
      if (this.threshold > 0) await this.gcTerminated(pods);
      await this.gcTerminatingOutOfService(pods);
      await this.gcOrphaned(pods);
      await this.gcUnscheduledTerminating(pods);
    } catch (e) {
      log.error('pod garbage collection failed', { err: e });
    }
  }

  private async gcTerminated(pods: readonly Obj[]): Promise<void> {
    const finished = pods.filter((p) => !liveOrPendingPhases.has(p['status']?.phase));
    const excess = finished.length - this.threshold;
    if (excess <= 0) return;
    log.info('deleting finished pods above the threshold', { count: excess, threshold: this.threshold });
    finished.sort(evictedThenOldest);
    await this.forEach(finished.slice(0, excess), (p) => this.markFailedAndDelete(p));
  }

  private async gcTerminatingOutOfService(pods: readonly Obj[]): Promise<void> {
    const doomed = pods.filter((p) => {
      if (!p['metadata'].deletionTimestamp || !p['spec']?.nodeName) return false;
      const node = this.nodes.getByName('', p['spec'].nodeName);
      return node !== undefined && !isNodeReady(node) && taintsOf(node).some((t) => t.key === taintKeys.outOfService);
    });
    if (!doomed.length) return;
    log.info('deleting terminating pods on out-of-service nodes', { count: doomed.length });
    doomed.sort(evictedThenOldest);
    await this.forEach(doomed, (p) => this.markFailedAndDelete(p));
  }

  private async gcOrphaned(pods: readonly Obj[]): Promise<void> {
    const now = this.clock.now();
    const exists = (name: string) => this.nodes.getByName('', name) !== undefined;
    for (const p of pods) {
      const node: string | undefined = p['spec']?.nodeName;
      if (node && !exists(node) && !this.missingSince.has(node)) this.missingSince.set(node, now);
    }
    const gone = new Set<string>();
    for (const [node, since] of [...this.missingSince]) {
      if (exists(node)) {
        this.missingSince.delete(node);
        continue;
      }
      if (now - since < this.quarantineMs) continue;
      // Quarantine over: ask the API itself; a node still missing next pass starts a new quarantine.
      this.missingSince.delete(node);
      try {
        await this.client.get(resources.nodes, '', node);
      } catch (e) {
        if (isApiError(e, 'NotFound')) gone.add(node);
        else log.warn('checking whether a node exists failed', { node, err: e });
      }
    }
    const orphans = pods.filter((p) => gone.has(p['spec']?.nodeName));
    const condition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' };
    await this.forEach(orphans, async (p) => {
      await this.markFailedAndDelete(p, condition);
      log.info('force-deleted orphaned pod', { pod: `${p['metadata'].namespace}/${p['metadata'].name}`, node: p['spec'].nodeName });
    });
  }

  private async gcUnscheduledTerminating(pods: readonly Obj[]): Promise<void> {
    const doomed = pods.filter((p) => p['metadata'].deletionTimestamp && !p['spec']?.nodeName);
    await this.forEach(doomed, async (p) => {
      await this.markFailedAndDelete(p);
      log.info('force-deleted unscheduled terminating pod', { pod: `${p['metadata'].namespace}/${p['metadata'].name}` });
    });
  }

  /** Marks an unfinished pod Failed (with `condition`), then deletes it with grace period 0. */
  private async markFailedAndDelete(pod: Obj, condition?: Obj): Promise<void> {
    const m = pod['metadata'];
    try {
      if (!terminalPhases.has(pod['status']?.phase)) {
        const status: Obj = { phase: 'Failed' };
        if (condition) status['conditions'] = [{ ...condition, lastTransitionTime: timeString(this.clock.now()) }];
        await this.client.patch(resources.pods, m.namespace, m.name, 'strategic', { metadata: { uid: m.uid }, status }, { subresource: 'status' });
      }
      // The uid guards a pod recreated under the same name (StatefulSets) since the cache was read.
      await this.client.delete(resources.pods, m.namespace, m.name, { gracePeriodSeconds: 0, preconditions: { uid: m.uid } });
    } catch (e) {
      if (isApiError(e, 'NotFound') || isApiError(e, 'Conflict')) return;
      log.warn('force-deleting pod failed', { pod: `${m.namespace}/${m.name}`, err: e });
    }
  }

  private async forEach(pods: readonly Obj[], fn: (p: Obj) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < pods.length) await fn(pods[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, pods.length) }, worker));
  }
}

const isEvicted = (p: Obj) => p['status']?.phase === 'Failed' && p['status']?.reason === 'Evicted';

/** Evicted pods first (they are the least interesting to keep), then by creation time, then name. */
function evictedThenOldest(a: Obj, b: Obj): number {
  const ea = isEvicted(a);
  const eb = isEvicted(b);
  if (ea !== eb) return ea ? -1 : 1;
  const ta = parseTime(a['metadata'].creationTimestamp);
  const tb = parseTime(b['metadata'].creationTimestamp);
  if (ta !== tb) return ta - tb;
  return a['metadata'].name < b['metadata'].name ? -1 : a['metadata'].name > b['metadata'].name ? 1 : 0;
}
