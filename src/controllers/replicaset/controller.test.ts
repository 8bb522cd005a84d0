import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { realClock } from '../../client/clock.ts';
import { InformerFactory } from '../../client/informer.ts';
import { resources, type Obj } from '../../client/types.ts';
import { defaultControllerConfig, recorderFactory } from '../manager.ts';
import { GatedClient, PodBuilder, podQuota, RSBuilder, startTestBinder } from '../common/testing.ts';
import { ReplicaSetController, replicaSetControllerFactory } from './controller.ts';

const ns = 'default';

async function podsOf(c: TestCluster, app: string): Promise<Obj[]> {
  return (await c.client.list(resources.pods, ns, { labelSelector: `app=${app}` })).items;
}

async function rsNamed(c: TestCluster, name: string): Promise<Obj> {
  return c.client.get(resources.replicasets, ns, name);
}

async function events(c: TestCluster, name: string): Promise<Obj[]> {
  return (await c.client.list(resources.events, ns)).items.filter((e) => e['involvedObject']?.name === name);
}

describe('ReplicaSet controller', () => {
  let c: TestCluster;
  const stop = new AbortController();
  before(async () => {
    c = await openTestCluster({ controllers: { replicaset: replicaSetControllerFactory } });
    await c.addNode('n1');
    await c.addNode('n2');
    c.startKubelet();
    void startTestBinder(c.client, ['n1', 'n2'], stop.signal);
  });
  after(async () => {
    stop.abort();
    await c.close();
  });

  it('creates pods from the template, owned by the ReplicaSet, and reports status', async () => {
    const rs = await c.client.create(resources.replicasets, ns, new RSBuilder('web').replicas(3).obj());
    const st = await c.eventually('3 available replicas', async () => {
      const s = (await rsNamed(c, 'web'))['status'];
      return s?.availableReplicas === 3 && s;
    });
    assert.deepEqual(
      { replicas: st.replicas, fullyLabeledReplicas: st.fullyLabeledReplicas, readyReplicas: st.readyReplicas, observedGeneration: st.observedGeneration },
      { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, observedGeneration: 1 },
    );
    const pods = await podsOf(c, 'web');
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.match(p['metadata'].name, /^web-[a-z0-9]{5}$/);
      assert.equal(p['metadata'].generateName, 'web-');
      assert.deepEqual(p['metadata'].labels, { app: 'web' });
      assert.deepEqual(p['metadata'].ownerReferences, [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs['metadata'].uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    const evs = await c.eventually('SuccessfulCreate events', async () => {
      const e = (await events(c, 'web')).filter((x) => x['reason'] === 'SuccessfulCreate');
      return e.length === 3 && e;
    });
    assert.equal(evs[0]!['source'].component, 'replicaset-controller');
    assert.match(evs[0]!['message'], /^Created pod: web-[a-z0-9]{5}$/);
  });

  it('replaces a deleted pod', async () => {
    const [victim] = await podsOf(c, 'web');
    await c.client.delete(resources.pods, ns, victim!['metadata'].name);
    await c.eventually('back to 3 pods, without the victim', async () => {
      const pods = await podsOf(c, 'web');
      return pods.length === 3 && pods.every((p) => p['metadata'].uid !== victim!['metadata'].uid && !p['metadata'].deletionTimestamp);
    });
  });

  it('scales down, deleting unscheduled and not-ready pods before ready ones', async () => {
    // An orphan that is adopted (matches the selector) but can never be scheduled: the first to go.
    await c.client.create(resources.pods, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-pending', labels: { app: 'web' } }, spec: { schedulerName: 'nobody', containers: [{ name: 'c', image: 'x' }] } });
    await c.eventually('orphan adopted, then deleted as the surplus', async () => {
      const pods = await podsOf(c, 'web');
      return !pods.some((p) => p['metadata'].name === 'web-pending') && pods.length === 3;
    });
    // Events are recorded after the delete, asynchronously: wait for one to appear, then check which pod went.
    const deleted = await c.eventually('a SuccessfulDelete event', async () => {
      const d = (await events(c, 'web')).filter((e) => e['reason'] === 'SuccessfulDelete').map((e) => e['message']);
      return d.length > 0 && d;
    });
    assert.ok(deleted.includes('Deleted pod: web-pending'), JSON.stringify(deleted));

    await c.client.patch(resources.replicasets, ns, 'web', 'merge', { spec: { replicas: 1 } });
    await c.eventually('1 replica', async () => (await podsOf(c, 'web')).length === 1 && (await rsNamed(c, 'web'))['status']?.replicas === 1);
  });

  it('releases an owned pod whose labels stop matching, and replaces it', async () => {
    const [p] = await podsOf(c, 'web');
    await c.client.patch(resources.pods, ns, p!['metadata'].name, 'merge', { metadata: { labels: { app: 'other' } } });
    await c.eventually('released and replaced', async () => {
      const released = await c.client.get(resources.pods, ns, p!['metadata'].name);
      return !released['metadata'].ownerReferences?.length && (await podsOf(c, 'web')).length === 1;
    });
  });

  it('scales to zero and back', async () => {
    await c.client.patch(resources.replicasets, ns, 'web', 'merge', { spec: { replicas: 0 } });
    await c.eventually('no pods', async () => (await podsOf(c, 'web')).length === 0);
    await c.client.patch(resources.replicasets, ns, 'web', 'merge', { spec: { replicas: 2 } });
    await c.eventually('2 available', async () => (await rsNamed(c, 'web'))['status']?.availableReplicas === 2);
  });

  it('does not adopt while the ReplicaSet is being deleted', async () => {
    await c.client.create(resources.replicasets, ns, new RSBuilder('held').replicas(0).finalizers('test/hold').obj());
    await c.eventually('observed', async () => (await rsNamed(c, 'held'))['status']?.observedGeneration === 1);
    await c.client.delete(resources.replicasets, ns, 'held');
    await c.client.create(resources.pods, ns, new PodBuilder('held-orphan').labels({ app: 'held' }).obj());
    // Give the controller a chance to (wrongly) adopt.
    await new Promise((r) => setTimeout(r, 300));
    const orphan = await c.client.get(resources.pods, ns, 'held-orphan');
    assert.equal(orphan['metadata'].ownerReferences, undefined);
    await c.client.patch(resources.replicasets, ns, 'held', 'merge', { metadata: { finalizers: null } });
  });

  it('counts pods available only after minReadySeconds', async () => {
    await c.client.create(resources.replicasets, ns, new RSBuilder('slow').replicas(1).minReadySeconds(2).obj());
    const ready = await c.eventually('ready', async () => {
      const s = (await rsNamed(c, 'slow'))['status'];
      return s?.readyReplicas === 1 && s;
    });
    assert.equal(ready.availableReplicas, 0);
    await c.eventually('available after 2 s', async () => (await rsNamed(c, 'slow'))['status']?.availableReplicas === 1, 6000);
  });

  it('reports ReplicaFailure and FailedCreate when pod creation is refused (quota)', async () => {
    await c.client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quota' } });
    c.registry.admission.push(podQuota('quota', 2));
    await c.client.create(resources.replicasets, 'quota', new RSBuilder('q', 'quota').replicas(5).obj());
    const cond = await c.eventually('ReplicaFailure condition', async () => {
      const rs = await c.client.get(resources.replicasets, 'quota', 'q');
      return rs['status']?.conditions?.find((x: Obj) => x.type === 'ReplicaFailure');
    });
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message, /exceeded quota: pods/);
    const failed = await c.eventually('FailedCreate event', async () =>
      (await c.client.list(resources.events, 'quota')).items.find((e) => e['reason'] === 'FailedCreate'),
    );
    assert.match(failed['message'], /^Error creating: pods .* is forbidden: exceeded quota/);
    assert.equal(failed['type'], 'Warning');
    assert.equal((await c.client.list(resources.pods, 'quota')).items.length, 2);
    // Lowering replicas to what fits clears the condition.
    await c.client.patch(resources.replicasets, 'quota', 'q', 'merge', { spec: { replicas: 2 } });
    await c.eventually('condition cleared', async () => {
      const rs = await c.client.get(resources.replicasets, 'quota', 'q');
      return !rs['status']?.conditions?.length;
    });
  });
});

describe('ReplicaSet expectations', () => {
  it('a resync before the informer sees its own creations creates nothing more', async () => {
    const c = await openTestCluster();
    const gated = new GatedClient(c.client);
    const informers = new InformerFactory(gated);
    const ctrl = new ReplicaSetController({ client: c.client, informers, recorder: recorderFactory(c.client), config: defaultControllerConfig, clock: realClock });
    const stop = new AbortController();
    informers.start(stop.signal);
    try {
      await c.client.create(resources.replicasets, ns, new RSBuilder('exp').replicas(3).obj());
      await c.eventually('RS cached', async () => !!informers.informer(resources.replicasets).get('default/exp'));
      await informers.synced();
      gated.held = true;
      await ctrl.reconcile('default/exp');
      assert.equal((await podsOf(c, 'exp')).length, 3);
      assert.deepEqual(ctrl.expectations.pending('default/exp'), { add: 3, del: 0 });
      await ctrl.reconcile('default/exp');
      await ctrl.reconcile('default/exp');
      assert.equal((await podsOf(c, 'exp')).length, 3, 'no double creation while the informer lags');
      gated.release();
      await c.eventually('creations observed', async () => ctrl.expectations.satisfied('default/exp'));
      await ctrl.reconcile('default/exp');
      assert.equal((await podsOf(c, 'exp')).length, 3);
    } finally {
      stop.abort();
      ctrl.queue.shutDown();
      await c.close();
    }
  });
});
