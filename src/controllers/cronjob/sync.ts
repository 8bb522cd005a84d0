/**
 * One sync of a CronJob (upstream syncCronJob and cleanupFinishedJobs), on a
 * private copy whose status the caller writes if anything changed:
 *
 * 1. Reconcile `status.active` with the Jobs it owns (finished ones leave,
 *    with SawCompletedJob; vanished ones leave, with MissingJob) and keep
 *    `lastSuccessfulTime`; delete finished Jobs beyond the history limits.
 * 2. Unless suspended, find the most recent unmet schedule time; skip it
 *    if past startingDeadlineSeconds, if already run, or (Forbid) while a
 *    Job is active; with Replace delete the active Jobs first; create the
 *    Job `<name>-<minutes>` and record it as active and last scheduled.
 * 3. Come back just after the next schedule time.
 */
import { isApiError } from '../../api/errors.ts';
import type { EventRecorder } from '../../client/events.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { newControllerRef } from '../common/controller-ref.ts';
import { errorText, isNamespaceTerminating } from '../common/pod-control.ts';
import { finishedType, isJobSucceeded, timeString } from '../job/conditions.ts';
import { isValidTimeZone, localTimeZone, parseSchedule, rfc3339In, type Schedule } from './schedule.ts';
import { jobNameFor, nextScheduleDelay, nextScheduleTime } from './times.ts';

export const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export interface CronDeps {
  client: Client;
  recorder: EventRecorder;
  now(): number;
}

export interface CronSyncResult {
  requeueAfterMs?: number;
  updateStatus: boolean;
  error?: unknown;
}

const active = (cj: Obj): Obj[] => (cj['status'] ??= {})['active'] ?? [];
const inActive = (cj: Obj, uid: string) => active(cj).some((r) => r['uid'] === uid);
function removeActive(cj: Obj, uid: string): void {
  const rest = active(cj).filter((r) => r['uid'] !== uid);
  if (rest.length) cj['status'].active = rest;
  else delete cj['status'].active;
}

/** The Job for the run at `scheduled` (upstream getJobFromTemplate2). */
export function jobFromTemplate(cj: Obj, scheduled: number): Obj {
  const jt: Obj = cj['spec']?.jobTemplate ?? {};
  const tm: Obj = jt['metadata'] ?? {};
  const annotations: Record<string, string> = { ...(tm['annotations'] ?? {}) };
  annotations[scheduledTimestampAnnotation] = rfc3339In(scheduled, cj['spec']?.timeZone ?? 'UTC');
  const metadata: Obj = { name: jobNameFor(cj, scheduled), namespace: cj['metadata'].namespace, annotations, ownerReferences: [newControllerRef(cj, 'batch/v1', 'CronJob')] };
  if (tm['labels'] && Object.keys(tm['labels']).length) metadata['labels'] = { ...tm['labels'] };
  return { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: structuredClone(jt['spec'] ?? {}) };
}

function jobRef(job: Obj): Obj {
  const m = job['metadata'];
  return { kind: 'Job', namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: 'batch/v1', resourceVersion: m.resourceVersion };
}

/** Deletes a Job (Background: the garbage collector takes its pods) and drops it from the active list. */
async function deleteJob(deps: CronDeps, cj: Obj, job: Obj): Promise<boolean> {
  const m = job['metadata'];
  try {
    await deps.client.delete(resources.jobs, m.namespace, m.name, { propagationPolicy: 'Background' });
  } catch (e) {
    if (!isApiError(e, 'NotFound')) {
      deps.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${errorText(e)}`);
      return false;
    }
  }
  removeActive(cj, m.uid);
  deps.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${m.name}`);
  return true;
}

/** Oldest first by start time (no start time last), then by name (upstream byJobStartTime). */
function byStartTime(a: Obj, b: Obj): number {
  const sa = a['status']?.startTime;
  const sb = b['status']?.startTime;
  if (!sa !== !sb) return sa ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a['metadata'].name < b['metadata'].name ? -1 : a['metadata'].name > b['metadata'].name ? 1 : 0;
}

export async function cleanupFinishedJobs(deps: CronDeps, cj: Obj, jobs: readonly Obj[]): Promise<boolean> {
  const spec: Obj = cj['spec'] ?? {};
  const limits: [string, number | undefined][] = [
    ['Complete', spec['successfulJobsHistoryLimit'] ?? undefined],
    ['Failed', spec['failedJobsHistoryLimit'] ?? undefined],
  ];
  let changed = false;
  for (const [type, limit] of limits) {
    if (limit === undefined) continue;
    const finished = jobs.filter((j) => finishedType(j) === type).sort(byStartTime);
    for (const j of finished.slice(0, Math.max(finished.length - limit, 0))) if (await deleteJob(deps, cj, j)) changed = true;
  }
  return changed;
}

export async function syncCronJob(deps: CronDeps, cj: Obj, jobs: readonly Obj[]): Promise<CronSyncResult> {
  const now = deps.now();
  let updateStatus = false;
  const mine = new Set<string>();
  for (const j of jobs) {
    const uid: string = j['metadata'].uid;
    mine.add(uid);
    const finished = finishedType(j);
    const found = inActive(cj, uid);
    if (!found && !finished) {
      // Our status may be older than our own last write: check a fresh copy before complaining.
      const fresh = await deps.client.get(resources.cronjobs, cj['metadata'].namespace, cj['metadata'].name);
      if (inActive(fresh, uid)) {
        cj['status'] = fresh['status'];
        cj['metadata'].resourceVersion = fresh['metadata'].resourceVersion;
        continue;
      }
      deps.recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j['metadata'].name}`);
    } else if (found && finished) {
      removeActive(cj, uid);
      deps.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j['metadata'].name}, status: ${finished}`);
      updateStatus = true;
    } else if (isJobSucceeded(j)) {
      const done: string | undefined = j['status']?.completionTime;
      const last: string | undefined = cj['status'].lastSuccessfulTime;
      if (done && (!last || Date.parse(done) > Date.parse(last))) {
        cj['status'].lastSuccessfulTime = done;
        updateStatus = true;
      }
    }
  }
  // Active entries whose Job is gone (checked live: the cache may just be slow).
  for (const ref of [...active(cj)]) {
    if (mine.has(ref['uid'])) continue;
    try {
      await deps.client.get(resources.jobs, ref['namespace'], ref['name']);
    } catch (e) {
      if (!isApiError(e, 'NotFound')) return { updateStatus, error: e };
      deps.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref['name']}`);
      removeActive(cj, ref['uid']);
      updateStatus = true;
    }
  }
  if (cj['metadata'].deletionTimestamp) return { updateStatus };

  const spec: Obj = cj['spec'] ?? {};
  const tz: string | undefined = spec['timeZone'] ?? undefined;
  if (tz !== undefined && !isValidTimeZone(tz)) {
    deps.recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${tz}": unknown time zone ${tz}`);
    return { updateStatus };
  }
  if (spec['suspend'] === true) return { updateStatus };
  const scheduleText: string = spec['schedule'] ?? '';
  if (scheduleText.includes('TZ')) {
    deps.recorder.event(cj, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule "${scheduleText}" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
  }
  let schedule: Schedule;
  try {
    schedule = parseSchedule(scheduleText, tz ?? localTimeZone());
  } catch (e) {
    deps.recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${scheduleText}" : ${errorText(e)}`);
    return { updateStatus };
  }
  const due = nextScheduleTime(cj, now, schedule);
  if (due.error !== undefined) {
    deps.recorder.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${scheduleText} : ${due.error}`);
    return { updateStatus };
  }
  if (due.tooManyMissed) {
    deps.recorder.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  }
  const requeueAfterMs = nextScheduleDelay(cj, now, schedule);
  const scheduled = due.time;
  if (scheduled === undefined) return { requeueAfterMs, updateStatus };
  const deadline = spec['startingDeadlineSeconds'];
  if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
    deps.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${new Date(scheduled).toUTCString().replace('GMT', '+0000')}`);
    return { requeueAfterMs, updateStatus };
  }
  const name = jobNameFor(cj, scheduled);
  if (active(cj).some((r) => r['name'] === name) || cj['status'].lastScheduleTime === timeString(scheduled)) return { requeueAfterMs, updateStatus };
  if (spec['concurrencyPolicy'] === 'Forbid' && active(cj).length > 0) {
    deps.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
    return { requeueAfterMs, updateStatus };
  }
  if (spec['concurrencyPolicy'] === 'Replace') {
    for (const ref of [...active(cj)]) {
      let job: Obj;
      try {
        job = await deps.client.get(resources.jobs, ref['namespace'], ref['name']);
      } catch (e) {
        deps.recorder.event(cj, 'Warning', 'FailedGet', `Get job: ${errorText(e)}`);
        return { updateStatus, error: e };
      }
      if (!(await deleteJob(deps, cj, job))) return { updateStatus, error: new Error(`could not replace job ${ref['namespace']}/${ref['name']}`) };
      updateStatus = true;
    }
  }

  let created: Obj;
  try {
    created = await deps.client.create(resources.jobs, cj['metadata'].namespace, jobFromTemplate(cj, scheduled));
    deps.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created['metadata'].name}`);
  } catch (e) {
    if (isNamespaceTerminating(e)) return { updateStatus, error: e };
    if (!isApiError(e, 'AlreadyExists')) {
      deps.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${errorText(e)}`);
      return { updateStatus, error: e };
    }
    // Created before but not recorded (a crash, or a status write that failed): record it now if it is ours.
    created = await deps.client.get(resources.jobs, cj['metadata'].namespace, name);
    const ref = (created['metadata'].ownerReferences ?? []).find((r: Obj) => r['controller']);
    if (ref?.uid !== cj['metadata'].uid || inActive(cj, created['metadata'].uid)) return { updateStatus };
  }
  cj['status'].active = [...active(cj), jobRef(created)];
  cj['status'].lastScheduleTime = timeString(scheduled);
  return { requeueAfterMs, updateStatus: true };
}
