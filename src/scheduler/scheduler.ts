/**
 * The scheduler (`default-scheduler`), run as one of the server's
 * controllers: it takes pods with no node and `schedulerName:
 * default-scheduler` from a priority queue, runs one synchronous
 * scheduling cycle per pod against its cache of nodes and placed pods,
 * assumes the pod on the chosen node, and writes the binding in the
 * background so the next cycle can start at once.
 *
 * Outcomes, as upstream: a `Scheduled` event on success; on failure the
 * PodScheduled=False condition (reason Unschedulable, or SchedulerError for
 * faults) and a `FailedScheduling` warning with the per-node summary.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { resources, type Obj } from '../client/types.ts';
import type { EventRecorder } from '../client/events.ts';
import type { Informer } from '../client/informer.ts';
import type { Controller, ControllerContext } from '../controllers/manager.ts';
import { logger } from '../util/log.ts';
import { isTerminal, SchedulerCache } from './cache/cache.ts';
import { assumedPodInfo, newPodInfo, type PodInfo } from './cache/pod-info.ts';
import { CycleState } from './framework/cycle-state.ts';
import { assignedPodUpdateEvents, events, nodeUpdateEvents, type ClusterEvent } from './framework/events.ts';
import { fitErrorMessage, NO_NODES_AVAILABLE } from './framework/fit-error.ts';
import { Framework, type PluginEntry } from './framework/framework.ts';
import type { Handle } from './framework/interfaces.ts';
import { DEFAULT_SCHEDULER_NAME, defaultPlugins } from './framework/profile.ts';
import { message } from './framework/status.ts';
import { namespaceLister, workloadLister } from './listers.ts';
import type { FilterRunner } from './plugins/default-preemption.ts';
import { SchedulingQueue, type QueueOptions, type QueuedPodInfo } from './queue/scheduling-queue.ts';
import { Algorithm, type AlgorithmOptions } from './schedule-one.ts';
import { writeUnschedulable } from './pod-status.ts';

const log = logger('scheduler');

export interface SchedulerOptions extends AlgorithmOptions {
  queue?: QueueOptions;
  /** Bindings written concurrently; more lets storage group-commit them. */
  maxInFlightBindings?: number;
  /** How long cycles may run back to back before yielding to the event loop (ms). */
  batchMs?: number;
  /** Replaces the default profile's plugins (tests). */
  plugins?: (handle: Handle, runFilter: () => FilterRunner) => PluginEntry[];
}

export class Scheduler implements Controller {
  readonly name = 'scheduler';
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly framework: Framework;
  private readonly ctx: ControllerContext;
  private readonly pods: Informer;
  private readonly recorder: EventRecorder;
  private readonly algorithm: Algorithm;
  private readonly maxBindings: number;
  private readonly batchMs: number;
  private readonly bindings = new Set<Promise<void>>();
  private bindingSlot: (() => void) | undefined;
  /** Counters for logs and benchmarks; `cycleMs` is time spent in synchronous scheduling cycles. */
  readonly metrics = { attempts: 0, scheduled: 0, unschedulable: 0, errors: 0, bindFailures: 0, cycleMs: 0 };

  constructor(ctx: ControllerContext, opts: SchedulerOptions = {}) {
    this.ctx = ctx;
    this.recorder = ctx.recorder(DEFAULT_SCHEDULER_NAME);
    this.maxBindings = opts.maxInFlightBindings ?? 256;
    this.batchMs = opts.batchMs ?? 10;
    const inf = ctx.informers;
    this.pods = inf.informer(resources.pods);
    const nodes = inf.informer(resources.nodes);
    const handle: Handle = {
      cache: this.cache,
      namespaces: namespaceLister(inf.informer(resources.namespaces)),
      workloads: workloadLister(inf.informer(resources.services), inf.informer(resources.replicasets), inf.informer(resources.statefulsets)),
    };
    const runFilter: () => FilterRunner = () => (s, p, n) => this.framework.runFilter(s, p, n);
    this.framework = new Framework(opts.plugins ? opts.plugins(handle, runFilter) : defaultPlugins(handle, ctx.client, runFilter));
    this.queue = new SchedulingQueue(this.framework, { clock: ctx.clock, ...opts.queue });
    this.algorithm = new Algorithm(this.framework, this.cache, opts);

    nodes.addHandler({
      add: (n) => {
        this.cache.addNode(n);
        this.event(events.nodeAdd, undefined, n);
      },
      update: (old, n) => {
        this.cache.updateNode(n);
        for (const e of nodeUpdateEvents(old, n)) this.event(e, old, n);
      },
      delete: (n) => {
        this.cache.removeNode(n);
        this.event(events.nodeDelete, n, undefined);
      },
    });
    this.pods.addHandler({ add: (p) => this.podAdded(p), update: (o, p) => this.podUpdated(o, p), delete: (p) => this.podDeleted(p) });
  }

  private event(e: ClusterEvent, oldObj: Obj | undefined, newObj: Obj | undefined): void {
    const moved = this.queue.moveAllToActiveOrBackoff(e, oldObj, newObj);
    if (moved) log.debug('cluster event moved pods to retry', { event: e.label, pods: moved });
  }

  /** Pods this scheduler is responsible for while they have no node. */
  private responsible(pod: Obj): boolean {
    return (pod['spec']?.schedulerName || DEFAULT_SCHEDULER_NAME) === DEFAULT_SCHEDULER_NAME && !isTerminal(pod);
  }

  private podAdded(pod: Obj): void {
    if (pod['spec']?.nodeName) {
      if (isTerminal(pod)) return;
      this.cache.addPod(pod);
      this.event(events.assignedPodAdd, undefined, pod);
    } else if (this.responsible(pod)) this.queue.add(newPodInfo(pod));
  }

  private podUpdated(old: Obj, pod: Obj): void {
    const uid = pod['metadata']?.uid;
    if (pod['spec']?.nodeName) {
      const wasAssigned = !!old['spec']?.nodeName;
      if (!wasAssigned) this.queue.delete(uid);
      if (isTerminal(pod)) {
        if (!this.cache.hasPod(uid)) return;
        this.cache.removePod(pod);
        this.event(events.assignedPodDelete, old, undefined);
        return;
      }
      const known = wasAssigned && this.cache.hasPod(uid) && !this.cache.isAssumed(uid);
      this.cache.updatePod(pod);
      if (!known) this.event(events.assignedPodAdd, undefined, pod);
      else for (const e of assignedPodUpdateEvents(old, pod)) this.event(e, old, pod);
      return;
    }
    if (this.responsible(pod)) this.queue.update(old, newPodInfo(pod));
    else this.queue.delete(uid);
  }

  private podDeleted(pod: Obj): void {
    const uid = pod['metadata']?.uid;
    this.queue.delete(uid);
    if (pod['spec']?.nodeName && this.cache.hasPod(uid)) {
      this.cache.removePod(pod);
      this.event(events.assignedPodDelete, pod, undefined);
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    this.queue.start();
    const stop = () => this.queue.close();
    signal.addEventListener('abort', stop, { once: true });
    log.info('scheduler started', { nodes: this.cache.numNodes });
    try {
      for (;;) {
        let q = await this.queue.pop();
        if (!q) break;
        // Cycles run back to back for a few milliseconds, so the bindings they
        // start reach storage in one group commit (one fsync) rather than one each.
        const until = performance.now() + this.batchMs;
        while (q) {
          this.cycle(q);
          if (performance.now() >= until || this.bindings.size >= this.maxBindings) break;
          q = this.queue.tryPop();
        }
        // Let informer events and binding completions in.
        if (this.bindings.size >= this.maxBindings) await new Promise<void>((r) => (this.bindingSlot = r));
        else await nextTurn();
      }
    } finally {
      signal.removeEventListener('abort', stop);
      this.queue.close();
      await Promise.allSettled([...this.bindings]);
      await this.recorder.flush();
    }
  }

  private cycle(q: QueuedPodInfo): void {
    const t0 = performance.now();
    try {
      this.scheduleOne(q);
    } catch (e) {
      log.error('scheduling cycle failed', { pod: q.info.key, err: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      this.failed(q, 'SchedulerError', e instanceof Error ? e.message : String(e), new Set());
    }
    this.metrics.cycleMs += performance.now() - t0;
  }

  /** One scheduling cycle (synchronous) and, on success, the start of its binding. */
  scheduleOne(q: QueuedPodInfo): void {
    const pod = q.info;
    if (pod.terminating || this.cache.hasPod(pod.uid)) {
      this.queue.done(pod.uid);
      return;
    }
    this.metrics.attempts++;
    const state = new CycleState();
    const outcome = this.algorithm.schedulePod(state, pod);
    switch (outcome.kind) {
      case 'noNodes':
        this.metrics.unschedulable++;
        return this.failed(q, 'Unschedulable', NO_NODES_AVAILABLE, new Set());
      case 'error':
        this.metrics.errors++;
        log.error('error selecting node for pod', { pod: pod.key, err: message(outcome.status) });
        return this.failed(q, 'SchedulerError', message(outcome.status), new Set());
      case 'unschedulable': {
        this.metrics.unschedulable++;
        const d = outcome.diagnosis;
        if (this.framework.postFilterPlugins.length) {
          const r = this.framework.runPostFilter(state, pod, d);
          d.postFilterMsg = message(r.status);
        }
        const msg = fitErrorMessage(outcome.numAllNodes, d);
        log.debug('unable to schedule pod; waiting', { pod: pod.key, err: msg });
        return this.failed(q, 'Unschedulable', msg, d.unschedulablePlugins);
      }
      case 'scheduled':
        break;
    }
    const nodeName = outcome.nodeName;
    const assumed = assumedPodInfo(pod, nodeName);
    this.cache.assumePod(assumed);
    const reserved = this.framework.runReserve(state, assumed, nodeName);
    if (reserved.code !== 'Success') {
      this.framework.runUnreserve(state, assumed, nodeName);
      this.cache.forgetPod(assumed);
      return this.failed(q, 'SchedulerError', message(reserved), new Set());
    }
    const p = this.bind(q, state, assumed, nodeName).finally(() => {
      this.bindings.delete(p);
      const slot = this.bindingSlot;
      this.bindingSlot = undefined;
      slot?.();
    });
    this.bindings.add(p);
  }

  private async bind(q: QueuedPodInfo, state: CycleState, assumed: PodInfo, nodeName: string): Promise<void> {
    const s = await this.framework.runBind(state, assumed, nodeName);
    if (s.code === 'Success') {
      this.metrics.scheduled++;
      const { namespace, name } = assumed;
      this.recorder.event(q.info.pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${nodeName}`);
      this.queue.done(assumed.uid);
      return;
    }
    this.metrics.bindFailures++;
    this.framework.runUnreserve(state, assumed, nodeName);
    this.cache.forgetPod(assumed);
    // The room the assumed pod held is free again.
    this.event(events.assignedPodDelete, assumed.pod, undefined);
    log.debug('binding failed', { pod: assumed.key, node: nodeName, err: message(s) });
    this.failed(q, 'SchedulerError', message(s), new Set());
  }

  /**
   * Requeues a pod that could not be scheduled (with its latest version)
   * and reports why, unless it is gone or was bound meanwhile.
   */
  private failed(q: QueuedPodInfo, reason: 'Unschedulable' | 'SchedulerError', msg: string, plugins: ReadonlySet<string>): void {
    const { namespace, name, uid } = q.info;
    const cur = this.pods.getByName(namespace, name);
    if (!cur || cur['metadata']?.uid !== uid || cur['spec']?.nodeName) {
      this.queue.done(uid);
      return;
    }
    const info = cur === q.info.pod ? q.info : newPodInfo(cur);
    this.queue.requeue(q, plugins, info);
    this.recorder.event(cur, 'Warning', 'FailedScheduling', truncate(msg));
    writeUnschedulable(this.ctx.client, cur, reason, msg, this.ctx.clock.now()).catch((e) => log.debug('updating pod condition failed', { pod: q.info.key, err: e }));
  }
}

/** Event notes are limited to 1 KiB (events.k8s.io); longer messages end in " ...". */
function truncate(msg: string): string {
  const max = 1024;
  return msg.length <= max ? msg : msg.slice(0, max - 4) + ' ...';
}
