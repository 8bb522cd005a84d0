import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { resources, type Obj } from '../../client/types.ts';
import { EndpointSliceController } from './endpointslice.ts';

let tc: TestCluster;
before(async () => {
  tc = await openTestCluster({ controllers: { endpointslice: (ctx) => new EndpointSliceController(ctx, { maxEndpointsPerSlice: 3 }) } });
  await tc.addNode('n1');
  tc.startKubelet();
});
after(() => tc.close());

const pod = (name: string, labels: Obj): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] },
});
const slicesOf = async (svc: string) =>
  (await tc.client.list(resources.endpointslices, 'default', { labelSelector: `kubernetes.io/service-name=${svc}` })).items;
const endpointsOf = (slices: Obj[]) => slices.flatMap((s) => s.endpoints ?? []);

describe('endpointslice controller', () => {
  it('a Service without pods gets one placeholder slice, owned and labelled', async () => {
    await tc.client.create(resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    const [s] = await tc.eventually('placeholder', async () => {
      const l = await slicesOf('web');
      return l.length === 1 ? l : undefined;
    });
    assert.equal(s!.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(s!.metadata.ownerReferences[0].kind, 'Service');
    assert.match(s!.metadata.name, /^web-[a-z0-9]{5}$/);
    assert.equal(s!.addressType, 'IPv4');
    assert.deepEqual(s!.endpoints ?? [], []);
  });

  it('ready pods appear with conditions and resolved ports, packed at most 3 per slice here', async () => {
    for (let i = 1; i <= 5; i++) await tc.client.create(resources.pods, 'default', pod(`web-${i}`, { app: 'web' }));
    const slices = await tc.eventually('five ready endpoints', async () => {
      const l = await slicesOf('web');
      return endpointsOf(l).filter((e) => e.conditions.ready).length === 5 ? l : undefined;
    });
    assert.deepEqual(slices.map((s) => s.endpoints.length).sort(), [2, 3]);
    const ep = endpointsOf(slices)[0];
    assert.deepEqual(ep.conditions, { ready: true, serving: true, terminating: false });
    assert.equal(ep.nodeName, 'n1');
    assert.equal(ep.targetRef.kind, 'Pod');
    assert.deepEqual(slices[0]!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('a terminating pod stays, marked terminating and not ready; unchanged slices are not rewritten', async () => {
    const full = (await slicesOf('web')).find((s) => s.endpoints.length === 3)!;
    // A pod on a node is deleted gracefully: it stays until its kubelet finishes it. The test
    // kubelet finishes at once, so this pod runs on a node without one (its status set by hand).
    await tc.addNode('n2');
    await tc.client.create(resources.pods, 'default', { ...pod('slow', { app: 'web' }), spec: { ...pod('slow', {}).spec, nodeName: 'n2' } });
    await tc.client.patch(resources.pods, 'default', 'slow', 'merge', { status: { phase: 'Running', podIP: '10.244.9.9', podIPs: [{ ip: '10.244.9.9' }], conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
    await tc.eventually('slow ready', async () => endpointsOf(await slicesOf('web')).some((e) => e.targetRef.name === 'slow' && e.conditions.ready));
    await tc.client.delete(resources.pods, 'default', 'slow');
    const ep = await tc.eventually('slow terminating', async () => endpointsOf(await slicesOf('web')).find((e) => e.targetRef.name === 'slow' && e.conditions.terminating));
    assert.deepEqual(ep.conditions, { ready: false, serving: true, terminating: true });
    const same = (await slicesOf('web')).find((s) => s.metadata.name === full.metadata.name)!;
    assert.equal(same.metadata.resourceVersion, full.metadata.resourceVersion, 'the full slice was never rewritten');
  });

  it('a tampered slice is put right; slices go with their Service', async () => {
    const [s] = await slicesOf('web');
    await tc.client.patch(resources.endpointslices, 'default', s!.metadata.name, 'merge', { endpoints: [] });
    await tc.eventually('repaired', async () => endpointsOf(await slicesOf('web')).filter((e) => e.conditions.ready).length === 5);
    await tc.client.delete(resources.services, 'default', 'web');
    await tc.eventually('slices gone', async () => (await slicesOf('web')).length === 0);
  });
});
