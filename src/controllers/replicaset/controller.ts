/**
 * The ReplicaSet controller (`replicaset`), after upstream's
 * pkg/controller/replicaset: keeps `spec.replicas` active pods per
 * ReplicaSet, created from its template with a controller reference;
 * adopts matching orphans and releases owned pods that stop matching;
 * reports status through the status subresource.
 *
 * Event handlers only enqueue (and update expectations, which is what
 * observing our own creations and deletions means); `reconcile` is
 * level-based over the informer caches.
 */
import { isApiError } from '../../api/errors.ts';
import { fromLabelSelector } from '../../api/selectors/label.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, splitKey, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { adoptPatch, claimObjects, controllerOf, newControllerRef, recheckDeletion, releasePatch, type OwnerReference } from '../common/controller-ref.ts';
import { Expectations } from '../common/expectations.ts';
import { addWorkloadIndexes, inNamespace } from '../common/informer-index.ts';
import { PodControl } from '../common/pod-control.ts';
import { isPodActive, isPodReady, podKey } from '../common/pods.ts';
import { burstReplicas, manageReplicas, typed, type ManageDeps } from './manage.ts';
import { calculateStatus, updateStatus } from './status.ts';

/** How long pod status changes wait to be folded into one ReplicaSet sync. */
export const STATUS_BATCH_MS = 200;
const log = logger('replicaset-controller');

export { burstReplicas };

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  readonly queue: WorkQueue<string>;
  readonly expectations: Expectations;
  private readonly ctx: ControllerContext;
  private readonly rsInformer: Informer;
  private readonly podInformer: Informer;
  private readonly deps: ManageDeps;
  private readonly workers: number;

  constructor(ctx: ControllerContext, opts: { workers?: number } = {}) {
    this.ctx = ctx;
    this.workers = opts.workers ?? 5;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.expectations = new Expectations(ctx.clock);
    this.rsInformer = ctx.informers.informer(resources.replicasets);
    this.podInformer = ctx.informers.informer(resources.pods);
    addWorkloadIndexes(this.rsInformer);
    addWorkloadIndexes(this.podInformer);
    this.deps = {
      podControl: new PodControl(ctx.client, ctx.recorder('replicaset-controller')),
      expectations: this.expectations,
      pods: this.podInformer,
      replicaSets: this.rsInformer,
      now: () => ctx.clock.now(),
    };
    this.rsInformer.addHandler({
      add: (rs) => this.queue.add(keyOf(rs)),
      update: (old, rs) => {
        if (old['metadata'].uid !== rs['metadata'].uid) this.expectations.delete(keyOf(old));
        this.queue.add(keyOf(rs));
      },
      delete: (rs) => {
        this.expectations.delete(keyOf(rs));
        this.queue.add(keyOf(rs));
      },
    });
    this.podInformer.addHandler({
      add: (p) => this.podAdded(p),
      update: (old, p) => this.podUpdated(old, p),
      delete: (p) => this.podDeleted(p),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    await runWorkers(this.queue, this.workers, (key) => this.reconcile(key), (key, err, retry) => {
      // A conflict means the cache was behind our own last write: routine, retried shortly.
      const level = isApiError(err, 'Conflict') ? 'debug' : 'warn';
      log[level]('sync failed', { key, err: err instanceof Error ? err.message : String(err), retry });
    });
  }

  /** The ReplicaSet a controller reference points at, if it is in the cache with that uid. */
  private resolve(namespace: string, ref: OwnerReference): Obj | undefined {
    if (ref.kind !== 'ReplicaSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const rs = this.rsInformer.getByName(namespace, ref.name);
    return rs && rs['metadata'].uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets in the pod's namespace whose selector matches it: candidates to adopt an orphan. */
  private matching(pod: Obj): Obj[] {
    const out: Obj[] = [];
    for (const rs of inNamespace(this.rsInformer, pod['metadata'].namespace)) {
      try {
        const sel = fromLabelSelector(rs['spec']?.selector);
        if (!sel.empty && sel.matches(pod['metadata'].labels)) out.push(rs);
      } catch {
        // An unparsable selector selects nothing.
      }
    }
    return out;
  }

  private podAdded(pod: Obj): void {
    // A pod already terminating (seen after a restart) is not a creation we wait for.
    if (pod['metadata'].deletionTimestamp) return this.podDeleted(pod);
    const ref = controllerOf(pod);
    if (ref) {
      const rs = this.resolve(pod['metadata'].namespace, ref);
      if (!rs) return;
      const key = keyOf(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const rs of this.matching(pod)) this.queue.add(keyOf(rs));
  }

  private podUpdated(old: Obj, pod: Obj): void {
    if (old['metadata'].resourceVersion === pod['metadata'].resourceVersion) return;
    const labelsChanged = JSON.stringify(old['metadata'].labels ?? {}) !== JSON.stringify(pod['metadata'].labels ?? {});
    if (pod['metadata'].deletionTimestamp) {
      // Graceful deletion started: replace the pod now rather than when the kubelet finishes.
      this.podDeleted(pod);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const ref = controllerOf(pod);
    const oldRef = controllerOf(old);
    const refChanged = JSON.stringify(ref) !== JSON.stringify(oldRef);
    if (refChanged && oldRef) {
      const prev = this.resolve(old['metadata'].namespace, oldRef);
      if (prev) this.queue.add(keyOf(prev));
    }
    if (ref) {
      const rs = this.resolve(pod['metadata'].namespace, ref);
      if (!rs) return;
      // A status-only change (a pod turning Running or Ready) is folded with
      // the others of the next moment: each sync walks every pod of the
      // ReplicaSet, so 10,000 pods reporting one by one would otherwise cost
      // 10,000 full walks. Upstream enqueues at once; its workers run in
      // parallel on many cores, ours share one thread with the API server.
      if (!labelsChanged && !refChanged) this.queue.addAfter(keyOf(rs), STATUS_BATCH_MS);
      else this.queue.add(keyOf(rs));
      const minReady: number = rs['spec']?.minReadySeconds ?? 0;
      // Availability is time-based: look again once the pod has been ready long enough.
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(keyOf(rs), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matching(pod)) this.queue.add(keyOf(rs));
  }

  private podDeleted(pod: Obj): void {
    const ref = controllerOf(pod);
    if (!ref) return;
    const rs = this.resolve(pod['metadata'].namespace, ref);
    if (!rs) return;
    const key = keyOf(rs);
    this.expectations.deletionObserved(key, podKey(pod));
    this.queue.add(key);
  }

  /** One level-based sync of the ReplicaSet `key`. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const rs = this.rsInformer.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    let selector;
    try {
      selector = fromLabelSelector(rs['spec']?.selector);
    } catch (e) {
      log.warn('invalid selector', { key, err: String(e) });
      return;
    }
    const { namespace, name } = splitKey(key);
    const active = inNamespace(this.podInformer, namespace).filter(isPodActive);
    const client = this.ctx.client;
    const owner = typed(rs);
    const uid: string = rs['metadata'].uid;
    const pods = await claimObjects(active, {
      controller: rs,
      selector,
      canAdopt: recheckDeletion('ReplicaSet', () => client.get(resources.replicasets, namespace, name), uid),
      adopt: async (p) => {
        await client.patch(resources.pods, namespace, p['metadata'].name, 'strategic', adoptPatch(newControllerRef(owner, 'apps/v1', 'ReplicaSet'), p['metadata'].uid));
      },
      release: async (p) => {
        await client.patch(resources.pods, namespace, p['metadata'].name, 'strategic', releasePatch(uid, p['metadata'].uid));
      },
    });
    let manageError: unknown;
    if (needsSync && !rs['metadata'].deletionTimestamp) {
      try {
        await manageReplicas(this.deps, key, rs, pods);
      } catch (e) {
        manageError = e;
      }
    }
    const now = this.ctx.clock.now();
    const updated = await updateStatus(client, rs, calculateStatus(rs, pods, manageError, now));
    if (manageError !== undefined) throw manageError;
    // Pods ready but not yet available: look again when minReadySeconds has passed.
    const minReady: number = updated['spec']?.minReadySeconds ?? 0;
    const want: number = updated['spec']?.replicas ?? 1;
    const st = updated['status'] ?? {};
    if (minReady > 0 && (st.readyReplicas ?? 0) === want && (st.availableReplicas ?? 0) !== want) return { requeueAfterMs: minReady * 1000 };
  }
}

export const replicaSetControllerFactory = (ctx: ControllerContext): Controller => new ReplicaSetController(ctx);
