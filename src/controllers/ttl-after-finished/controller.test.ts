import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../client/clock.ts';
import { resources, type Obj } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { timeString } from '../job/conditions.ts';
import { timeLeft, ttlAfterFinishedControllerFactory } from './controller.ts';

const t0 = Date.parse('2030-01-01T00:00:00Z');

const job = (name: string, ttl?: number): Obj => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace: 'default' },
  spec: { ...(ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl }), template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
});

const finishedAt = (type: 'Complete' | 'Failed', ms: number): Obj => ({
  conditions: [{ type, status: 'True', lastProbeTime: timeString(ms), lastTransitionTime: timeString(ms) }],
  ...(type === 'Complete' ? { completionTime: timeString(ms), startTime: timeString(ms), succeeded: 1 } : { startTime: timeString(ms), failed: 1 }),
});

describe('timeLeft', () => {
  it('counts from the terminal condition', () => {
    const cases: [string, Obj, number | undefined][] = [
      ['no TTL', { spec: {}, status: finishedAt('Complete', t0) }, undefined],
      ['not finished', { spec: { ttlSecondsAfterFinished: 5 }, status: {} }, undefined],
      ['complete, 5 s TTL, 2 s ago', { spec: { ttlSecondsAfterFinished: 5 }, status: finishedAt('Complete', t0 - 2000) }, 3000],
      ['failed, TTL 0', { metadata: {}, spec: { ttlSecondsAfterFinished: 0 }, status: finishedAt('Failed', t0) }, 0],
    ];
    for (const [what, j, want] of cases) assert.equal(timeLeft({ metadata: { name: 'x', namespace: 'd' }, ...j }, t0), want, what);
  });
});

describe('TTL-after-finished controller', () => {
  let c: TestCluster;
  const clock = new FakeClock(t0);
  const exists = async (name: string) => {
    try {
      await c.client.get(resources.jobs, 'default', name);
      return true;
    } catch {
      return false;
    }
  };
  const createFinished = async (name: string, ttl: number | undefined, type: 'Complete' | 'Failed' = 'Complete') => {
    const j = await c.client.create(resources.jobs, 'default', job(name, ttl));
    await c.client.update(resources.jobs, 'default', { ...j, status: finishedAt(type, clock.now()) }, { subresource: 'status' });
  };

  before(async () => {
    c = await openTestCluster({ controllers: { 'ttl-after-finished': ttlAfterFinishedControllerFactory }, clock });
  });
  after(() => c.close());

  it('deletes finished Jobs when their TTL runs out, and only those', async () => {
    await createFinished('done', 60);
    await createFinished('broken', 60, 'Failed');
    await createFinished('keep', undefined);
    await c.client.create(resources.jobs, 'default', job('running', 1));
    clock.advance(59_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok((await exists('done')) && (await exists('broken')), 'not yet');
    clock.advance(2_000);
    await c.eventually('expired Jobs deleted', async () => !(await exists('done')) && !(await exists('broken')));
    assert.ok((await exists('keep')) && (await exists('running')));
  });

  it('re-reads the Job before deleting: a raised TTL wins', async () => {
    await createFinished('extended', 10);
    await c.client.patch(resources.jobs, 'default', 'extended', 'merge', { spec: { ttlSecondsAfterFinished: 100 } });
    clock.advance(11_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(await exists('extended'));
    clock.advance(90_000);
    await c.eventually('deleted at the new TTL', async () => !(await exists('extended')));
  });
});
