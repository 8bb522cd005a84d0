/**
 * The node lifecycle controller (upstream pkg/controller/nodelifecycle).
 *
 * - Every monitor period it checks each node's signs of life (Ready
 *   heartbeats and `kube-node-lease` Lease renewals). A node silent for
 *   longer than the grace period (the start-up grace period if it never
 *   posted status) gets its Ready, MemoryPressure, DiskPressure and
 *   PIDPressure conditions set Unknown ("Kubelet stopped posting node
 *   status."), a NodeNotReady event, and its pods marked not Ready.
 * - A node whose Ready condition is False or Unknown is queued for the
 *   `not-ready` or `unreachable` NoExecute taint, added at a rate limited
 *   per zone (see zone-tainter.ts); both go once it is Ready again.
 * - On every node change it keeps the NoSchedule taints that mirror the
 *   node's conditions and spec.unschedulable (taint nodes by condition),
 *   and the beta os/arch labels in step with the stable ones.
 *
 * Pods are evicted by the taint eviction controller, not here.
 */
import { isApiError } from '../../api/errors.ts';
import type { Clock } from '../../client/clock.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, splitKey, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { conditionNoScheduleTaints, isManagedNoScheduleTaint, type Condition } from './conditions.ts';
import { NodeHealthTracker } from './node-health.ts';
import { swapNodeTaints } from './node-taints.ts';
import { podsOnNode, watchPodsByNode } from './pod-index.ts';
import { markPodsNotReady } from './pods-not-ready.ts';
import { notReadyNoExecute, taintExists, taintsOf, unreachableNoExecute } from './taints.ts';
import { ZoneTainter } from './zone-tainter.ts';
import { defaultZonePolicy, excludeDisruptionLabel, zoneKey, type ZonePolicy } from './zones.ts';

const log = logger('node-lifecycle');

export interface NodeLifecycleOptions {
  /** How often node health is checked (upstream --node-monitor-period, 5 s); default min(5 s, grace/4). */
  monitorPeriodMs?: number;
  /** Grace for nodes that never posted status (upstream --node-startup-grace-period, 60 s); default 1.5 × grace. */
  startupGracePeriodMs?: number;
  /** How often the NoExecute tainting queues are worked (upstream 100 ms). */
  taintingPeriodMs?: number;
  zonePolicy?: ZonePolicy;
}

/** Nodes checked at once during a monitor pass (each may mean several writes). */
const concurrency = 4;
/** Status writes tried per node per pass (upstream NodeHealthUpdateRetry). */
const statusWriteAttempts = 5;

const betaLabels: [stable: string, beta: string][] = [
  ['kubernetes.io/os', 'beta.kubernetes.io/os'],
  ['kubernetes.io/arch', 'beta.kubernetes.io/arch'],
];

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly recorder: EventRecorder;
  private readonly nodes: Informer;
  private readonly pods: Informer;
  private readonly leases: Informer;
  readonly health: NodeHealthTracker;
  readonly tainter: ZoneTainter;
  private readonly monitorPeriodMs: number;
  private readonly known = new Map<string, Obj>();
  private readonly nodesToRetry = new Set<string>();
  private readonly nodeQueue: WorkQueue<string>;
  private readonly podQueue: WorkQueue<string>;
  private passes: Promise<void> = Promise.resolve();

  constructor(ctx: ControllerContext, opts: NodeLifecycleOptions = {}) {
    const grace = ctx.config.nodeMonitorGracePeriodMs;
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.recorder = ctx.recorder('node-controller');
    this.monitorPeriodMs = opts.monitorPeriodMs ?? Math.min(5000, Math.max(50, Math.floor(grace / 4)));
    this.health = new NodeHealthTracker({ gracePeriodMs: grace, startupGracePeriodMs: opts.startupGracePeriodMs ?? Math.round(grace * 1.5) });
    this.nodeQueue = new WorkQueue({ clock: ctx.clock, baseDelayMs: 50, maxDelayMs: 30_000 });
    this.podQueue = new WorkQueue({ clock: ctx.clock, baseDelayMs: 50, maxDelayMs: 30_000 });
    this.nodes = ctx.informers.informer(resources.nodes);
    this.leases = ctx.informers.informer(resources.leases, { namespace: 'kube-node-lease' });
    this.pods = watchPodsByNode(ctx.informers);
    this.tainter = new ZoneTainter({ client: ctx.client, clock: ctx.clock, nodes: this.nodes, health: this.health, policy: opts.zonePolicy ?? defaultZonePolicy, periodMs: opts.taintingPeriodMs ?? 100 });
    this.nodes.addHandler({
      add: (n) => this.nodeQueue.add(n['metadata'].name),
      update: (_o, n) => this.nodeQueue.add(n['metadata'].name),
      delete: (n) => this.nodesToRetry.delete(n['metadata'].name),
    });
    // A pod newly bound to a node that is already unhealthy is marked not Ready too.
    this.pods.addHandler({
      add: (p) => p['spec']?.nodeName && this.podQueue.add(keyOf(p)),
      update: (o, p) => p['spec']?.nodeName && p['spec'].nodeName !== o['spec']?.nodeName && this.podQueue.add(keyOf(p)),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    let timer: unknown;
    const monitor = async () => {
      timer = undefined;
      if (signal.aborted) return;
      try {
        await this.monitorNodeHealth();
      } catch (e) {
        log.error('monitoring node health failed', { err: e });
      }
      if (!signal.aborted) timer = this.clock.setTimeout(() => void monitor(), this.monitorPeriodMs);
    };
    signal.addEventListener(
      'abort',
      () => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        this.tainter.stop();
        this.nodeQueue.shutDown();
        this.podQueue.shutDown();
      },
      { once: true },
    );
    const onError = (what: string) => (key: string, err: unknown, willRetry: boolean) => log.warn(`${what} failed`, { key, err, willRetry });
    void monitor();
    await Promise.all([
      runWorkers(this.nodeQueue, 2, (k) => this.syncNodeTaintsAndLabels(k), onError('node taint/label sync')),
      runWorkers(this.podQueue, 2, (k) => this.processPod(k), onError('marking pod not ready')),
    ]);
  }

  /** One health pass over all nodes (upstream monitorNodeHealth); passes never overlap. Tests call it directly. */
  monitorNodeHealth(): Promise<void> {
    const pass = this.passes.then(() => this.monitorPass());
    this.passes = pass.catch(() => undefined);
    return pass;
  }

  private async monitorPass(): Promise<void> {
    const nodes = this.nodes.list();
    const seen = new Set<string>();
    for (const node of nodes) {
      const name: string = node['metadata'].name;
      seen.add(name);
      if (this.known.has(name)) {
        if (!this.tainter.hasZone(node)) this.tainter.addZone(node);
        continue;
      }
      this.nodeEvent(node, 'RegisteredNode', `Registered Node ${name} in Controller`);
      this.known.set(name, node);
      this.tainter.addZone(node);
      // A node first seen gets a fresh start: no leftover NoExecute taints until proven unhealthy.
      await this.tainter.markReachable(node).catch((e) => log.warn('failed to remove taints from node', { node: name, err: e }));
    }
    for (const [name, node] of this.known) {
      if (seen.has(name)) continue;
      this.nodeEvent(node, 'RemovingNode', `Removing Node ${name} from Controller`);
      this.known.delete(name);
      this.health.forget(name);
    }

    const zoneConditions = new Map<string, (Condition | undefined)[]>();
    let next = 0;
    const worker = async () => {
      while (next < nodes.length) await this.checkNode(nodes[next++]!, zoneConditions);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, nodes.length) }, worker));
    await this.tainter.handleDisruption(zoneConditions, nodes);
  }

  private async checkNode(cached: Obj, zoneConditions: Map<string, (Condition | undefined)[]>): Promise<void> {
    const name: string = cached['metadata'].name;
    let node = structuredClone(cached);
    let check;
    for (let attempt = 1; ; attempt++) {
      check = this.health.check(node, this.leases.getByName('kube-node-lease', name), this.clock.now());
      if (!check.needsWrite) break;
      try {
        await this.client.update(resources.nodes, '', node, { subresource: 'status' });
        this.health.recordWrite(name, this.clock.now());
        break;
      } catch (e) {
        if (attempt >= statusWriteAttempts) {
          log.error('updating node health failed; skipping it this pass, no pods will be evicted', { node: name, err: e });
          return;
        }
        try {
          node = await this.client.get(resources.nodes, '', name);
        } catch {
          return; // deleted meanwhile
        }
      }
    }
    if (!(excludeDisruptionLabel in (node['metadata'].labels ?? {}))) {
      const zone = zoneKey(node);
      const list = zoneConditions.get(zone) ?? [];
      list.push(check.currentReady);
      zoneConditions.set(zone, list);
    }
    const { currentReady, observedReady } = check;
    if (currentReady) {
      try {
        await this.processTaintBasedEviction(node, observedReady);
      } catch (e) {
        log.warn('failed to update NoExecute taints; will retry next pass', { node: name, err: e });
      }
      const becameNotReady = currentReady.status !== 'True' && observedReady.status === 'True';
      if (becameNotReady) this.nodeEvent(node, 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, true);
      if (becameNotReady || (this.nodesToRetry.has(name) && observedReady.status !== 'True')) {
        try {
          await markPodsNotReady(this.client, this.recorder, podsOnNode(this.pods, name), name, this.clock.now());
        } catch (e) {
          log.warn('failed to mark pods not ready; will retry', { node: name, err: e });
          this.nodesToRetry.add(name);
          return;
        }
      }
    }
    this.nodesToRetry.delete(name);
  }

  private async processTaintBasedEviction(node: Obj, observed: Condition): Promise<void> {
    const taints = taintsOf(node);
    switch (observed.status) {
      case 'False':
        // Already unreachable-tainted: switch taints at once rather than wait for the rate limiter.
        if (taintExists(taints, unreachableNoExecute)) await this.tainter.swap(node, 'False');
        else if (this.tainter.markForTainting(node, 'False')) log.debug('node is not Ready; queued for tainting', { node: node['metadata'].name });
        break;
      case 'Unknown':
        if (taintExists(taints, notReadyNoExecute)) await this.tainter.swap(node, 'Unknown');
        else if (this.tainter.markForTainting(node, 'Unknown')) log.debug('node is unreachable; queued for tainting', { node: node['metadata'].name });
        break;
      case 'True':
        if (await this.tainter.markReachable(node)) log.info('node is healthy again; NoExecute taints removed', { node: node['metadata'].name });
        break;
    }
  }

  /** Taint nodes by condition, and keep the beta os/arch labels (upstream doNoScheduleTaintingPass, reconcileNodeLabels). */
  async syncNodeTaintsAndLabels(name: string): Promise<void> {
    const node = this.nodes.getByName('', name);
    if (!node) return;
    const want = conditionNoScheduleTaints(node);
    const have = taintsOf(node).filter(isManagedNoScheduleTaint);
    const add = want.filter((t) => !taintExists(have, t));
    const remove = have.filter((t) => !taintExists(want, t));
    if (add.length || remove.length) await swapNodeTaints(this.client, name, add, remove, this.clock.now(), node);

    const labels: Record<string, string> = node['metadata'].labels ?? {};
    const fix: Record<string, string> = {};
    for (const [stable, beta] of betaLabels) if (labels[stable] !== undefined && labels[beta] !== labels[stable]) fix[beta] = labels[stable]!;
    if (Object.keys(fix).length) {
      try {
        await this.client.patch(resources.nodes, '', name, 'merge', { metadata: { labels: fix } });
      } catch (e) {
        if (!isApiError(e, 'NotFound')) throw e;
      }
    }
  }

  /** A pod bound to a node known to be unhealthy is marked not Ready (upstream processPod). */
  async processPod(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.getByName(namespace, name);
    if (!pod) return;
    const nodeName: string = pod['spec']?.nodeName;
    if (!nodeName || !this.health.has(nodeName)) return;
    if (!this.nodes.getByName('', nodeName)) throw new Error(`node ${nodeName} of pod ${key} is not in the cache yet`);
    const ready = this.health.readyOf(nodeName);
    if (ready && ready.status !== 'True') await markPodsNotReady(this.client, this.recorder, [pod], nodeName, this.clock.now());
  }

  /** Node events: upstream records them in "default" against the node's name and uid. */
  private nodeEvent(node: Obj, reason: string, message: string, statusChange = false): void {
    const ref = { apiVersion: 'v1', kind: 'Node', metadata: { name: node['metadata'].name, uid: node['metadata'].uid } };
    this.recorder.event(ref, 'Normal', reason, statusChange ? message : `Node ${node['metadata'].name} event: ${message}`);
  }
}
