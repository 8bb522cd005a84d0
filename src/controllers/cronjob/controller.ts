/**
 * The CronJob controller (`cronjob`), after upstream's cronjob_controllerv2:
 * each CronJob is synced when it or one of its Jobs changes, and again just
 * after its next schedule time (a delayed re-queue on the injected clock,
 * so tests move time instead of waiting).
 */
import { isApiError } from '../../api/errors.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { controllerOf, type OwnerReference } from '../common/controller-ref.ts';
import { addWorkloadIndexes, inNamespace } from '../common/informer-index.ts';
import { errorText } from '../common/pod-control.ts';
import { localTimeZone, parseSchedule } from './schedule.ts';
import { cleanupFinishedJobs, syncCronJob, type CronDeps } from './sync.ts';
import { nextScheduleDelay } from './times.ts';

const log = logger('cronjob-controller');

/** The CronJob with its type fields (cached list items lack them; events and owner references need them). */
export function typedCronJob(cj: Obj): Obj {
  return cj['kind'] ? cj : { apiVersion: 'batch/v1', kind: 'CronJob', ...cj };
}

export class CronJobController implements Controller {
  readonly name = 'cronjob';
  readonly queue: WorkQueue<string>;
  private readonly ctx: ControllerContext;
  private readonly cronJobs: Informer;
  private readonly jobs: Informer;
  private readonly deps: CronDeps;
  /** resourceVersion of each CronJob's last status write; a sync from an older cache waits for it. */
  private readonly written = new Map<string, number>();

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.cronJobs = ctx.informers.informer(resources.cronjobs);
    this.jobs = ctx.informers.informer(resources.jobs);
    addWorkloadIndexes(this.cronJobs);
    addWorkloadIndexes(this.jobs);
    this.deps = { client: ctx.client, recorder: ctx.recorder('cronjob-controller'), now: () => ctx.clock.now() };
    this.cronJobs.addHandler({
      add: (cj) => this.queue.add(keyOf(cj)),
      update: (old, cj) => this.cronJobUpdated(old, cj),
      delete: (cj) => this.written.delete(keyOf(cj)),
    });
    const jobChanged = (j: Obj) => {
      const ref = controllerOf(j);
      const cj = ref && this.resolve(j['metadata'].namespace, ref);
      if (cj) this.queue.add(keyOf(cj));
    };
    this.jobs.addHandler({
      add: jobChanged,
      update: (old, j) => {
        if (old['metadata'].resourceVersion === j['metadata'].resourceVersion) return;
        const oldRef = controllerOf(old);
        if (oldRef && JSON.stringify(oldRef) !== JSON.stringify(controllerOf(j))) jobChanged(old);
        jobChanged(j);
      },
      delete: jobChanged,
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    await runWorkers(this.queue, 5, (key) => this.reconcile(key), (key, err, retry) => log.warn('sync failed', { key, err: errorText(err), retry }));
  }

  private resolve(namespace: string, ref: OwnerReference): Obj | undefined {
    if (ref.kind !== 'CronJob') return undefined;
    const cj = this.cronJobs.getByName(namespace, ref.name);
    return cj && cj['metadata'].uid === ref.uid ? cj : undefined;
  }

  /** A changed schedule or zone: look again at the new next time; anything else: now. */
  private cronJobUpdated(old: Obj, cj: Obj): void {
    const key = keyOf(cj);
    if (old['spec']?.schedule === cj['spec']?.schedule && old['spec']?.timeZone === cj['spec']?.timeZone) return this.queue.add(key);
    try {
      const schedule = parseSchedule(cj['spec']?.schedule ?? '', cj['spec']?.timeZone ?? localTimeZone());
      this.queue.addAfter(key, nextScheduleDelay(cj, this.ctx.clock.now(), schedule));
    } catch (e) {
      this.deps.recorder.event(typedCronJob(cj), 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${cj['spec']?.schedule}`);
      log.debug('unparseable schedule', { key, err: errorText(e) });
    }
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.cronJobs.get(key);
    if (!cached) return;
    const written = this.written.get(key);
    if (written !== undefined) {
      if (Number(cached['metadata'].resourceVersion) < written) return;
      this.written.delete(key);
    }
    const cj = typedCronJob(structuredClone(cached));
    cj['status'] ??= {};
    // Upstream matches its Jobs by the controller reference's name.
    const jobs = inNamespace(this.jobs, cj['metadata'].namespace).filter((j) => controllerOf(j)?.name === cj['metadata'].name && controllerOf(j)?.kind === 'CronJob');
    const cleaned = await cleanupFinishedJobs(this.deps, cj, jobs);
    const result = await syncCronJob(this.deps, cj, jobs);
    if (cleaned || result.updateStatus) {
      try {
        const stored = await this.ctx.client.update(resources.cronjobs, cj['metadata'].namespace, cj, { subresource: 'status' });
        this.written.set(key, Number(stored['metadata'].resourceVersion));
      } catch (e) {
        if (isApiError(e, 'NotFound')) return;
        throw e;
      }
    }
    if (result.error !== undefined) throw result.error;
    if (result.requeueAfterMs !== undefined) return { requeueAfterMs: result.requeueAfterMs };
  }
}

export const cronJobControllerFactory = (ctx: ControllerContext): Controller => new CronJobController(ctx);
