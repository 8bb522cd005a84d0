/**
 * The Job controller in a test cluster with a fake clock. No kubelet runs:
 * tests finish pods themselves through the status subresource, stamping
 * container finish times from the fake clock (the backoff counts from them).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../client/clock.ts';
import { resources, type Obj } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { timeString } from './conditions.ts';
import { jobControllerFactory } from './controller.ts';

const job = (name: string, spec: Obj = {}): Obj => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace: 'default' },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
});

describe('Job controller', () => {
  let c: TestCluster;
  const clock = new FakeClock(Date.parse('2030-01-01T00:00:00Z'));
  const get = (name: string) => c.client.get(resources.jobs, 'default', name);
  const pods = async (name: string, all = false) =>
    (await c.client.list(resources.pods, 'default', { labelSelector: `batch.kubernetes.io/job-name=${name}` })).items.filter((p) => all || (!p['metadata'].deletionTimestamp && !['Succeeded', 'Failed'].includes(p['status']?.phase)));
  const finish = async (pod: Obj, phase: 'Succeeded' | 'Failed') => {
    const at = timeString(clock.now());
    await c.client.patch(
      resources.pods,
      'default',
      pod['metadata'].name,
      'merge',
      { status: { phase, containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt: at } } }] } },
      { subresource: 'status' },
    );
  };
  const events = async (name: string) =>
    (await c.client.list(resources.events, 'default')).items.filter((e) => e['involvedObject'].name === name && e['involvedObject'].kind === 'Job').map((e) => e['reason']);
  const condition = (j: Obj, type: string) => (j['status']?.conditions ?? []).find((x: Obj) => x.type === type);

  before(async () => {
    c = await openTestCluster({ controllers: { job: jobControllerFactory }, clock });
  });
  after(() => c.close());

  it('runs completions at most parallelism at a time and completes', async () => {
    await c.client.create(resources.jobs, 'default', job('pi', { completions: 3, parallelism: 2 }));
    await c.eventually('two pods', async () => (await pods('pi')).length === 2);
    const [first] = await pods('pi');
    const m = first!['metadata'];
    const j = await get('pi');
    assert.equal(m.labels['batch.kubernetes.io/job-name'], 'pi');
    assert.equal(m.labels['batch.kubernetes.io/controller-uid'], j['metadata'].uid);
    assert.deepEqual(m.finalizers, ['batch.kubernetes.io/job-tracking']);
    assert.deepEqual(
      [m.ownerReferences[0].kind, m.ownerReferences[0].controller, m.ownerReferences[0].blockOwnerDeletion],
      ['Job', true, true],
    );
    assert.ok(m.generateName.startsWith('pi-'));
    await c.eventually('active 2 with a start time', async () => {
      const s = (await get('pi'))['status'];
      return s.active === 2 && s.startTime === timeString(clock.now()) && s.ready === 0 && s.terminating === 0;
    });
    await finish(first!, 'Succeeded');
    await c.eventually('a third pod and one success', async () => (await pods('pi')).length === 2 && (await get('pi'))['status'].succeeded === 1);
    for (const p of await pods('pi')) await finish(p, 'Succeeded');
    await c.eventually('Complete', async () => condition(await get('pi'), 'Complete')?.status === 'True');
    const done = await get('pi');
    assert.equal(done['status'].succeeded, 3);
    assert.equal(done['status'].active, 0);
    assert.equal(done['status'].completionTime, timeString(clock.now()));
    assert.deepEqual(
      done['status'].conditions.map((x: Obj) => [x.type, x.reason]),
      [
        ['SuccessCriteriaMet', 'CompletionsReached'],
        ['Complete', 'CompletionsReached'],
      ],
    );
    assert.deepEqual(done['status'].uncountedTerminatedPods, {});
    await c.eventually('finalizers released', async () => (await pods('pi', true)).every((p) => !p['metadata'].finalizers?.length));
    await c.eventually('events', async () => {
      const r = await events('pi');
      return r.filter((x) => x === 'SuccessfulCreate').length === 3 && r.includes('Completed');
    });
  });

  it('backs off 10 s, then 20 s, between failures and fails past backoffLimit', async () => {
    await c.client.create(resources.jobs, 'default', job('flaky', { backoffLimit: 2 }));
    await c.eventually('one pod', async () => (await pods('flaky')).length === 1);
    await finish((await pods('flaky'))[0]!, 'Failed');
    await c.eventually('failure counted', async () => (await get('flaky'))['status'].failed === 1);
    clock.advance(9_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await pods('flaky')).length, 0, 'still backing off after 9 s');
    clock.advance(1_500);
    await c.eventually('replacement after 10 s', async () => (await pods('flaky')).length === 1);
    await finish((await pods('flaky'))[0]!, 'Failed');
    await c.eventually('second failure', async () => (await get('flaky'))['status'].failed === 2);
    clock.advance(15_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await pods('flaky')).length, 0, 'the second delay is 20 s');
    clock.advance(6_000);
    await c.eventually('third pod', async () => (await pods('flaky')).length === 1);
    await finish((await pods('flaky'))[0]!, 'Failed');
    await c.eventually('Failed', async () => condition(await get('flaky'), 'Failed')?.status === 'True');
    const j = await get('flaky');
    assert.equal(condition(j, 'Failed').reason, 'BackoffLimitExceeded');
    assert.equal(condition(j, 'FailureTarget').reason, 'BackoffLimitExceeded');
    assert.equal(j['status'].failed, 3);
    assert.equal(j['status'].completionTime, undefined);
    await c.eventually('event', async () => (await events('flaky')).includes('BackoffLimitExceeded'));
  });

  it('fails at activeDeadlineSeconds and stops its pods', async () => {
    await c.client.create(resources.jobs, 'default', job('slow', { activeDeadlineSeconds: 30, parallelism: 2, completions: 4 }));
    await c.eventually('two pods', async () => (await pods('slow')).length === 2);
    clock.advance(31_000);
    await c.eventually('Failed with DeadlineExceeded', async () => condition(await get('slow'), 'Failed')?.reason === 'DeadlineExceeded');
    const j = await get('slow');
    assert.equal(j['status'].active, 0);
    assert.equal(j['status'].failed, 2, 'the stopped pods count as failed');
    await c.eventually('pods gone', async () => (await pods('slow', true)).length === 0);
  });

  it('suspends and resumes', async () => {
    await c.client.create(resources.jobs, 'default', job('later', { suspend: true, parallelism: 2, completions: 2 }));
    await c.eventually('Suspended', async () => condition(await get('later'), 'Suspended')?.status === 'True');
    assert.equal((await pods('later')).length, 0);
    assert.equal((await get('later'))['status'].startTime, undefined);
    await c.client.patch(resources.jobs, 'default', 'later', 'merge', { spec: { suspend: false } });
    await c.eventually('resumed with pods', async () => {
      const j = await get('later');
      return condition(j, 'Suspended')?.status === 'False' && condition(j, 'Suspended')?.reason === 'JobResumed' && (await pods('later')).length === 2 && !!j['status'].startTime;
    });
    await c.client.patch(resources.jobs, 'default', 'later', 'merge', { spec: { suspend: true } });
    await c.eventually('suspended again, pods stopped', async () => condition(await get('later'), 'Suspended')?.status === 'True' && (await pods('later', true)).length === 0);
    assert.equal((await get('later'))['status'].failed ?? 0, 0, 'pods stopped by suspension are not failures');
    await c.eventually('Suspended and Resumed events', async () => {
      const r = await events('later');
      return r.includes('Suspended') && r.includes('Resumed');
    });
  });

  it('Indexed: one pod per index with its index, replaced on failure, completedIndexes', async () => {
    await c.client.create(resources.jobs, 'default', job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    await c.eventually('three pods', async () => (await pods('idx')).length === 3);
    const byIndex = async () => Object.fromEntries((await pods('idx')).map((p) => [p['metadata'].annotations['batch.kubernetes.io/job-completion-index'], p]));
    let ps = await byIndex();
    assert.deepEqual(Object.keys(ps).sort(), ['0', '1', '2']);
    const p1 = ps['1']!;
    assert.equal(p1['metadata'].labels['batch.kubernetes.io/job-completion-index'], '1');
    assert.equal(p1['spec'].hostname, 'idx-1');
    assert.ok(p1['metadata'].generateName.startsWith('idx-1-'));
    assert.deepEqual(p1['spec'].containers[0].env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }]);
    await finish(p1, 'Succeeded');
    await finish(ps['0']!, 'Failed');
    await c.eventually('index 1 complete, 0 failed', async () => {
      const s = (await get('idx'))['status'];
      return s.completedIndexes === '1' && s.succeeded === 1 && s.failed === 1;
    });
    clock.advance(11_000);
    await c.eventually('index 0 recreated', async () => (await byIndex())['0'] !== undefined);
    ps = await byIndex();
    await finish(ps['0']!, 'Succeeded');
    await finish(ps['2']!, 'Succeeded');
    await c.eventually('Complete', async () => condition(await get('idx'), 'Complete')?.status === 'True');
    assert.equal((await get('idx'))['status'].completedIndexes, '0-2');
  });

  it('work queue (no completions): done when one succeeds and the rest finish', async () => {
    await c.client.create(resources.jobs, 'default', job('queue', { parallelism: 2 }));
    await c.eventually('two pods', async () => (await pods('queue')).length === 2);
    const [a, b] = await pods('queue');
    await finish(a!, 'Succeeded');
    await c.eventually('counted', async () => (await get('queue'))['status'].succeeded === 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await pods('queue')).length, 1, 'no replacement after a success');
    await finish(b!, 'Succeeded');
    await c.eventually('Complete', async () => condition(await get('queue'), 'Complete')?.status === 'True');
  });

  it('podFailurePolicy: FailJob ends the Job at once; Ignore does not count', async () => {
    const policy = {
      rules: [
        { action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } },
        { action: 'Ignore', onExitCodes: { operator: 'In', values: [7] } },
      ],
    };
    await c.client.create(resources.jobs, 'default', job('policy', { backoffLimit: 0, podFailurePolicy: policy }));
    await c.eventually('one pod', async () => (await pods('policy')).length === 1);
    const exit = async (p: Obj, code: number) =>
      c.client.patch(resources.pods, 'default', p['metadata'].name, 'merge', { status: { phase: 'Failed', containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code, finishedAt: timeString(clock.now()) } } }] } }, { subresource: 'status' });
    await exit((await pods('policy'))[0]!, 7);
    clock.advance(11_000);
    await c.eventually('ignored: replaced, nothing counted, not failed', async () => (await pods('policy')).length === 1 && !condition(await get('policy'), 'Failed'));
    assert.equal((await get('policy'))['status'].failed ?? 0, 0);
    await exit((await pods('policy'))[0]!, 42);
    await c.eventually('Failed by policy', async () => condition(await get('policy'), 'Failed')?.reason === 'PodFailurePolicy');
    assert.match(condition(await get('policy'), 'Failed').message, /failed with exit code 42 matching FailJob rule at index 0/);
  });

  it('counts a pod deleted while running as failed, and replaces it', async () => {
    await c.client.create(resources.jobs, 'default', job('victim', { backoffLimit: 5 }));
    await c.eventually('one pod', async () => (await pods('victim')).length === 1);
    const [p] = await pods('victim');
    await c.client.delete(resources.pods, 'default', p!['metadata'].name);
    await c.eventually('failed 1, finalizer released', async () => {
      const all = await pods('victim', true);
      return (await get('victim'))['status'].failed === 1 && !all.some((x) => x['metadata'].uid === p!['metadata'].uid);
    });
    clock.advance(11_000);
    await c.eventually('replacement', async () => (await pods('victim')).length === 1);
  });
});
