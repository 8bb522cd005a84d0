/**
 * The Job controller (`job`), after upstream's pkg/controller/job: runs
 * pods to `completions` (NonIndexed or Indexed) at most `parallelism` at a
 * time, replaces failures with backoff until `backoffLimit`, enforces
 * `activeDeadlineSeconds`, honours `suspend`, and counts finished pods
 * exactly once through the `batch.kubernetes.io/job-tracking` finalizer.
 *
 * Queue keys are Job keys (`ns/name`), plus `pod:ns/name` for pods that
 * still hold the tracking finalizer but no longer belong to a live,
 * unfinished Job (their finalizer is removed).
 */
import { isApiError } from '../../api/errors.ts';
import { fromLabelSelector, type Selector } from '../../api/selectors/label.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, splitKey, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { adoptPatch, claimObjects, controllerOf, newControllerRef, recheckDeletion, releasePatch, type OwnerReference } from '../common/controller-ref.ts';
import { Expectations } from '../common/expectations.ts';
import { addWorkloadIndexes, inNamespace } from '../common/informer-index.ts';
import { errorText } from '../common/pod-control.ts';
import { podKey } from '../common/pods.ts';
import { isJobFinished } from './conditions.ts';
import { hasTrackingFinalizer, trackingFinalizer } from './pod-template.ts';
import { syncJob } from './sync.ts';
import { FinalizerExpectations, typedJob, type JobDeps } from './sync-context.ts';
import type { BackoffRecord } from './backoff.ts';

const log = logger('job-controller');
const orphanPrefix = 'pod:';

export class JobController implements Controller {
  readonly name = 'job';
  readonly queue: WorkQueue<string>;
  private readonly ctx: ControllerContext;
  private readonly jobInformer: Informer;
  private readonly podInformer: Informer;
  private readonly deps: JobDeps;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.jobInformer = ctx.informers.informer(resources.jobs);
    this.podInformer = ctx.informers.informer(resources.pods);
    addWorkloadIndexes(this.jobInformer);
    addWorkloadIndexes(this.podInformer);
    this.deps = {
      client: ctx.client,
      recorder: ctx.recorder('job-controller'),
      creations: new Expectations(ctx.clock),
      deletions: new Expectations(ctx.clock),
      finalizers: new FinalizerExpectations(),
      backoff: new Map<string, BackoffRecord>(),
      written: new Map<string, number>(),
      now: () => ctx.clock.now(),
    };
    this.jobInformer.addHandler({
      add: (j) => this.jobChanged(j),
      update: (old, j) => {
        if (old['metadata'].uid !== j['metadata'].uid) this.forget(keyOf(old));
        this.jobChanged(j);
      },
      delete: (j) => {
        this.forget(keyOf(j));
        this.queue.add(keyOf(j));
        this.cleanupPodFinalizers(j);
      },
    });
    this.podInformer.addHandler({ add: (p) => this.podAdded(p), update: (o, p) => this.podUpdated(o, p), delete: (p) => this.podDeleted(p) });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    await runWorkers(this.queue, 5, (key) => this.reconcile(key), (key, err, retry) => log.warn('sync failed', { key, err: errorText(err), retry }));
  }

  private forget(key: string): void {
    this.deps.creations.delete(key);
    this.deps.deletions.delete(key);
    this.deps.finalizers.delete(key);
    this.deps.backoff.delete(key);
    this.deps.written.delete(key);
  }

  private jobChanged(job: Obj): void {
    this.queue.add(keyOf(job));
    // Backup for pods left holding the finalizer after the Job finished.
    if (isJobFinished(job)) this.cleanupPodFinalizers(job);
  }

  /** Queues the removal of the tracking finalizer from the Job's pods that still hold it. */
  private cleanupPodFinalizers(job: Obj): void {
    for (const p of inNamespace(this.podInformer, job['metadata'].namespace)) {
      if (controllerOf(p)?.uid === job['metadata'].uid && hasTrackingFinalizer(p)) this.queue.add(orphanPrefix + keyOf(p));
    }
  }

  private resolve(namespace: string, ref: OwnerReference): Obj | undefined {
    if (ref.kind !== 'Job' || !ref.apiVersion.startsWith('batch/')) return undefined;
    const job = this.jobInformer.getByName(namespace, ref.name);
    return job && job['metadata'].uid === ref.uid ? job : undefined;
  }

  private matching(pod: Obj): Obj[] {
    return inNamespace(this.jobInformer, pod['metadata'].namespace).filter((j) => {
      try {
        const sel = fromLabelSelector(j['spec']?.selector);
        return !sel.empty && sel.matches(pod['metadata'].labels);
      } catch {
        return false;
      }
    });
  }

  /** The pod's live, unfinished Job; otherwise a finalizer it holds is queued for removal. */
  private ownerOrOrphan(pod: Obj): Obj | undefined {
    const ref = controllerOf(pod);
    const job = ref && this.resolve(pod['metadata'].namespace, ref);
    if ((!job || isJobFinished(job)) && hasTrackingFinalizer(pod)) this.queue.add(orphanPrefix + keyOf(pod));
    return job;
  }

  private podAdded(pod: Obj): void {
    if (pod['metadata'].deletionTimestamp) return this.podDeleted(pod);
    const job = this.ownerOrOrphan(pod);
    if (job) {
      this.deps.creations.creationObserved(keyOf(job));
      this.queue.add(keyOf(job));
      return;
    }
    if (!controllerOf(pod)) for (const j of this.matching(pod)) this.queue.add(keyOf(j));
  }

  private podUpdated(old: Obj, pod: Obj): void {
    if (old['metadata'].resourceVersion === pod['metadata'].resourceVersion) return;
    if (hasTrackingFinalizer(old) && !hasTrackingFinalizer(pod)) this.finalizerRemoved(pod);
    if (pod['metadata'].deletionTimestamp) this.podDeleted(pod, false);
    const ref = controllerOf(pod);
    const oldRef = controllerOf(old);
    if (JSON.stringify(ref) !== JSON.stringify(oldRef) && oldRef) {
      const prev = this.resolve(old['metadata'].namespace, oldRef);
      if (prev) this.queue.add(keyOf(prev));
    }
    const job = this.ownerOrOrphan(pod);
    if (job) this.queue.add(keyOf(job));
    else if (!ref) for (const j of this.matching(pod)) this.queue.add(keyOf(j));
  }

  /** Pod gone (or, when not `final`, marked for deletion). */
  private podDeleted(pod: Obj, final = true): void {
    if (final && hasTrackingFinalizer(pod)) this.finalizerRemoved(pod);
    const ref = controllerOf(pod);
    const job = ref && this.resolve(pod['metadata'].namespace, ref);
    if (!job) {
      if (!final && hasTrackingFinalizer(pod)) this.queue.add(orphanPrefix + keyOf(pod));
      return;
    }
    this.deps.deletions.deletionObserved(keyOf(job), podKey(pod));
    this.queue.add(keyOf(job));
  }

  private finalizerRemoved(pod: Obj): void {
    const ref = controllerOf(pod);
    if (ref) this.deps.finalizers.observed(`${pod['metadata'].namespace}/${ref.name}`, pod['metadata'].uid);
  }

  /** The Job's pods after adoption (which adds the tracking finalizer) and release (which drops it). */
  private async claimPods(job: Obj, selector: Selector): Promise<Obj[]> {
    const { namespace, name, uid } = job['metadata'];
    const client = this.ctx.client;
    const ref = newControllerRef(job, 'batch/v1', 'Job');
    return claimObjects(inNamespace(this.podInformer, namespace), {
      controller: job,
      selector,
      canAdopt: recheckDeletion('Job', () => client.get(resources.jobs, namespace, name), uid),
      adopt: async (p) => {
        const patch = adoptPatch(ref, p['metadata'].uid);
        patch['metadata'].finalizers = [trackingFinalizer];
        await client.patch(resources.pods, namespace, p['metadata'].name, 'strategic', patch);
      },
      release: async (p) => {
        const patch = releasePatch(uid, p['metadata'].uid);
        patch['metadata']['$deleteFromPrimitiveList/finalizers'] = [trackingFinalizer];
        await client.patch(resources.pods, namespace, p['metadata'].name, 'strategic', patch);
      },
    });
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    if (key.startsWith(orphanPrefix)) return this.syncOrphanPod(key.slice(orphanPrefix.length));
    const cached = this.jobInformer.get(key);
    if (!cached) {
      this.forget(key);
      return;
    }
    const written = this.deps.written.get(key);
    if (written !== undefined) {
      if (Number(cached['metadata'].resourceVersion) < written) return;
      this.deps.written.delete(key);
    }
    if (isJobFinished(cached)) {
      this.deps.backoff.delete(key);
      return;
    }
    const mode = cached['spec']?.completionMode;
    if (mode && mode !== 'NonIndexed' && mode !== 'Indexed') {
      this.deps.recorder.event(typedJob(cached), 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    let selector: Selector;
    try {
      selector = fromLabelSelector(cached['spec']?.selector);
    } catch (e) {
      log.warn('invalid selector', { key, err: errorText(e) });
      return;
    }
    // Expectations first: a pod arriving after this check just defers the work to the next sync.
    const satisfied = this.deps.creations.satisfied(key) && this.deps.deletions.satisfied(key);
    const pods = await this.claimPods(cached, selector);
    return syncJob(this.deps, key, typedJob(structuredClone(cached)), pods, satisfied);
  }

  /** Removes the tracking finalizer from a pod whose Job is gone or finished. */
  private async syncOrphanPod(podKeyStr: string): Promise<void> {
    const pod = this.podInformer.get(podKeyStr);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerOf(pod);
    const { namespace, name } = splitKey(podKeyStr);
    if (ref) {
      const job = this.resolve(namespace, ref);
      if (job && !isJobFinished(job)) return;
      if (!job) {
        // The cache may lag: only a live read may declare the Job gone.
        try {
          const live = await this.ctx.client.get(resources.jobs, namespace, ref.name);
          if (live['metadata'].uid === ref.uid && !isJobFinished(live)) return;
        } catch (e) {
          if (!isApiError(e, 'NotFound')) throw e;
        }
      }
    }
    await this.ctx.client.patch(resources.pods, namespace, name, 'strategic', { metadata: { [`$deleteFromPrimitiveList/finalizers`]: [trackingFinalizer] } }).catch((e) => {
      if (!isApiError(e, 'NotFound')) throw e;
    });
  }
}

export const jobControllerFactory = (ctx: ControllerContext): Controller => new JobController(ctx);
