/**
 * Printers for batch/v1: jobs and cronjobs.
 */
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import { ageColumn, column, containerColumns, nameColumn, selectorColumn } from './columns.ts';
import { containerCells, int, printBool } from './format.ts';
import { formatLabelSelector } from './labels.ts';
import { age, humanDuration, since, timestampMs } from './time.ts';
import type { Printer } from './types.ts';

/** Whether the first condition of the type is True. */
function hasCondition(conditions: JobCondition[] | undefined, type: string): boolean {
  return (conditions ?? []).find((c) => c.type === type)?.status === 'True';
}

/**
 * The job Status cell. Terminal conditions beat deletion, which beats
 * suspension and a pending failure.
 */
export function jobStatus(job: Job): string {
  const conditions = job.status?.conditions;
  if (hasCondition(conditions, 'Complete')) return 'Complete';
  if (hasCondition(conditions, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** `succeeded/completions`; work-queue jobs (no completions) show `n/1`, or `n/1 of P` when parallel. */
export function jobCompletions(job: Job): string {
  const succeeded = int(job.status?.succeeded);
  const completions = job.spec?.completions;
  if (completions !== undefined && completions !== null) return `${succeeded}/${completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** Run time: start to completion, or start to now while running; empty before the job starts. */
export function jobDuration(job: Job, now: number): string {
  const start = timestampMs(job.status?.startTime);
  if (start === undefined) return '';
  const end = timestampMs(job.status?.completionTime);
  return humanDuration((end ?? now) - start);
}

/** batch/v1 jobs. */
export const jobPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'The job state: Running, Complete, Failed, Suspended or Terminating.'),
    column('Completions', 'string', 'Succeeded pods out of the completions wanted.'),
    column('Duration', 'string', 'How long the job ran, or has been running.'),
    ageColumn(),
    ...containerColumns(),
    selectorColumn(),
  ],
  cells(obj, now) {
    const job = obj as Job;
    const [names, images] = containerCells(job.spec?.template?.spec?.containers);
    return [
      job.metadata?.name ?? '',
      jobStatus(job),
      jobCompletions(job),
      jobDuration(job, now),
      age(obj, now),
      names,
      images,
      formatLabelSelector(job.spec?.selector),
    ];
  },
};

/** batch/v1 cronjobs. Suspend reads False when unset, the create-time default. */
export const cronJobPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Schedule', 'string', 'The cron schedule.'),
    column('Timezone', 'string', 'The time zone the schedule is read in.'),
    column('Suspend', 'boolean', 'Whether new runs are suspended.'),
    column('Active', 'integer', 'The number of running jobs.'),
    column('Last Schedule', 'string', 'When a job was last scheduled.'),
    ageColumn(),
    ...containerColumns(),
    selectorColumn(),
  ],
  cells(obj, now) {
    const cj = obj as CronJob;
    const jobSpec = cj.spec?.jobTemplate?.spec;
    const [names, images] = containerCells(jobSpec?.template?.spec?.containers);
    const last = cj.status?.lastScheduleTime;
    return [
      cj.metadata?.name ?? '',
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? '<none>',
      printBool(cj.spec?.suspend ?? false),
      cj.status?.active?.length ?? 0,
      last ? since(last, now) : '<none>',
      age(obj, now),
      names,
      images,
      formatLabelSelector(jobSpec?.selector),
    ];
  },
};
