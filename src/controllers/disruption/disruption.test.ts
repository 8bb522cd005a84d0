import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isApiError } from '../../api/errors.ts';
import { FakeClock } from '../../client/clock.ts';
import { resources, type Obj } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { startTestBinder } from '../common/testing.ts';
import { timeString } from '../node-lifecycle/conditions.ts';
import { ReplicaSetController } from '../replicaset/controller.ts';
import { DisruptionController } from './disruption.ts';

async function withCluster(fn: (c: TestCluster) => Promise<void>, clock?: FakeClock): Promise<void> {
  const c = await openTestCluster({ clock, controllers: { disruption: (ctx) => new DisruptionController(ctx), replicaset: (ctx) => new ReplicaSetController(ctx) } });
  const stop = new AbortController();
  const binder = startTestBinder(c.client, ['n1', 'n2'], stop.signal);
  try {
    await c.addNode('n1');
    await c.addNode('n2');
    c.startKubelet();
    await fn(c);
  } finally {
    stop.abort();
    await binder;
    await c.close();
  }
}

const pdb = (name: string, spec: Obj): Obj => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });
const status = async (c: TestCluster, name: string) => (await c.client.get(resources.poddisruptionbudgets, 'default', name))['status'] ?? {};
const evict = (c: TestCluster, pod: string) => c.client.createSubresource(resources.pods, 'default', pod, 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: 'default' } });
const webPods = async (c: TestCluster) =>
  (await c.client.list(resources.pods, 'default', { labelSelector: 'app=web' })).items.filter((p) => !p['metadata'].deletionTimestamp);
const readyWebPods = async (c: TestCluster) => (await webPods(c)).filter((p) => (p['status']?.conditions ?? []).some((x: Obj) => x['type'] === 'Ready' && x['status'] === 'True'));

async function bareReadyPod(c: TestCluster, name: string, node = 'n1', owner?: Obj): Promise<void> {
  await c.client.create(resources.pods, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' }, ...(owner ? { ownerReferences: [owner] } : {}) },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'nginx' }] },
  });
  await c.eventually(`${name} ready`, async () => (await readyWebPods(c)).some((p) => p['metadata'].name === name));
}

describe('disruption controller', () => {
  it('maxUnavailable over a ReplicaSet: one eviction at a time, the budget refills once the replacement is Ready', () =>
    withCluster(async (c) => {
      await c.client.create(resources.replicasets, 'default', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web' },
        spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      });
      await c.eventually('three Ready pods', async () => (await readyWebPods(c)).length === 3);
      await c.client.create(resources.poddisruptionbudgets, 'default', pdb('web', { maxUnavailable: 1 }));
      await c.eventually('status computed', async () => (await status(c, 'web')).disruptionsAllowed === 1);
      const st = await status(c, 'web');
      assert.deepEqual([st.expectedPods, st.currentHealthy, st.desiredHealthy, st.observedGeneration], [3, 3, 2, 1]);
      assert.deepEqual(
        st.conditions.map((x: Obj) => [x['type'], x['status'], x['reason'], x['observedGeneration']]),
        [['DisruptionAllowed', 'True', 'SufficientPods', 1]],
      );

      const [first, second] = (await readyWebPods(c)).map((p) => p['metadata'].name);
      await evict(c, first!);
      await assert.rejects(evict(c, second!), (e) => isApiError(e, 'TooManyRequests'));
      // The evicted pod goes, the ReplicaSet replaces it, and the budget allows one again.
      await c.eventually('budget refilled', async () => {
        const s = await status(c, 'web');
        return s.disruptionsAllowed === 1 && s.currentHealthy === 3 && !s.disruptedPods;
      });
      await evict(c, second!);
    }));

  it('minAvailable as an integer blocks evictions until the budget is relaxed', () =>
    withCluster(async (c) => {
      await bareReadyPod(c, 'a');
      await bareReadyPod(c, 'b', 'n2');
      await c.client.create(resources.poddisruptionbudgets, 'default', pdb('web', { minAvailable: 2 }));
      await c.eventually('status computed', async () => (await status(c, 'web')).expectedPods === 2);
      const st = await status(c, 'web');
      assert.deepEqual([st.currentHealthy, st.desiredHealthy, st.disruptionsAllowed, st.conditions[0].reason], [2, 2, 0, 'InsufficientPods']);
      await assert.rejects(evict(c, 'a'), (e) => isApiError(e, 'TooManyRequests') && /needs 2 healthy pods and has 2 currently/.test(JSON.stringify(e)));

      await c.client.patch(resources.poddisruptionbudgets, 'default', 'web', 'merge', { spec: { minAvailable: 1 } });
      await c.eventually('generation observed', async () => (await status(c, 'web')).observedGeneration === 2 && (await status(c, 'web')).disruptionsAllowed === 1);
      await evict(c, 'a');
    }));

  it('minAvailable as a percentage counts the owner scale, not the pods present', () =>
    withCluster(async (c) => {
      const ss = await c.client.create(resources.statefulsets, 'default', {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db' },
        spec: { replicas: 4, serviceName: 'db', selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'db' }] } } },
      });
      const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: ss['metadata'].uid, controller: true };
      await bareReadyPod(c, 'db-0', 'n1', owner);
      await bareReadyPod(c, 'db-1', 'n2', owner);
      await bareReadyPod(c, 'db-2', 'n1', owner);
      await c.client.create(resources.poddisruptionbudgets, 'default', pdb('db', { minAvailable: '50%' }));
      await c.eventually('status computed', async () => (await status(c, 'db')).expectedPods === 4);
      const st = await status(c, 'db');
      assert.deepEqual([st.currentHealthy, st.desiredHealthy, st.disruptionsAllowed], [3, 2, 1]);
    }));

  it('fails safe (SyncFailed, no disruptions) when the expected count cannot be computed', () =>
    withCluster(async (c) => {
      await bareReadyPod(c, 'agent', 'n1', { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true });
      await c.client.create(resources.poddisruptionbudgets, 'default', pdb('web', { maxUnavailable: 1 }));
      await c.eventually('SyncFailed', async () => (await status(c, 'web')).conditions?.[0]?.reason === 'SyncFailed');
      const st = await status(c, 'web');
      assert.equal(st.disruptionsAllowed, 0);
      assert.equal(st.conditions[0].message, 'daemonsets.apps does not implement the scale subresource');
      // Events are recorded asynchronously: wait for it rather than read at once.
      await c.eventually('a CalculateExpectedPodCountFailed event', async () =>
        (await c.client.list(resources.events, 'default')).items.map((e) => e['reason']).includes('CalculateExpectedPodCountFailed'),
      );
    }));

  it('drops an evicted pod from disruptedPods when it was not deleted in time, with a NotDeleted event', () =>
    withCluster(async (c) => {
      await bareReadyPod(c, 'a');
      await bareReadyPod(c, 'b', 'n2');
      await c.client.create(resources.poddisruptionbudgets, 'default', pdb('web', { minAvailable: 1 }));
      await c.eventually('status computed', async () => (await status(c, 'web')).disruptionsAllowed === 1);
      const cur = await c.client.get(resources.poddisruptionbudgets, 'default', 'web');
      const stale = timeString(Date.now() - 3 * 60 * 1000);
      await c.client.update(resources.poddisruptionbudgets, 'default', { ...cur, status: { ...cur['status'], disruptionsAllowed: 0, disruptedPods: { a: stale } } }, { subresource: 'status' });
      await c.eventually('pruned and recounted', async () => {
        const s = await status(c, 'web');
        return !s.disruptedPods && s.disruptionsAllowed === 1;
      });
      // Events are recorded asynchronously: wait for one to appear, then check which pod it names.
      const events = await c.eventually('a NotDeleted event', async () => {
        const l = (await c.client.list(resources.events, 'default')).items.filter((e) => e['reason'] === 'NotDeleted');
        return l.length > 0 && l;
      });
      assert.equal(events[0]?.['involvedObject'].name, 'a');
    }));

  it('resets a DisruptionTarget condition left True for two minutes on a pod not being deleted', async () => {
    const clock = new FakeClock(Date.now());
    await withCluster(async (c) => {
      await bareReadyPod(c, 'a');
      const cond = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: timeString(clock.now()) };
      await c.client.patch(resources.pods, 'default', 'a', 'strategic', { status: { conditions: [cond] } }, { subresource: 'status' });
      const target = async () => ((await c.client.get(resources.pods, 'default', 'a'))['status'].conditions as Obj[]).find((x) => x['type'] === 'DisruptionTarget')!;
      await new Promise((r) => setTimeout(r, 100));
      clock.advance(119_000);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await target())['status'], 'True');
      clock.advance(2_000);
      await c.eventually('condition reset', async () => (await target())['status'] === 'False');
      assert.equal((await target())['reason'], undefined);
    }, clock);
  });
});
