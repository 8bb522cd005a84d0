/**
 * The TTL-after-finished controller (`ttl-after-finished`), after upstream's
 * pkg/controller/ttlafterfinished: a finished Job (Complete or Failed) with
 * `spec.ttlSecondsAfterFinished` is deleted that many seconds after it
 * finished (its terminal condition's transition time), with Background
 * propagation so the garbage collector removes its pods.
 *
 * The expiry is checked on the cached Job, then again on a fresh read (the
 * TTL may have been changed), and the delete carries the Job's uid as a
 * precondition so a new Job of the same name is never deleted.
 */
import { isApiError } from '../../api/errors.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, splitKey, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { errorText } from '../common/pod-control.ts';
import { finishTimeOf, isJobFinished } from '../job/conditions.ts';

const log = logger('ttl-after-finished-controller');

/** Has a TTL and has finished: the controller must look after it. */
export function needsCleanup(job: Obj): boolean {
  const ttl = job['spec']?.ttlSecondsAfterFinished;
  return ttl !== undefined && ttl !== null && isJobFinished(job);
}

/** Milliseconds until the Job expires (≤ 0: expired); undefined when it has no TTL or has not finished. */
export function timeLeft(job: Obj, now: number): number | undefined {
  if (!needsCleanup(job)) return undefined;
  const finishedAt = finishTimeOf(job);
  if (finishedAt === undefined) return undefined;
  if (finishedAt > now) log.warn('found a Job finished in the future; clock skew?', { job: keyOf(job), finishedAt: new Date(finishedAt).toISOString() });
  return finishedAt + job['spec'].ttlSecondsAfterFinished * 1000 - now;
}

export class TTLAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished';
  readonly queue: WorkQueue<string>;
  private readonly ctx: ControllerContext;
  private readonly jobs: Informer;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.jobs = ctx.informers.informer(resources.jobs);
    const consider = (job: Obj) => {
      if (needsCleanup(job)) this.queue.add(keyOf(job));
    };
    this.jobs.addHandler({ add: consider, update: (_o, j) => consider(j) });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    await runWorkers(this.queue, 5, (key) => this.reconcile(key), (key, err, retry) => log.warn('sync failed', { key, err: errorText(err), retry }));
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.jobs.get(key);
    if (!cached) return;
    const left = timeLeft(cached, this.ctx.clock.now());
    if (left === undefined) return;
    if (left > 0) return { requeueAfterMs: left };
    // The cached Job may be stale (a changed TTL): decide on a fresh read.
    const { namespace, name } = splitKey(key);
    let fresh: Obj;
    try {
      fresh = await this.ctx.client.get(resources.jobs, namespace, name);
    } catch (e) {
      if (isApiError(e, 'NotFound')) return;
      throw e;
    }
    const freshLeft = timeLeft(fresh, this.ctx.clock.now());
    if (freshLeft === undefined) return;
    if (freshLeft > 0) return { requeueAfterMs: freshLeft };
    log.debug('deleting finished Job past its TTL', { job: key });
    await this.ctx.client.delete(resources.jobs, namespace, name, { propagationPolicy: 'Background', preconditions: { uid: fresh['metadata'].uid } }).catch((e) => {
      if (!isApiError(e, 'NotFound') && !isApiError(e, 'Conflict')) throw e;
    });
  }
}

export const ttlAfterFinishedControllerFactory = (ctx: ControllerContext): Controller => new TTLAfterFinishedController(ctx);
