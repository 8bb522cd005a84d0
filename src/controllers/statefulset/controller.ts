/**
 * The StatefulSet controller (`statefulset`), after upstream's
 * pkg/controller/statefulset: stable pod names and claims, ordered or
 * parallel creation and deletion, RollingUpdate with a partition and
 * OnDelete over ControllerRevisions, status.
 *
 * Pod names are deterministic, so no expectations are needed: creating a
 * pod the cache has not caught up with fails with AlreadyExists and the
 * sync is retried.
 */
import { isApiError } from '../../api/errors.ts';
import { fromLabelSelector, type Selector } from '../../api/selectors/label.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { adoptPatch, claimObjects, controllerOf, newControllerRef, recheckDeletion, releasePatch, type OwnerReference } from '../common/controller-ref.ts';
import { addWorkloadIndexes, inNamespace } from '../common/informer-index.ts';
import { errorText } from '../common/pod-control.ts';
import { enqueueOwnersOfUpdatedPod } from '../common/pod-owners.ts';
import { claimRevisions } from '../history/store.ts';
import { isMemberOf } from './identity.ts';
import { StatefulPodControl } from './pod-control.ts';
import { getSetRevisions, truncateHistory } from './revisions.ts';
import { writeStatus } from './status.ts';
import { updateStatefulSet } from './update.ts';

const log = logger('statefulset-controller');

/** The set with its type fields (cached list items lack them; events and owner references need them). */
export function typedStatefulSet(set: Obj): Obj {
  return set['kind'] ? set : { apiVersion: 'apps/v1', kind: 'StatefulSet', ...set };
}

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  readonly queue: WorkQueue<string>;
  private readonly ctx: ControllerContext;
  private readonly setInformer: Informer;
  private readonly podInformer: Informer;
  private readonly revisionInformer: Informer;
  private readonly claimInformer: Informer;
  private readonly control: StatefulPodControl;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.setInformer = ctx.informers.informer(resources.statefulsets);
    this.podInformer = ctx.informers.informer(resources.pods);
    this.revisionInformer = ctx.informers.informer(resources.controllerrevisions);
    this.claimInformer = ctx.informers.informer(resources.persistentvolumeclaims);
    for (const inf of [this.setInformer, this.podInformer, this.revisionInformer]) addWorkloadIndexes(inf);
    this.control = new StatefulPodControl(ctx.client, ctx.recorder('statefulset-controller'), this.claimInformer);
    this.setInformer.addHandler({
      add: (s) => this.queue.add(keyOf(s)),
      update: (_o, s) => this.queue.add(keyOf(s)),
      delete: (s) => this.queue.add(keyOf(s)),
    });
    this.podInformer.addHandler({ add: (p) => this.podAdded(p), update: (o, p) => this.podUpdated(o, p), delete: (p) => this.podDeleted(p) });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    await runWorkers(this.queue, 5, (key) => this.reconcile(key), (key, err, retry) => log.warn('sync failed', { key, err: errorText(err), retry }));
  }

  private resolve(namespace: string, ref: OwnerReference): Obj | undefined {
    if (ref.kind !== 'StatefulSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const set = this.setInformer.getByName(namespace, ref.name);
    return set && set['metadata'].uid === ref.uid ? set : undefined;
  }

  private matching(pod: Obj): Obj[] {
    return inNamespace(this.setInformer, pod['metadata'].namespace).filter((s) => {
      try {
        const sel = fromLabelSelector(s['spec']?.selector);
        return !sel.empty && sel.matches(pod['metadata'].labels);
      } catch {
        return false;
      }
    });
  }

  private podAdded(pod: Obj): void {
    if (pod['metadata'].deletionTimestamp) return this.podDeleted(pod);
    const ref = controllerOf(pod);
    if (ref) {
      const set = this.resolve(pod['metadata'].namespace, ref);
      if (set) this.queue.add(keyOf(set));
      return;
    }
    for (const s of this.matching(pod)) this.queue.add(keyOf(s));
  }

  private podUpdated(old: Obj, pod: Obj): void {
    if (old['metadata'].resourceVersion === pod['metadata'].resourceVersion) return;
    enqueueOwnersOfUpdatedPod(old, pod, { resolve: (ns, ref) => this.resolve(ns, ref), matching: (p) => this.matching(p), queue: this.queue });
  }

  private podDeleted(pod: Obj): void {
    const ref = controllerOf(pod);
    const set = ref && this.resolve(pod['metadata'].namespace, ref);
    if (set) this.queue.add(keyOf(set));
  }

  /** The set's pods: selected and named `<set>-<ordinal>`, after adoption and release. */
  private async claimPods(set: Obj, selector: Selector): Promise<Obj[]> {
    const { namespace, name, uid } = set['metadata'];
    const client = this.ctx.client;
    const ref = newControllerRef(set, 'apps/v1', 'StatefulSet');
    const release = async (p: Obj) => void (await client.patch(resources.pods, namespace, p['metadata'].name, 'strategic', releasePatch(uid, p['metadata'].uid)));
    const all = inNamespace(this.podInformer, namespace);
    const claimed = await claimObjects(
      all.filter((p) => isMemberOf(set, p)),
      {
        controller: set,
        selector,
        canAdopt: recheckDeletion('StatefulSet', () => client.get(resources.statefulsets, namespace, name), uid),
        adopt: async (p) => void (await client.patch(resources.pods, namespace, p['metadata'].name, 'strategic', adoptPatch(ref, p['metadata'].uid))),
        release,
      },
    );
    // Owned pods whose names do not make them members fail upstream's filter: let them go.
    if (!set['metadata'].deletionTimestamp)
      for (const p of all)
        if (!isMemberOf(set, p) && controllerOf(p)?.uid === uid)
          await release(p).catch((e) => {
            if (!isApiError(e, 'NotFound') && !isApiError(e, 'Conflict')) throw e;
          });
    return claimed;
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.setInformer.get(key);
    if (!cached) return;
    const set = typedStatefulSet(cached);
    let selector: Selector;
    try {
      selector = fromLabelSelector(set['spec']?.selector);
    } catch (e) {
      log.warn('invalid selector', { key, err: errorText(e) });
      return;
    }
    const client = this.ctx.client;
    const pods = await this.claimPods(set, selector);
    const owner = { obj: set, apiVersion: 'apps/v1', kind: 'StatefulSet', resource: resources.statefulsets };
    const revisions = await claimRevisions(client, this.revisionInformer, owner, selector);
    const { current, update, collisionCount } = await getSetRevisions(client, set, revisions);
    const now = this.ctx.clock.now();
    const result = await updateStatefulSet(this.control, set, current, update, collisionCount, pods, now);
    await writeStatus(client, set, result.status);
    await truncateHistory(client, set, pods, revisions, current, update);
    if (result.error !== undefined) throw result.error;
    const minReady: number = set['spec']?.minReadySeconds ?? 0;
    if (minReady > 0 && result.status.availableReplicas !== (set['spec']?.replicas ?? 1)) return { requeueAfterMs: minReady * 1000 };
  }
}

export const statefulSetControllerFactory = (ctx: ControllerContext): Controller => new StatefulSetController(ctx);
