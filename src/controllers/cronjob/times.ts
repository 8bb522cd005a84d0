/**
 * When a CronJob should have started (upstream cronjob utils.go): the most
 * recent schedule time not after now and after the last one scheduled (or
 * the CronJob's creation), looking back no further than
 * startingDeadlineSeconds. More than 100 missed times is reported (the
 * "too many missed start times" warning) but the latest is still used.
 */
import type { Obj } from '../../client/types.ts';
import type { Schedule } from './schedule.ts';

/** Upstream nextScheduleDelta: requeue a little after the schedule time, against clock skew. */
export const nextScheduleDeltaMs = 100;

export type Missed = 'none' | 'few' | 'many';

export interface RecentTimes {
  /** Last schedule time or creation time (moved up to the starting deadline, if asked). */
  earliest: number;
  /** The most recent schedule time not after now, if one is due. */
  mostRecent?: number;
  missed: Missed;
  error?: string;
}

const ms = (t: unknown): number | undefined => {
  if (typeof t !== 'string' || !t) return undefined;
  const v = Date.parse(t);
  return Number.isNaN(v) ? undefined : v;
};

export function mostRecentScheduleTime(cj: Obj, now: number, schedule: Schedule, includeStartingDeadline: boolean): RecentTimes {
  let earliest = ms(cj['status']?.lastScheduleTime) ?? ms(cj['metadata']?.creationTimestamp) ?? now;
  const deadline = cj['spec']?.startingDeadlineSeconds;
  if (includeStartingDeadline && deadline !== undefined && deadline !== null) {
    const schedulingDeadline = now - deadline * 1000;
    if (schedulingDeadline > earliest) earliest = schedulingDeadline;
  }
  const t1 = schedule.next(earliest);
  if (t1 === undefined) return { earliest, missed: 'none', error: 'the schedule has no activation within five years' };
  const t2 = schedule.next(t1);
  if (now < t1) return { earliest, missed: 'none' };
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  // A schedule valid in grammar but not in fact (31 February) yields no period.
  const period = Math.round((t2 - t1) / 1000);
  if (period < 1) return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  // Estimate how many were missed from the first period, then walk the last stretch exactly
  // (irregular schedules such as `30 6-16/4 * * 1-5` are not evenly spaced).
  const missedCount = Math.floor((now - t1) / 1000 / period) + 1;
  let mostRecent: number | undefined;
  for (let t = schedule.next(t1 + (missedCount - 2) * period * 1000); t !== undefined && t <= now; t = schedule.next(t)) mostRecent = t;
  const missed: Missed = missedCount > 100 ? 'many' : missedCount > 0 ? 'few' : 'none';
  return mostRecent === undefined ? { earliest, missed } : { earliest, mostRecent, missed };
}

/** The unmet schedule time to act on now, if any (upstream nextScheduleTime). */
export function nextScheduleTime(cj: Obj, now: number, schedule: Schedule): { time?: number; tooManyMissed: boolean; error?: string } {
  const r = mostRecentScheduleTime(cj, now, schedule, true);
  if (r.mostRecent === undefined || r.mostRecent > now) return { tooManyMissed: false, error: r.error };
  return { time: r.mostRecent, tooManyMissed: r.missed === 'many', error: r.error };
}

/** How long until the next schedule time, plus the skew margin (upstream nextScheduleTimeDuration). */
export function nextScheduleDelay(cj: Obj, now: number, schedule: Schedule): number {
  const r = mostRecentScheduleTime(cj, now, schedule, false);
  let base: number;
  if (r.error !== undefined) base = now;
  else if (r.mostRecent === undefined) base = r.missed === 'none' ? r.earliest : now;
  else base = r.mostRecent;
  const next = schedule.next(base);
  // No activation in sight: look again in an hour rather than never.
  if (next === undefined) return 3_600_000;
  return next + nextScheduleDeltaMs - now;
}

/** `<cronjob>-<minutes since the epoch of the scheduled time>`: one name per run, so a run is never created twice. */
export function jobNameFor(cj: Obj, scheduled: number): string {
  return `${cj['metadata'].name}-${Math.floor(scheduled / 60_000)}`;
}
