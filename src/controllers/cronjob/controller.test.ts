/**
 * The CronJob controller in a test cluster with a fake clock started at the
 * real time (the API server stamps creation times from the real clock).
 * No Job controller runs: tests finish Jobs themselves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../client/clock.ts';
import { resources, type Obj } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { timeString } from '../job/conditions.ts';
import { cronJobControllerFactory } from './controller.ts';

const cronJob = (name: string, spec: Obj = {}): Obj => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name, namespace: 'default' },
  spec: {
    schedule: '* * * * *',
    jobTemplate: {
      metadata: { labels: { run: name }, annotations: { note: 'from-template' } },
      spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } },
    },
    ...spec,
  },
});

describe('CronJob controller', () => {
  let c: TestCluster;
  const clock = new FakeClock(Date.now());
  const get = (name: string) => c.client.get(resources.cronjobs, 'default', name);
  const jobs = async (cj: string) =>
    (await c.client.list(resources.jobs, 'default')).items.filter((j) => j['metadata'].ownerReferences?.[0]?.name === cj && !j['metadata'].deletionTimestamp).sort((a, b) => (a['metadata'].name < b['metadata'].name ? -1 : 1));
  const events = async (name: string) => (await c.client.list(resources.events, 'default')).items.filter((e) => e['involvedObject'].name === name).map((e) => e['reason']);
  /**
   * Moves the fake clock to just after the next minute boundary, and past
   * the real time too: creation times come from the real clock.
   */
  const nextMinute = () => {
    const base = Math.max(clock.now(), Date.now());
    clock.advance(base - (base % 60_000) + 61_000 - clock.now());
  };
  const finishJob = async (job: Obj, type: 'Complete' | 'Failed') => {
    const t = timeString(clock.now());
    const status: Obj = { startTime: t, conditions: [{ type, status: 'True', lastProbeTime: t, lastTransitionTime: t }] };
    if (type === 'Complete') status['completionTime'] = t;
    await c.client.update(resources.jobs, 'default', { ...job, status }, { subresource: 'status' });
  };

  before(async () => {
    c = await openTestCluster({ controllers: { cronjob: cronJobControllerFactory }, clock });
  });
  after(() => c.close());

  it('creates a Job per schedule time, named by its minute, and tracks it', async () => {
    await c.client.create(resources.cronjobs, 'default', cronJob('tick'));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await jobs('tick')).length, 0, 'nothing before the first schedule time');
    nextMinute();
    await c.eventually('a job', async () => (await jobs('tick')).length === 1);
    const scheduled = Math.floor(clock.now() / 60_000) * 60_000;
    const [job] = await jobs('tick');
    const m = job!['metadata'];
    assert.equal(m.name, `tick-${scheduled / 60_000}`);
    assert.equal(m.labels.run, 'tick');
    assert.equal(m.annotations.note, 'from-template');
    assert.equal(m.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], timeString(scheduled));
    assert.deepEqual([m.ownerReferences[0].kind, m.ownerReferences[0].controller], ['CronJob', true]);
    await c.eventually('status', async () => {
      const s = (await get('tick'))['status'];
      return s.lastScheduleTime === timeString(scheduled) && s.active?.[0]?.name === m.name && s.active[0].uid === m.uid && s.active[0].kind === 'Job';
    });
    await finishJob(job!, 'Complete');
    await c.eventually('completion seen', async () => {
      const s = (await get('tick'))['status'];
      return !s.active && s.lastSuccessfulTime === timeString(clock.now());
    });
    await c.eventually('events', async () => {
      const r = await events('tick');
      return r.includes('SuccessfulCreate') && r.includes('SawCompletedJob');
    });
    await c.client.patch(resources.cronjobs, 'default', 'tick', 'merge', { spec: { suspend: true } });
  });

  it('Forbid skips a run while one is active; Replace replaces it', async () => {
    await c.client.create(resources.cronjobs, 'default', cronJob('solo', { concurrencyPolicy: 'Forbid' }));
    await c.client.create(resources.cronjobs, 'default', cronJob('swap', { concurrencyPolicy: 'Replace' }));
    nextMinute();
    await c.eventually('one job each', async () => (await jobs('solo')).length === 1 && (await jobs('swap')).length === 1);
    const first = (await jobs('swap'))[0]!['metadata'].name;
    nextMinute();
    await c.eventually('Replace deleted the old run and started a new one', async () => {
      const js = await jobs('swap');
      return js.length === 1 && js[0]!['metadata'].name !== first;
    });
    await c.eventually('Forbid skipped', async () => (await events('solo')).includes('JobAlreadyActive'));
    assert.equal((await jobs('solo')).length, 1);
    await c.eventually('Replace recorded the deletion', async () => (await events('swap')).includes('SuccessfulDelete'));
    for (const n of ['solo', 'swap']) await c.client.patch(resources.cronjobs, 'default', n, 'merge', { spec: { suspend: true } });
  });

  it('keeps successfulJobsHistoryLimit finished Jobs', async () => {
    await c.client.create(resources.cronjobs, 'default', cronJob('hist', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }));
    for (let i = 0; i < 3; i++) {
      nextMinute();
      await c.eventually(`run ${i + 1}`, async () => (await get('hist'))['status'].active?.length === 1);
      const running = (await jobs('hist')).find((j) => !j['status']?.conditions)!;
      await finishJob(running, i === 1 ? 'Failed' : 'Complete');
      await c.eventually('seen', async () => !(await get('hist'))['status'].active);
    }
    await c.eventually('only the newest success and the failure are kept', async () => (await jobs('hist')).length === 2);
    const kept = await jobs('hist');
    assert.deepEqual(kept.map((j) => j['status'].conditions[0].type).sort(), ['Complete', 'Failed']);
    await c.client.patch(resources.cronjobs, 'default', 'hist', 'merge', { spec: { suspend: true } });
  });

  it('does not run while suspended; warns about too many missed times; honours startingDeadlineSeconds', async () => {
    await c.client.create(resources.cronjobs, 'default', cronJob('late', { suspend: true }));
    await c.client.create(resources.cronjobs, 'default', cronJob('strict', { suspend: true, schedule: '0 * * * *', startingDeadlineSeconds: 60 }));
    clock.advance(3 * 3_600_000);
    // Align to 10 minutes past an hour: the hourly run is 10 minutes late, past its 60 s deadline.
    clock.advance((((10 * 60_000 - (clock.now() % 3_600_000)) % 3_600_000) + 3_600_000) % 3_600_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await jobs('late')).length, 0);
    await c.client.patch(resources.cronjobs, 'default', 'late', 'merge', { spec: { suspend: false } });
    await c.client.patch(resources.cronjobs, 'default', 'strict', 'merge', { spec: { suspend: false } });
    await c.eventually('one run for the latest missed time', async () => (await jobs('late')).length === 1);
    await c.eventually('warning', async () => (await events('late')).includes('TooManyMissedTimes'));
    assert.equal((await jobs('late'))[0]!['metadata'].name, `late-${Math.floor(clock.now() / 60_000)}`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await jobs('strict')).length, 0, 'too late to start');
    await c.client.patch(resources.cronjobs, 'default', 'late', 'merge', { spec: { suspend: true } });
  });

  it('reads the schedule in spec.timeZone', async () => {
    await c.client.create(resources.cronjobs, 'default', cronJob('tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }));
    // 09:00 in Tokyo is 00:00 UTC: go to just after the next UTC midnight.
    clock.advance(86_400_000 - (clock.now() % 86_400_000) + 1_000);
    await c.eventually('a job at 09:00 JST', async () => (await jobs('tokyo')).length === 1);
    const j = (await jobs('tokyo'))[0]!;
    const midnight = Math.floor(clock.now() / 86_400_000) * 86_400_000;
    assert.equal(j['metadata'].name, `tokyo-${midnight / 60_000}`);
    assert.match(j['metadata'].annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], /T09:00:00\+09:00$/);
  });
});
