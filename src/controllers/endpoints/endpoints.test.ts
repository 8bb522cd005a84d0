import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { resources, type Obj } from '../../client/types.ts';
import { endpointsControllerFactory } from './endpoints.ts';

let tc: TestCluster;
before(async () => {
  tc = await openTestCluster({ controllers: { endpoints: endpointsControllerFactory } });
  await tc.addNode('n1');
  tc.startKubelet();
});
after(() => tc.close());

const pod = (name: string, labels: Obj, extra: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra },
});
const svc = (name: string, spec: Obj, labels?: Obj): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, ...(labels ? { labels } : {}) }, spec });
const getEp = (name: string, ns = 'default') => tc.client.get(resources.endpoints, ns, name).catch(() => undefined);
const ips = (ep: Obj | undefined, k: 'addresses' | 'notReadyAddresses') => (ep?.subsets ?? []).flatMap((s: Obj) => (s[k] ?? []).map((a: Obj) => a.targetRef.name)).sort();

describe('endpoints controller', () => {
  it('lists ready pods with resolved named ports, and follows readiness', async () => {
    await tc.client.create(resources.services, 'default', svc('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }, { tier: 'front' }));
    await tc.client.create(resources.pods, 'default', pod('web-1', { app: 'web' }));
    await tc.client.create(resources.pods, 'default', pod('web-2', { app: 'web' }));
    await tc.client.create(resources.pods, 'default', pod('other', { app: 'db' }));
    const ep = await tc.eventually('two ready endpoints', async () => {
      const e = await getEp('web');
      return ips(e, 'addresses').length === 2 ? e : undefined;
    });
    assert.deepEqual(ips(ep, 'addresses'), ['web-1', 'web-2']);
    assert.deepEqual(ep.subsets[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(ep.metadata.labels, { tier: 'front' }, 'the Service labels');
    assert.equal(ep.subsets[0].addresses[0].nodeName, 'n1');

    // The pod stops being Ready: it moves to notReadyAddresses.
    const p = await tc.client.get(resources.pods, 'default', 'web-2');
    const conditions = p.status.conditions.map((c: Obj) => (c.type === 'Ready' ? { ...c, status: 'False' } : c));
    await tc.client.patch(resources.pods, 'default', 'web-2', 'strategic', { status: { conditions } }, { subresource: 'status' });
    const flipped = await tc.eventually('web-2 not ready', async () => {
      const e = await getEp('web');
      return ips(e, 'notReadyAddresses').includes('web-2') ? e : undefined;
    });
    assert.deepEqual(ips(flipped, 'addresses'), ['web-1']);

    // Ready again.
    const back = conditions.map((c: Obj) => (c.type === 'Ready' ? { ...c, status: 'True' } : c));
    await tc.client.patch(resources.pods, 'default', 'web-2', 'strategic', { status: { conditions: back } }, { subresource: 'status' });
    await tc.eventually('web-2 ready again', async () => ips(await getEp('web'), 'addresses').length === 2);
  });

  it('drops a pod that is deleted or stops matching; writes nothing when nothing changed', async () => {
    await tc.client.patch(resources.pods, 'default', 'web-1', 'merge', { metadata: { labels: { app: 'gone' } } });
    await tc.eventually('web-1 removed', async () => JSON.stringify(ips(await getEp('web'), 'addresses')) === '["web-2"]');
    const rv = (await getEp('web'))!.metadata.resourceVersion;
    await tc.client.patch(resources.pods, 'default', 'web-2', 'merge', { metadata: { annotations: { touched: 'yes' } } });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await getEp('web'))!.metadata.resourceVersion, rv, 'an annotation change is no reason to write');
    await tc.client.delete(resources.pods, 'default', 'web-2');
    await tc.eventually('no endpoints left', async () => {
      const e = await getEp('web');
      return e && (e.subsets ?? []).length === 0;
    });
  });

  it('headless Services get the headless label; selectorless ones are left alone', async () => {
    await tc.client.create(resources.services, 'default', svc('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] }));
    const ep = await tc.eventually('db endpoints', async () => {
      const e = await getEp('db');
      return ips(e, 'addresses').length === 1 ? e : undefined;
    });
    assert.equal(ep.metadata.labels['service.kubernetes.io/headless'], '');
    await tc.client.create(resources.services, 'default', svc('manual', { ports: [{ port: 80 }] }));
    await tc.client.create(resources.endpoints, 'default', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'manual' }, subsets: [{ addresses: [{ ip: '192.168.5.5' }], ports: [{ port: 80 }] }] });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await getEp('manual'))!.subsets[0].addresses[0].ip, '192.168.5.5');
  });

  it('recreates deleted Endpoints and deletes them with their Service', async () => {
    await tc.client.delete(resources.endpoints, 'default', 'db');
    await tc.eventually('db endpoints back', async () => ips(await getEp('db'), 'addresses').length === 1);
    await tc.client.delete(resources.services, 'default', 'db');
    await tc.eventually('db endpoints gone', async () => (await getEp('db')) === undefined);
  });
});
