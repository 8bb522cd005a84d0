import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoDuration, parseSchedule, rfc3339In, ScheduleError } from './schedule.ts';
import { jobNameFor, mostRecentScheduleTime, nextScheduleDelay, nextScheduleTime } from './times.ts';

const iso = (t: number | undefined) => (t === undefined ? 'none' : new Date(t).toISOString().replace('.000Z', 'Z'));

describe('cron schedules', () => {
  const cases: { spec: string; tz: string; from: string; want: string[] }[] = [
    { spec: '*/5 * * * *', tz: 'UTC', from: '2030-01-01T00:03:00Z', want: ['2030-01-01T00:05:00Z', '2030-01-01T00:10:00Z'] },
    { spec: '0 9 * * 1-5', tz: 'UTC', from: '2030-01-04T10:00:00Z', want: ['2030-01-07T09:00:00Z', '2030-01-08T09:00:00Z'] },
    { spec: '0 9 * * mon-fri', tz: 'Asia/Tokyo', from: '2030-01-04T10:00:00Z', want: ['2030-01-07T00:00:00Z', '2030-01-08T00:00:00Z'] },
    { spec: '@monthly', tz: 'UTC', from: '2030-01-31T10:00:00Z', want: ['2030-02-01T00:00:00Z', '2030-03-01T00:00:00Z'] },
    { spec: '@weekly', tz: 'UTC', from: '2030-01-01T00:00:00Z', want: ['2030-01-06T00:00:00Z', '2030-01-13T00:00:00Z'] },
    { spec: '@hourly', tz: 'UTC', from: '2030-01-01T00:59:59Z', want: ['2030-01-01T01:00:00Z', '2030-01-01T02:00:00Z'] },
    { spec: '0 0 29 2 *', tz: 'UTC', from: '2030-01-01T00:00:00Z', want: ['2032-02-29T00:00:00Z', '2036-02-29T00:00:00Z'] },
    { spec: '0 0 30 2 *', tz: 'UTC', from: '2030-01-01T00:00:00Z', want: ['none'] },
    // 02:30 does not exist on 10 March 2030 in New York: skipped, as robfig does.
    { spec: '30 2 * * *', tz: 'America/New_York', from: '2030-03-09T12:00:00Z', want: ['2030-03-11T06:30:00Z', '2030-03-12T06:30:00Z'] },
    // Both day fields restricted: either may match.
    { spec: '0 0 1,15 * 3', tz: 'UTC', from: '2030-01-02T12:00:00Z', want: ['2030-01-09T00:00:00Z', '2030-01-15T00:00:00Z'] },
    // A `*` day of week makes the day of month alone decide.
    { spec: '0 0 13 * *', tz: 'UTC', from: '2030-01-01T00:00:00Z', want: ['2030-01-13T00:00:00Z', '2030-02-13T00:00:00Z'] },
    { spec: 'CRON_TZ=Asia/Tokyo 0 9 * * *', tz: 'UTC', from: '2030-01-01T00:00:00Z', want: ['2030-01-02T00:00:00Z'] },
    { spec: '@every 90m', tz: 'UTC', from: '2030-01-01T00:00:30.5Z', want: ['2030-01-01T01:30:30Z', '2030-01-01T03:00:30Z'] },
  ];
  for (const c of cases) {
    it(`${c.spec} in ${c.tz}`, () => {
      const s = parseSchedule(c.spec, c.tz);
      let t = Date.parse(c.from);
      for (const want of c.want) {
        const n = s.next(t);
        assert.equal(iso(n), want);
        if (n === undefined) break;
        t = n;
      }
    });
  }

  it('rejects what robfig rejects', () => {
    for (const bad of ['', '* * * *', '60 * * * *', '* * * * 7', '5-1 * * * *', '*/0 * * * *', '@fortnightly', 'TZ=Mars/Base * * * * *']) {
      assert.throws(() => parseSchedule(bad, 'UTC'), ScheduleError, bad);
    }
  });

  it('formats RFC 3339 in a zone and parses Go durations', () => {
    const t = Date.parse('2030-01-01T00:00:00Z');
    assert.equal(rfc3339In(t, 'UTC'), '2030-01-01T00:00:00Z');
    assert.equal(rfc3339In(t, 'Asia/Kolkata'), '2030-01-01T05:30:00+05:30');
    assert.equal(rfc3339In(t, 'America/New_York'), '2029-12-31T19:00:00-05:00');
    assert.equal(parseGoDuration('1h30m'), 5_400_000);
    assert.equal(parseGoDuration('1.5s'), 1500);
  });
});

describe('missed schedule times', () => {
  const cj = (o: { created: string; last?: string; deadline?: number }) => ({
    metadata: { name: 'nightly', creationTimestamp: o.created },
    spec: { startingDeadlineSeconds: o.deadline },
    status: o.last ? { lastScheduleTime: o.last } : {},
  });
  const hourly = parseSchedule('0 * * * *', 'UTC');

  it('finds the most recent unmet time after the last one', () => {
    const cases: { what: string; cj: ReturnType<typeof cj>; now: string; want: string; many?: boolean }[] = [
      { what: 'none due yet', cj: cj({ created: '2030-01-01T00:10:00Z' }), now: '2030-01-01T00:59:00Z', want: 'none' },
      { what: 'one due', cj: cj({ created: '2030-01-01T00:10:00Z' }), now: '2030-01-01T01:00:05Z', want: '2030-01-01T01:00:00Z' },
      { what: 'several missed: the latest', cj: cj({ created: '2030-01-01T00:10:00Z' }), now: '2030-01-01T05:30:00Z', want: '2030-01-01T05:00:00Z' },
      { what: 'already scheduled', cj: cj({ created: '2030-01-01T00:10:00Z', last: '2030-01-01T05:00:00Z' }), now: '2030-01-01T05:30:00Z', want: 'none' },
      { what: 'past the starting deadline', cj: cj({ created: '2030-01-01T00:10:00Z', deadline: 60 }), now: '2030-01-01T05:02:00Z', want: 'none' },
      { what: 'within the starting deadline', cj: cj({ created: '2030-01-01T00:10:00Z', deadline: 300 }), now: '2030-01-01T05:02:00Z', want: '2030-01-01T05:00:00Z' },
      { what: 'too many missed', cj: cj({ created: '2030-01-01T00:10:00Z' }), now: '2030-01-06T00:30:00Z', want: '2030-01-06T00:00:00Z', many: true },
    ];
    for (const c of cases) {
      const r = nextScheduleTime(c.cj, Date.parse(c.now), hourly);
      assert.equal(iso(r.time), c.want, c.what);
      assert.equal(r.tooManyMissed, !!c.many, c.what);
    }
  });

  it('comes back just after the next time', () => {
    const now = Date.parse('2030-01-01T01:20:00Z');
    assert.equal(nextScheduleDelay(cj({ created: '2030-01-01T00:10:00Z', last: '2030-01-01T01:00:00Z' }), now, hourly), 40 * 60_000 + 100);
    assert.equal(mostRecentScheduleTime(cj({ created: '2030-01-01T00:10:00Z' }), now, parseSchedule('0 0 30 2 *', 'UTC'), false).error !== undefined, true);
    assert.equal(jobNameFor({ metadata: { name: 'nightly' } }, Date.parse('2030-01-01T00:00:00Z')), 'nightly-31557600');
  });
});
