/**
 * The StatefulSet controller in a test cluster (registry, informers,
 * scheduler). The test kubelet starts in the first test, after it has
 * checked that nothing proceeds while web-0 is not ready.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InformerFactory } from '../../client/informer.ts';
import { resources, type Obj } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { statefulSetControllerFactory } from './controller.ts';

const sts = (name: string, spec: Obj = {}): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas: 3,
    serviceName: name,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'db:1' }] } },
    ...spec,
  },
});

const claimTemplate = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };

describe('StatefulSet controller', () => {
  let c: TestCluster;
  const stop = new AbortController();
  const deletions: string[] = [];
  const pods = async (app: string) =>
    (await c.client.list(resources.pods, 'default', { labelSelector: `app=${app}` })).items.filter((p) => !p['metadata'].deletionTimestamp).sort((a, b) => (a['metadata'].name < b['metadata'].name ? -1 : 1));
  const names = async (app: string) => (await pods(app)).map((p) => p['metadata'].name).join(',');
  const get = (name: string) => c.client.get(resources.statefulsets, 'default', name);
  const ready = (name: string, n: number) => async () => {
    const s = (await get(name))['status'];
    return s.readyReplicas === n && s.replicas === n && s.availableReplicas === n;
  };

  before(async () => {
    c = await openTestCluster({ controllers: { statefulset: statefulSetControllerFactory, scheduler: (ctx) => new Scheduler(ctx) } });
    for (const n of ['n1', 'n2']) await c.addNode(n);
    const watcher = new InformerFactory(c.client).informer(resources.pods);
    watcher.addHandler({ delete: (p) => deletions.push(p['metadata'].name) });
    void watcher.run(stop.signal);
  });
  after(async () => {
    stop.abort();
    await c.close();
  });

  it('OrderedReady: creates one pod at a time, each ready before the next', async () => {
    await c.client.create(resources.statefulsets, 'default', sts('web', { volumeClaimTemplates: [claimTemplate] }));
    await c.eventually('web-0 created', async () => (await names('web')) === 'web-0');
    // With no kubelet yet, web-0 never becomes ready, so web-1 must not appear.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await names('web'), 'web-0');
    c.startKubelet();
    await c.eventually('three ready pods', ready('web', 3));
    assert.equal(await names('web'), 'web-0,web-1,web-2');
    const [p0, , p2] = await pods('web');
    assert.equal(p2!['spec'].hostname, 'web-2');
    assert.equal(p2!['spec'].subdomain, 'web');
    assert.equal(p2!['metadata'].labels['statefulset.kubernetes.io/pod-name'], 'web-2');
    assert.equal(p2!['metadata'].labels['apps.kubernetes.io/pod-index'], '2');
    assert.deepEqual(p2!['spec'].volumes.find((v: Obj) => v.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'data-web-2' } });
    assert.ok(Date.parse(p0!['metadata'].creationTimestamp) <= Date.parse(p2!['metadata'].creationTimestamp));
    const claims = (await c.client.list(resources.persistentvolumeclaims, 'default')).items.map((x) => x['metadata']);
    assert.deepEqual(claims.map((m) => m.name).filter((n) => n.endsWith('web-0') || n.endsWith('web-1') || n.endsWith('web-2')).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
    assert.equal(claims.find((m) => m.name === 'data-web-0')!.labels.app, 'web');
    const st = (await get('web'))['status'];
    assert.equal(st.currentRevision, st.updateRevision);
    assert.equal(st.currentReplicas, 3);
    assert.equal(st.updatedReplicas, 3);
    assert.equal(st.observedGeneration, 1);
    assert.equal(p0!['metadata'].labels['controller-revision-hash'], st.updateRevision);
  });

  it('scales down from the highest ordinal and keeps claims by default', async () => {
    deletions.length = 0;
    await c.client.patch(resources.statefulsets, 'default', 'web', 'merge', { spec: { replicas: 1 } });
    await c.eventually('one pod left', async () => (await names('web')) === 'web-0' && (await get('web'))['status'].replicas === 1);
    assert.deepEqual(deletions.filter((n) => n.startsWith('web-')), ['web-2', 'web-1']);
    const claims = (await c.client.list(resources.persistentvolumeclaims, 'default')).items.map((x) => x['metadata'].name);
    assert.ok(claims.includes('data-web-2'), 'Retain keeps the claim');
  });

  it('whenScaled Delete hands condemned claims to their pods; whenDeleted Delete to the set', async () => {
    await c.client.create(
      resources.statefulsets,
      'default',
      sts('keep', { replicas: 2, volumeClaimTemplates: [claimTemplate], persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }),
    );
    await c.eventually('two ready', ready('keep', 2));
    const set = await get('keep');
    const claim = (n: string) => c.client.get(resources.persistentvolumeclaims, 'default', n);
    await c.eventually('claims owned by the set', async () => (await claim('data-keep-1'))['metadata'].ownerReferences?.[0]?.uid === set['metadata'].uid);
    const pod1 = await c.client.get(resources.pods, 'default', 'keep-1');
    await c.client.patch(resources.statefulsets, 'default', 'keep', 'merge', { spec: { replicas: 1 } });
    await c.eventually('keep-1 gone', async () => (await names('keep')) === 'keep-0');
    const refs = (await claim('data-keep-1'))['metadata'].ownerReferences;
    assert.deepEqual(refs.map((r: Obj) => [r.kind, r.uid]), [['Pod', pod1['metadata'].uid]], 'the scaled-down claim now belongs to its pod');
  });

  it('Parallel creates all pods at once', async () => {
    await c.client.create(resources.statefulsets, 'default', sts('par', { podManagementPolicy: 'Parallel', template: { metadata: { labels: { app: 'par' } }, spec: { containers: [{ name: 'c', image: 'db:1' }], nodeName: 'nowhere' } } }));
    await c.eventually('three pods, none ready', async () => (await names('par')) === 'par-0,par-1,par-2');
    assert.equal((await get('par'))['status'].readyReplicas ?? 0, 0);
  });

  it('RollingUpdate honours the partition, then completes', async () => {
    await c.client.create(resources.statefulsets, 'default', sts('roll', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
    await c.eventually('three ready', ready('roll', 3));
    const before = (await get('roll'))['status'].currentRevision;
    await c.client.patch(resources.statefulsets, 'default', 'roll', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'db:2' }] } } } });
    await c.eventually('ordinals 1 and 2 updated', async () => {
      const s = (await get('roll'))['status'];
      const imgs = (await pods('roll')).map((p) => p['spec'].containers[0].image).join(',');
      return s.updatedReplicas === 2 && s.readyReplicas === 3 && imgs === 'db:1,db:2,db:2';
    });
    let s = (await get('roll'))['status'];
    assert.equal(s.currentRevision, before);
    assert.notEqual(s.updateRevision, before);
    assert.equal(s.currentReplicas, 1);
    await c.client.patch(resources.statefulsets, 'default', 'roll', 'merge', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    await c.eventually('all updated and current', async () => {
      const st = (await get('roll'))['status'];
      return st.updatedReplicas === 3 && st.currentReplicas === 3 && st.currentRevision === st.updateRevision && st.readyReplicas === 3;
    });
    s = (await get('roll'))['status'];
    const revs = (await c.client.list(resources.controllerrevisions, 'default', { labelSelector: 'app=roll' })).items;
    assert.deepEqual(revs.map((r) => r['revision']).sort(), [1, 2]);
    assert.ok(revs.some((r) => r['metadata'].name === s.updateRevision && r['revision'] === 2));
  });

  it('OnDelete updates a pod only when it is deleted; failed pods are recreated', async () => {
    await c.client.create(resources.statefulsets, 'default', sts('od', { replicas: 2, updateStrategy: { type: 'OnDelete' } }));
    await c.eventually('two ready', ready('od', 2));
    await c.client.patch(resources.statefulsets, 'default', 'od', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'db:2' }] } } } });
    await c.eventually('update revision known', async () => {
      const s = (await get('od'))['status'];
      return s.observedGeneration === 2 && s.updatedReplicas === 0 && s.updateRevision !== s.currentRevision;
    });
    await c.client.delete(resources.pods, 'default', 'od-1');
    await c.eventually('od-1 recreated on the new template', async () => (await pods('od')).map((p) => p['spec'].containers[0].image).join(',') === 'db:1,db:2');
    const uid = (await c.client.get(resources.pods, 'default', 'od-0'))['metadata'].uid;
    await c.client.patch(resources.pods, 'default', 'od-0', 'merge', { status: { phase: 'Failed' } }, { subresource: 'status' });
    await c.eventually('od-0 replaced', async () => {
      const p = (await pods('od')).find((x) => x['metadata'].name === 'od-0');
      return p && p['metadata'].uid !== uid && p['status'].phase === 'Running';
    });
  });
});
