import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { resources, type Obj } from '../../client/types.ts';
import { ResourceQuotaController } from './resourcequota.ts';

let tc: TestCluster;
before(async () => {
  tc = await openTestCluster({ controllers: { resourcequota: (ctx) => new ResourceQuotaController(ctx, { resyncMs: 500 }) } });
  await tc.addNode('n1');
  tc.startKubelet();
  await tc.client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
});
after(() => tc.close());

const pod = (name: string, cpu: string, extra: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { nodeName: 'n1', restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', resources: { requests: { cpu, memory: '64Mi' }, limits: { cpu, memory: '64Mi' } } }], ...extra },
});
const status = async (name: string) => (await tc.client.get(resources.resourcequotas, 'team', name)).status;

describe('resourcequota controller', () => {
  it('computes usage for a new quota from what already exists', async () => {
    await tc.client.create(resources.pods, 'team', pod('before-1', '250m'));
    await tc.client.create(resources.pods, 'team', pod('before-2', '250m', { activeDeadlineSeconds: 600 }));
    await tc.client.create(resources.configmaps, 'team', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    await tc.client.create(resources.resourcequotas, 'team', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'compute' },
      spec: { hard: { 'requests.cpu': '2', 'limits.memory': '1Gi', pods: '5', configmaps: '3', 'count/deployments.apps': '2', 'requests.nvidia.com/gpu': '1' } },
    });
    await tc.client.create(resources.resourcequotas, 'team', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'long-running' }, spec: { hard: { pods: '10' }, scopes: ['NotTerminating'] } });
    const s = await tc.eventually('status computed', async () => (await status('compute'))?.used);
    assert.deepEqual(s, { configmaps: '1', 'count/deployments.apps': '0', 'limits.memory': '128Mi', pods: '2', 'requests.cpu': '500m', 'requests.nvidia.com/gpu': '0' });
    assert.deepEqual((await status('compute')).hard['requests.cpu'], '2');
    assert.deepEqual(await tc.eventually('scoped quota', async () => (await status('long-running'))?.used), { pods: '1' });
  });

  it('gives usage back when pods finish or go, and counts a changed quota', async () => {
    await tc.client.patch(resources.pods, 'team', 'before-1', 'merge', { status: { phase: 'Succeeded' } }, { subresource: 'status' });
    await tc.eventually('finished pod released', async () => (await status('compute')).used.pods === '1');
    await tc.client.delete(resources.pods, 'team', 'before-2');
    await tc.eventually('deleted pod released', async () => (await status('compute')).used.pods === '0');
    await tc.client.delete(resources.configmaps, 'team', 'cfg');
    await tc.eventually('configmap released', async () => (await status('compute')).used.configmaps === '0');
    await tc.client.patch(resources.resourcequotas, 'team', 'compute', 'merge', { spec: { hard: { secrets: '4' } } });
    await tc.eventually('new resource counted', async () => (await status('compute')).used.secrets === '0');
    assert.equal((await status('compute')).hard.secrets, '4');
  });

  it('repairs an over-charge on resync', async () => {
    const q = await tc.client.get(resources.resourcequotas, 'team', 'long-running');
    await tc.client.update(resources.resourcequotas, 'team', { ...q, status: { hard: q.status.hard, used: { pods: '7' } } }, { subresource: 'status' });
    await tc.eventually('recounted', async () => (await status('long-running')).used.pods === '0', 5000);
  });
});
