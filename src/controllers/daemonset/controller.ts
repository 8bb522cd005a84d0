/**
 * The DaemonSet controller (`daemonset`), after upstream's
 * pkg/controller/daemon: one pod per node that should run the DaemonSet
 * (eligibility.ts), placed by the scheduler through a one-node affinity;
 * rolling updates and OnDelete over ControllerRevisions; status.
 *
 * Handlers only enqueue (node changes enqueue the DaemonSets whose
 * eligibility on that node changed) and record expectations; `reconcile`
 * is level-based over the informer caches.
 */
import { isApiError } from '../../api/errors.ts';
import { fromLabelSelector, type Selector } from '../../api/selectors/label.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, splitKey, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { adoptPatch, claimObjects, controllerOf, newControllerRef, recheckDeletion, releasePatch, type OwnerReference } from '../common/controller-ref.ts';
import { Expectations } from '../common/expectations.ts';
import { addWorkloadIndexes, inNamespace } from '../common/informer-index.ts';
import { errorText, PodControl } from '../common/pod-control.ts';
import { enqueueOwnersOfUpdatedPod } from '../common/pod-owners.ts';
import { podKey } from '../common/pods.ts';
import { slowStartBatch, slowStartInitialBatchSize } from '../common/slow-start.ts';
import { podRevisionLabel } from '../history/revision.ts';
import { claimRevisions } from '../history/store.ts';
import { Backoff } from './backoff.ts';
import { nodeShouldRunDaemonPod } from './eligibility.ts';
import { cleanupHistory, constructHistory } from './history.ts';
import { planManage } from './manage.ts';
import { daemonPodTemplate, targetNodeName } from './pod-template.ts';
import { planRollingUpdate } from './rolling-update.ts';
import { computeStatus, statusUnchanged } from './status.ts';

const log = logger('daemonset-controller');

/** Upstream's BurstReplicas: at most this many creations or deletions per sync. */
export const burstReplicas = 250;

/** The DaemonSet with its type fields (cached list items lack them; events need them). */
export function typedDaemonSet(ds: Obj): Obj {
  return ds['kind'] ? ds : { apiVersion: 'apps/v1', kind: 'DaemonSet', ...ds };
}

/** Groups pods by the node they run on or are aimed at; pods naming no node are left out. */
export function podsByNode(pods: readonly Obj[]): Map<string, Obj[]> {
  const out = new Map<string, Obj[]>();
  for (const p of pods) {
    const node = targetNodeName(p);
    if (!node) continue;
    const list = out.get(node);
    if (list) list.push(p);
    else out.set(node, [p]);
  }
  return out;
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  readonly queue: WorkQueue<string>;
  /** Creations and deletions are tracked apart, so one sync can expect both. */
  private readonly creations: Expectations;
  private readonly deletions: Expectations;
  private readonly ctx: ControllerContext;
  private readonly dsInformer: Informer;
  private readonly podInformer: Informer;
  private readonly nodeInformer: Informer;
  private readonly revisionInformer: Informer;
  private readonly recorder: EventRecorder;
  private readonly podControl: PodControl;
  /** Upstream's failedPodsBackoff: 1 s doubling to 15 min per DaemonSet and node. */
  private readonly failedPods = new Backoff(1000, 15 * 60_000);

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.creations = new Expectations(ctx.clock);
    this.deletions = new Expectations(ctx.clock);
    this.recorder = ctx.recorder('daemonset-controller');
    this.podControl = new PodControl(ctx.client, this.recorder);
    this.dsInformer = ctx.informers.informer(resources.daemonsets);
    this.podInformer = ctx.informers.informer(resources.pods);
    this.nodeInformer = ctx.informers.informer(resources.nodes);
    this.revisionInformer = ctx.informers.informer(resources.controllerrevisions);
    for (const inf of [this.dsInformer, this.podInformer, this.revisionInformer]) addWorkloadIndexes(inf);
    this.dsInformer.addHandler({
      add: (ds) => this.queue.add(keyOf(ds)),
      update: (old, ds) => {
        if (old['metadata'].uid !== ds['metadata'].uid) this.forget(keyOf(old));
        this.queue.add(keyOf(ds));
      },
      delete: (ds) => {
        this.forget(keyOf(ds));
        this.queue.add(keyOf(ds));
      },
    });
    this.podInformer.addHandler({ add: (p) => this.podAdded(p), update: (o, p) => this.podUpdated(o, p), delete: (p) => this.podDeleted(p) });
    this.nodeInformer.addHandler({
      add: (n) => this.nodeAdded(n),
      update: (o, n) => this.nodeUpdated(o, n),
      // Desired counts change and unbound pods aimed at the node must go.
      delete: () => this.enqueueAll(),
    });
    const revisionOwner = (r: Obj) => {
      const ref = controllerOf(r);
      const ds = ref && this.resolve(r['metadata'].namespace, ref);
      if (ds) this.queue.add(keyOf(ds));
    };
    this.revisionInformer.addHandler({ add: revisionOwner, update: (_o, r) => revisionOwner(r), delete: revisionOwner });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    await runWorkers(this.queue, 2, (key) => this.reconcile(key), (key, err, retry) => log.warn('sync failed', { key, err: errorText(err), retry }));
  }

  private forget(key: string): void {
    this.creations.delete(key);
    this.deletions.delete(key);
  }

  private satisfied(key: string): boolean {
    return this.creations.satisfied(key) && this.deletions.satisfied(key);
  }

  private enqueueAll(): void {
    for (const ds of this.dsInformer.list()) this.queue.add(keyOf(ds));
  }

  private resolve(namespace: string, ref: OwnerReference): Obj | undefined {
    if (ref.kind !== 'DaemonSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const ds = this.dsInformer.getByName(namespace, ref.name);
    return ds && ds['metadata'].uid === ref.uid ? ds : undefined;
  }

  /** DaemonSets in the pod's namespace selecting it: candidates to adopt an orphan. */
  private matching(pod: Obj): Obj[] {
    return inNamespace(this.dsInformer, pod['metadata'].namespace).filter((ds) => {
      try {
        const sel = fromLabelSelector(ds['spec']?.selector);
        return !sel.empty && sel.matches(pod['metadata'].labels);
      } catch {
        return false;
      }
    });
  }

  private podAdded(pod: Obj): void {
    if (pod['metadata'].deletionTimestamp) return this.podDeleted(pod);
    const ref = controllerOf(pod);
    if (!ref) {
      for (const ds of this.matching(pod)) this.queue.add(keyOf(ds));
      return;
    }
    const ds = this.resolve(pod['metadata'].namespace, ref);
    if (!ds) return;
    this.creations.creationObserved(keyOf(ds));
    this.queue.add(keyOf(ds));
  }

  private podUpdated(old: Obj, pod: Obj): void {
    if (old['metadata'].resourceVersion === pod['metadata'].resourceVersion) return;
    if (pod['metadata'].deletionTimestamp) return this.podDeleted(pod);
    enqueueOwnersOfUpdatedPod(old, pod, { resolve: (ns, ref) => this.resolve(ns, ref), matching: (p) => this.matching(p), queue: this.queue });
  }

  private podDeleted(pod: Obj): void {
    const ref = controllerOf(pod);
    const ds = ref && this.resolve(pod['metadata'].namespace, ref);
    if (!ds) return;
    this.deletions.deletionObserved(keyOf(ds), podKey(pod));
    this.queue.add(keyOf(ds));
  }

  private nodeAdded(node: Obj): void {
    for (const ds of this.dsInformer.list()) if (nodeShouldRunDaemonPod(node, ds).shouldRun) this.queue.add(keyOf(ds));
  }

  private nodeUpdated(old: Obj, node: Obj): void {
    // Only heartbeats and condition changes: eligibility depends on neither.
    const strip = (n: Obj) => JSON.stringify({ ...n, metadata: { ...n['metadata'], resourceVersion: '' }, status: { ...n['status'], conditions: [] } });
    if (strip(old) === strip(node)) return;
    for (const ds of this.dsInformer.list()) {
      const a = nodeShouldRunDaemonPod(old, ds);
      const b = nodeShouldRunDaemonPod(node, ds);
      if (a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning) this.queue.add(keyOf(ds));
    }
  }

  /** The pods `ds` owns after adoption and release (read-only cache objects). */
  private async claimPods(ds: Obj, selector: Selector): Promise<Obj[]> {
    const { namespace, name, uid } = ds['metadata'];
    const client = this.ctx.client;
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet');
    return claimObjects(inNamespace(this.podInformer, namespace), {
      controller: ds,
      selector,
      canAdopt: recheckDeletion('DaemonSet', () => client.get(resources.daemonsets, namespace, name), uid),
      adopt: async (p) => void (await client.patch(resources.pods, namespace, p['metadata'].name, 'strategic', adoptPatch(ref, p['metadata'].uid))),
      release: async (p) => void (await client.patch(resources.pods, namespace, p['metadata'].name, 'strategic', releasePatch(uid, p['metadata'].uid))),
    });
  }

  /** One level-based sync of the DaemonSet `key`. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.dsInformer.get(key);
    if (!cached) {
      this.forget(key);
      return;
    }
    const ds = typedDaemonSet(cached);
    const sel = ds['spec']?.selector;
    if (sel && !sel.matchLabels && !sel.matchExpressions) {
      this.recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    // Revisions and pods of a DaemonSet being deleted may already be gone;
    // its status cannot be computed reliably, so upstream leaves it alone.
    if (ds['metadata'].deletionTimestamp) return;
    let selector: Selector;
    try {
      selector = fromLabelSelector(sel);
    } catch (e) {
      log.warn('invalid selector', { key, err: errorText(e) });
      return;
    }
    const nodes = this.nodeInformer.list();
    const owner = { obj: ds, apiVersion: 'apps/v1', kind: 'DaemonSet', resource: resources.daemonsets };
    const revisions = await claimRevisions(this.ctx.client, this.revisionInformer, owner, selector);
    let pods = await this.claimPods(ds, selector);
    const { cur, old } = await constructHistory(this.ctx.client, ds, revisions, pods);
    const hash: string = cur['metadata'].labels?.[podRevisionLabel] ?? '';
    const satisfied = this.satisfied(key);
    let requeueAfterMs: number | undefined;
    let syncError: unknown;
    if (satisfied) {
      try {
        const plan = planManage(ds, nodes, podsByNode(pods), hash, this.ctx.clock.now(), this.failedPods);
        for (const e of plan.events) this.recorder.event(ds, e.type, e.reason, e.message);
        requeueAfterMs = plan.requeueAfterMs;
        await this.syncNodes(key, ds, plan.delete, plan.create, hash);
        if (this.satisfied(key) && ds['spec']?.updateStrategy?.type === 'RollingUpdate') {
          const rollout = planRollingUpdate(ds, nodes, podsByNode(pods), hash, this.ctx.clock.now());
          await this.syncNodes(key, ds, rollout.delete, rollout.create, hash);
        }
        await cleanupHistory(this.ctx.client, ds, old, pods);
      } catch (e) {
        syncError = e;
      }
      this.failedPods.gc(this.ctx.clock.now());
    }
    // Status from the cache as it is now (creations show up as their events arrive and re-enqueue).
    pods = inNamespace(this.podInformer, ds['metadata'].namespace).filter((p) => controllerOf(p)?.uid === ds['metadata'].uid);
    const counts = computeStatus(ds, nodes, podsByNode(pods), hash, this.ctx.clock.now());
    await this.storeStatus(ds, counts, satisfied);
    if (syncError !== undefined) throw syncError;
    const minReady: number = ds['spec']?.minReadySeconds ?? 0;
    if (minReady > 0 && counts.numberReady !== counts.numberAvailable) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, minReady * 1000);
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  /** Deletes `podNames` and creates a pod on each of `nodeNames` (upstream syncNodes), recording expectations first. */
  private async syncNodes(key: string, ds: Obj, podNames: readonly string[], nodeNames: readonly string[], hash: string): Promise<void> {
    const creates = nodeNames.slice(0, burstReplicas);
    const deletes = podNames.slice(0, burstReplicas);
    const ns: string = ds['metadata'].namespace;
    this.creations.expectCreations(key, creates.length);
    this.deletions.expectDeletions(key, deletes.map((n) => `${ns}/${n}`));
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet');
    let next = 0;
    const { error } = await slowStartBatch(creates.length, slowStartInitialBatchSize, async () => {
      const node = creates[next++]!;
      try {
        await this.podControl.createPod(daemonPodTemplate(ds, node, hash), ds, ref);
      } catch (e) {
        this.creations.creationObserved(key);
        throw e;
      }
    });
    // Creations never attempted after a failing batch are not expected either.
    for (let i = next; i < creates.length; i++) this.creations.creationObserved(key);
    const results = await Promise.allSettled(
      deletes.map(async (name) => {
        try {
          await this.podControl.deletePod(ns, name, ds);
        } catch (e) {
          this.deletions.deletionObserved(key, `${ns}/${name}`);
          if (!isApiError(e, 'NotFound')) throw e;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (error !== undefined) throw error;
    if (failed) throw failed.reason;
  }

  /** Writes the status through the status subresource unless nothing changed; one retry on a conflict, as upstream. */
  private async storeStatus(ds: Obj, counts: ReturnType<typeof computeStatus>, observeGeneration: boolean): Promise<void> {
    if (statusUnchanged(ds, counts)) return;
    const { namespace, name } = splitKey(keyOf(ds));
    let target: Obj = structuredClone(ds);
    for (let attempt = 0; ; attempt++) {
      target['status'] = { ...(target['status'] ?? {}), ...counts };
      if (observeGeneration) target['status'].observedGeneration = ds['metadata'].generation;
      try {
        await this.ctx.client.update(resources.daemonsets, namespace, target, { subresource: 'status' });
        return;
      } catch (e) {
        if (attempt >= 1) throw e;
        target = await this.ctx.client.get(resources.daemonsets, namespace, name);
      }
    }
  }
}

export const daemonSetControllerFactory = (ctx: ControllerContext): Controller => new DaemonSetController(ctx);
