/**
 * The Deployment controller (`deployment`), after upstream's
 * pkg/controller/deployment: each pod template gets a ReplicaSet named
 * `<deployment>-<pod-template-hash>`; RollingUpdate and Recreate move
 * replicas from old sets to the new one; resizing mid-rollout is shared
 * proportionally; paused Deployments only scale; revisions, conditions and
 * status follow upstream so `kubectl rollout` works unchanged.
 *
 * Handlers only enqueue Deployment keys; `reconcile` is level-based over
 * the informer caches and acts through the client.
 */
import { isApiError } from '../../api/errors.ts';
import { fromLabelSelector } from '../../api/selectors/label.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, splitKey, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { adoptPatch, claimObjects, controllerOf, newControllerRef, recheckDeletion, releasePatch, type OwnerReference } from '../common/controller-ref.ts';
import { addWorkloadIndexes, inNamespace } from '../common/informer-index.ts';
import { rolloutRecreate } from './recreate.ts';
import { rolloutRolling } from './rolling.ts';
import { checkPausedConditions, isScalingEvent, replicaSetsAndSyncRevision, syncDeploymentStatus, syncScaling, writeStatus, type SyncDeps } from './sync.ts';

const log = logger('deployment-controller');

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  readonly queue: WorkQueue<string>;
  private readonly ctx: ControllerContext;
  private readonly deployments: Informer;
  private readonly replicaSets: Informer;
  private readonly pods: Informer;
  private readonly deps: SyncDeps;
  private readonly workers: number;

  constructor(ctx: ControllerContext, opts: { workers?: number } = {}) {
    this.ctx = ctx;
    this.workers = opts.workers ?? 5;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.deployments = ctx.informers.informer(resources.deployments);
    this.replicaSets = ctx.informers.informer(resources.replicasets);
    this.pods = ctx.informers.informer(resources.pods);
    addWorkloadIndexes(this.deployments);
    addWorkloadIndexes(this.replicaSets);
    addWorkloadIndexes(this.pods);
    const recorder = ctx.recorder('deployment-controller');
    this.deps = {
      client: ctx.client,
      recorder,
      getReplicaSet: (ns, name) => this.replicaSets.getByName(ns, name),
      now: () => ctx.clock.now(),
    };
    const enqueue = (d: Obj) => this.queue.add(keyOf(d));
    this.deployments.addHandler({ add: enqueue, update: (_o, d) => enqueue(d), delete: enqueue });
    this.replicaSets.addHandler({
      add: (rs) => this.replicaSetChanged(undefined, rs),
      update: (old, rs) => this.replicaSetChanged(old, rs),
      delete: (rs) => {
        const d = this.resolve(rs['metadata'].namespace, controllerOf(rs));
        if (d) enqueue(d);
      },
    });
    // Recreate waits for old pods to be gone; their deletion is its cue.
    this.pods.addHandler({ delete: (p) => this.podDeleted(p) });
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

  private resolve(namespace: string, ref: OwnerReference | undefined): Obj | undefined {
    if (!ref || ref.kind !== 'Deployment' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const d = this.deployments.getByName(namespace, ref.name);
    return d && d['metadata'].uid === ref.uid ? d : undefined;
  }

  /** Deployments whose selector matches an orphan set: they may adopt it. */
  private matching(rs: Obj): Obj[] {
    return inNamespace(this.deployments, rs['metadata'].namespace).filter((d) => {
      try {
        const sel = fromLabelSelector(d['spec']?.selector);
        return !sel.empty && sel.matches(rs['metadata'].labels);
      } catch {
        return false;
      }
    });
  }

  private replicaSetChanged(old: Obj | undefined, rs: Obj): void {
    if (old && old['metadata'].resourceVersion === rs['metadata'].resourceVersion) return;
    const ref = controllerOf(rs);
    const oldRef = old ? controllerOf(old) : undefined;
    const refChanged = JSON.stringify(ref) !== JSON.stringify(oldRef);
    if (old && refChanged) {
      const prev = this.resolve(old['metadata'].namespace, oldRef);
      if (prev) this.queue.add(keyOf(prev));
    }
    if (ref) {
      const d = this.resolve(rs['metadata'].namespace, ref);
      if (d) this.queue.add(keyOf(d));
      return;
    }
    const labelsChanged = !old || JSON.stringify(old['metadata'].labels ?? {}) !== JSON.stringify(rs['metadata'].labels ?? {});
    if (labelsChanged || refChanged) for (const d of this.matching(rs)) this.queue.add(keyOf(d));
  }

  private podDeleted(pod: Obj): void {
    const rsRef = controllerOf(pod);
    if (rsRef?.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.getByName(pod['metadata'].namespace, rsRef.name);
    if (!rs || rs['metadata'].uid !== rsRef.uid) return;
    const d = this.resolve(rs['metadata'].namespace, controllerOf(rs));
    if (d?.['spec']?.strategy?.type === 'Recreate') this.queue.add(keyOf(d));
  }

  /** One level-based sync of the Deployment `key` (upstream's syncDeployment). */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.deployments.get(key);
    if (!cached) return;
    const d = structuredClone(cached);
    const sel = d['spec']?.selector;
    if (!sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length)) {
      this.deps.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d['status']?.observedGeneration ?? 0) < (d['metadata'].generation ?? 0)) {
        d['status'] = { ...(d['status'] ?? {}), observedGeneration: d['metadata'].generation };
        await writeStatus(this.deps, d);
      }
      return;
    }
    const sets = await this.claimReplicaSets(d);
    if (d['metadata'].deletionTimestamp) {
      const { newRS, oldRSs } = await replicaSetsAndSyncRevision(this.deps, d, sets, false);
      await syncDeploymentStatus(this.deps, [...oldRSs, ...(newRS ? [newRS] : [])], newRS, d);
      return;
    }
    await checkPausedConditions(this.deps, d);
    if (d['spec'].paused || (await isScalingEvent(this.deps, d, sets))) {
      await syncScaling(this.deps, d, sets);
      return;
    }
    const after = d['spec'].strategy?.type === 'Recreate' ? await rolloutRecreate(this.deps, d, sets, this.podsBySet(d, sets)) : await rolloutRolling(this.deps, d, sets);
    if (after !== undefined) return { requeueAfterMs: after };
  }

  /** The Deployment's ReplicaSets, adopting and releasing as its selector says. */
  private async claimReplicaSets(d: Obj): Promise<Obj[]> {
    const { namespace, name } = splitKey(keyOf(d));
    const uid: string = d['metadata'].uid;
    const client = this.ctx.client;
    const owner = { apiVersion: 'apps/v1', kind: 'Deployment', ...d };
    return claimObjects(inNamespace(this.replicaSets, namespace), {
      controller: d,
      selector: fromLabelSelector(d['spec'].selector),
      canAdopt: recheckDeletion('Deployment', () => client.get(resources.deployments, namespace, name), uid),
      adopt: async (rs) => {
        await client.patch(resources.replicasets, namespace, rs['metadata'].name, 'strategic', adoptPatch(newControllerRef(owner, 'apps/v1', 'Deployment'), rs['metadata'].uid));
      },
      release: async (rs) => {
        await client.patch(resources.replicasets, namespace, rs['metadata'].name, 'strategic', releasePatch(uid, rs['metadata'].uid));
      },
    });
  }

  /** Pods the Deployment selects, grouped by the uid of the set controlling them (upstream's getPodMapForDeployment). */
  private podsBySet(d: Obj, sets: readonly Obj[]): Map<string, Obj[]> {
    const bySet = new Map<string, Obj[]>(sets.map((rs) => [rs['metadata'].uid as string, []]));
    const sel = fromLabelSelector(d['spec'].selector);
    for (const p of inNamespace(this.pods, d['metadata'].namespace)) {
      if (!sel.matches(p['metadata'].labels)) continue;
      const ref = controllerOf(p);
      if (ref) bySet.get(ref.uid)?.push(p);
    }
    return bySet;
  }
}

export const deploymentControllerFactory = (ctx: ControllerContext): Controller => new DeploymentController(ctx);
