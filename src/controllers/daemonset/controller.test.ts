/**
 * The DaemonSet controller in a test cluster: real registry, informers,
 * scheduler (which places each daemon pod by its one-node affinity) and
 * test kubelet.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resources, type Obj } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { errors } from '../../api/errors.ts';
import { daemonSetControllerFactory } from './controller.ts';
import { targetNodeName } from './pod-template.ts';

const daemonSet = (name: string, spec: Obj = {}, strategy: Obj = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: name } },
    updateStrategy: strategy,
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'collector:1' }], ...spec } },
  },
});

describe('DaemonSet controller', () => {
  let c: TestCluster;
  const pods = async (app: string) => (await c.client.list(resources.pods, 'default', { labelSelector: `app=${app}` })).items.filter((p) => !p['metadata'].deletionTimestamp);
  const podNodes = async (app: string) => (await pods(app)).map((p) => targetNodeName(p)).sort();
  const ds = (name: string) => c.client.get(resources.daemonsets, 'default', name);

  before(async () => {
    c = await openTestCluster({ controllers: { daemonset: daemonSetControllerFactory, scheduler: (ctx) => new Scheduler(ctx) } });
    for (const n of ['board-1', 'board-2', 'board-3']) await c.addNode(n);
    c.startKubelet();
  });
  after(() => c.close());

  it('runs only on labelled boards and follows label changes (seed 002)', async () => {
    await c.client.patch(resources.nodes, '', 'board-2', 'merge', { metadata: { labels: { sensor: 'camera' } } });
    await c.client.create(resources.daemonsets, 'default', daemonSet('camera', { nodeSelector: { sensor: 'camera' } }));
    await c.eventually('one pod on board-2', async () => JSON.stringify(await podNodes('camera')) === '["board-2"]');
    await c.eventually('status counts one ready pod', async () => {
      const s = (await ds('camera'))['status'];
      return s.desiredNumberScheduled === 1 && s.currentNumberScheduled === 1 && s.numberReady === 1 && s.numberAvailable === 1 && s.updatedNumberScheduled === 1 && s.observedGeneration === 1;
    });
    const pod = (await pods('camera'))[0]!;
    assert.equal(pod['spec'].nodeName, 'board-2');
    assert.equal(pod['metadata'].ownerReferences[0].kind, 'DaemonSet');
    assert.ok(pod['metadata'].labels['controller-revision-hash']);
    assert.ok(pod['spec'].tolerations.some((t: Obj) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute' && t.tolerationSeconds === undefined));

    await c.client.patch(resources.nodes, '', 'board-3', 'merge', { metadata: { labels: { sensor: 'camera' } } });
    await c.eventually('pods on board-2 and board-3', async () => JSON.stringify(await podNodes('camera')) === '["board-2","board-3"]');
    await c.client.patch(resources.nodes, '', 'board-2', 'merge', { metadata: { labels: { sensor: null } } });
    await c.eventually('board-2 pod deleted', async () => JSON.stringify(await podNodes('camera')) === '["board-3"]');
    await c.eventually('status follows', async () => {
      const s = (await ds('camera'))['status'];
      return s.desiredNumberScheduled === 1 && s.currentNumberScheduled === 1 && s.numberMisscheduled === 0;
    });
  });

  it('keeps off tainted nodes unless tolerated, and follows node additions', async () => {
    await c.client.patch(resources.nodes, '', 'board-1', 'merge', { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } });
    await c.client.create(resources.daemonsets, 'default', daemonSet('logs'));
    await c.eventually('pods on the untainted boards', async () => JSON.stringify(await podNodes('logs')) === '["board-2","board-3"]');
    await c.addNode('board-4');
    c.startKubelet(['board-4']);
    await c.eventually('a pod on the new board', async () => (await podNodes('logs')).includes('board-4'));
    await c.client.patch(resources.nodes, '', 'board-1', 'merge', { spec: { taints: null } });
    await c.eventually('a pod on board-1 once untainted', async () => (await podNodes('logs')).length === 4);
    await c.client.delete(resources.nodes, '', 'board-4');
    await c.eventually('desired drops with the node', async () => (await ds('logs'))['status'].desiredNumberScheduled === 3);
  });

  it('rolls out a new template one node at a time with revisions, and rolls back', async () => {
    await c.client.create(resources.daemonsets, 'default', daemonSet('roll'));
    await c.eventually('three ready pods', async () => (await ds('roll'))['status'].numberAvailable === 3);
    const firstHash = (await pods('roll'))[0]!['metadata'].labels['controller-revision-hash'];
    await c.client.patch(resources.daemonsets, 'default', 'roll', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'collector:2' }] } } } });
    let maxUnavailable = 0;
    await c.eventually(
      'all pods on the new image',
      async () => {
        const st = (await ds('roll'))['status'];
        maxUnavailable = Math.max(maxUnavailable, 3 - (st.numberAvailable ?? 0));
        const ps = await pods('roll');
        return st.updatedNumberScheduled === 3 && st.numberAvailable === 3 && ps.length === 3 && ps.every((p) => p['spec'].containers[0].image === 'collector:2');
      },
      20_000,
    );
    assert.ok(maxUnavailable <= 1, `at most one node without an available pod (saw ${maxUnavailable})`);
    const revs = (await c.client.list(resources.controllerrevisions, 'default', { labelSelector: 'app=roll' })).items;
    assert.deepEqual(revs.map((r) => r['revision']).sort(), [1, 2]);
    const first = revs.find((r) => r['metadata'].labels['controller-revision-hash'] === firstHash)!;
    assert.equal(first['revision'], 1);
    assert.equal(first['data'].spec.template.$patch, 'replace');

    // What `kubectl rollout undo` does: apply the old revision's data as a strategic merge patch.
    await c.client.patch(resources.daemonsets, 'default', 'roll', 'strategic', first['data']);
    await c.eventually(
      'back on the first image, its revision renumbered newest',
      async () => {
        const ps = await pods('roll');
        const rs = (await c.client.list(resources.controllerrevisions, 'default', { labelSelector: 'app=roll' })).items;
        return ps.length === 3 && ps.every((p) => p['metadata'].labels['controller-revision-hash'] === firstHash) && rs.find((r) => r['metadata'].name === first['metadata'].name)?.['revision'] === 3;
      },
      20_000,
    );
  });

  it('keeps revisionHistoryLimit old revisions that no pod uses', async () => {
    const d = daemonSet('hist');
    d['spec'].revisionHistoryLimit = 1;
    await c.client.create(resources.daemonsets, 'default', d);
    for (const image of ['collector:2', 'collector:3', 'collector:4']) {
      await c.client.patch(resources.daemonsets, 'default', 'hist', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
      await c.eventually(`all on ${image}`, async () => {
        const ps = await pods('hist');
        return ps.length === 3 && ps.every((p) => p['spec'].containers[0].image === image) && (await ds('hist'))['status'].numberAvailable === 3;
      }, 20_000);
    }
    await c.eventually('two revisions left: the current one and one old', async () => {
      const revs = (await c.client.list(resources.controllerrevisions, 'default', { labelSelector: 'app=hist' })).items;
      return JSON.stringify(revs.map((r) => r['revision']).sort()) === '[3,4]';
    });
  });

  it('recovers from refused creations: failed and unattempted ones are not waited for', async () => {
    let refuse = true;
    c.registry.admission.push({
      name: 'TestRefusePods',
      validate(req) {
        if (refuse && req.operation === 'CREATE' && req.resource.resource === 'pods' && !req.subresource && req.namespace === 'quota') {
          throw errors.forbidden({ group: '', resource: 'pods' }, req.name, 'exceeded quota: pods, requested: pods=1, used: pods=0, limited: pods=0');
        }
      },
    });
    await c.client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quota' } });
    await c.client.create(resources.daemonsets, 'quota', { ...daemonSet('q'), metadata: { name: 'q', namespace: 'quota' } });
    await c.eventually('FailedCreate recorded', async () =>
      (await c.client.list(resources.events, 'quota')).items.some((e) => e['reason'] === 'FailedCreate' && e['involvedObject'].name === 'q'),
    );
    refuse = false;
    await c.eventually('all three pods once the quota allows', async () => (await c.client.list(resources.pods, 'quota')).items.length === 3, 15_000);
  });

  it('OnDelete replaces a pod only when it is deleted', async () => {
    await c.client.create(resources.daemonsets, 'default', daemonSet('manual', {}, { type: 'OnDelete' }));
    await c.eventually('three ready pods', async () => (await ds('manual'))['status'].numberAvailable === 3);
    await c.client.patch(resources.daemonsets, 'default', 'manual', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'collector:2' }] } } } });
    await c.eventually('status sees no updated pods', async () => {
      const d = await ds('manual');
      return d['status'].observedGeneration === 2 && d['status'].updatedNumberScheduled === 0;
    });
    const victim = (await pods('manual')).find((p) => p['spec'].nodeName === 'board-2')!;
    await c.client.delete(resources.pods, 'default', victim['metadata'].name);
    await c.eventually('board-2 runs the new template, the others the old', async () => {
      const ps = await pods('manual');
      const images = Object.fromEntries(ps.map((p) => [p['spec'].nodeName, p['spec'].containers[0].image]));
      return ps.length === 3 && images['board-2'] === 'collector:2' && images['board-1'] === 'collector:1' && images['board-3'] === 'collector:1';
    });
    await c.eventually('one updated', async () => (await ds('manual'))['status'].updatedNumberScheduled === 1);
  });

  it('surges: a new pod starts beside the old one, which goes once the new one is available', async () => {
    await c.client.create(resources.daemonsets, 'default', daemonSet('surge', {}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }));
    await c.eventually('three ready pods', async () => (await ds('surge'))['status'].numberAvailable === 3);
    await c.client.patch(resources.daemonsets, 'default', 'surge', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'collector:2' }] } } } });
    let maxPods = 0;
    await c.eventually(
      'all updated',
      async () => {
        const ps = await pods('surge');
        maxPods = Math.max(maxPods, ps.length);
        const st = (await ds('surge'))['status'];
        return ps.length === 3 && st.updatedNumberScheduled === 3 && st.numberAvailable === 3;
      },
      20_000,
    );
    assert.ok(maxPods <= 4, `never more than one surge pod (saw ${maxPods})`);
  });
});
