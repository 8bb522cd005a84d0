import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { resources } from '../../client/types.ts';
import { kubernetesServiceControllerFactory, usableAddresses } from './kubernetes-service.ts';

test('usableAddresses: loopback, link-local and malformed addresses cannot be endpoints', () => {
  const cases: [string[], string[]][] = [
    [['192.168.1.10'], ['192.168.1.10']],
    [['127.0.0.1'], []],
    [['169.254.1.1', '10.0.0.5'], ['10.0.0.5']],
    [['not-an-ip', ''], []],
  ];
  for (const [input, want] of cases) assert.deepEqual(usableAddresses(input), want, input.join(','));
});

describe('kubernetes-service controller', () => {
  let tc: TestCluster;
  before(async () => {
    tc = await openTestCluster({
      controllers: { 'kubernetes-service': kubernetesServiceControllerFactory },
      config: { apiServerAddresses: ['192.168.0.1'], apiServerPort: 6443 },
    });
  });
  after(() => tc.close());

  const get = (r: (typeof resources)[keyof typeof resources]) => tc.client.get(r, 'default', 'kubernetes').catch(() => undefined);

  it('creates the Service with the first IP of the range, its Endpoints and EndpointSlice', async () => {
    const svc = await tc.eventually('kubernetes Service', () => get(resources.services));
    assert.equal(svc.spec.clusterIP, '10.43.0.1');
    assert.deepEqual(svc.spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
    assert.deepEqual(svc.metadata.labels, { component: 'apiserver', provider: 'kubernetes' });
    assert.deepEqual(svc.spec.ipFamilies, ['IPv4']);
    const ep = await tc.eventually('kubernetes Endpoints', () => get(resources.endpoints));
    assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '192.168.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
    assert.equal(ep.metadata.labels['endpointslice.kubernetes.io/skip-mirror'], 'true');
    const es = await tc.eventually('kubernetes EndpointSlice', () => get(resources.endpointslices));
    assert.equal(es.addressType, 'IPv4');
    assert.deepEqual(es.endpoints, [{ addresses: ['192.168.0.1'], conditions: { ready: true } }]);
    assert.deepEqual(es.ports, [{ name: 'https', port: 6443, protocol: 'TCP' }]);
    assert.equal(es.metadata.labels['kubernetes.io/service-name'], 'kubernetes');
  });

  it('puts back changed ports and endpoints, and recreates a deleted Service', async () => {
    await tc.client.patch(resources.services, 'default', 'kubernetes', 'json', [{ op: 'replace', path: '/spec/ports/0/port', value: 8443 }]);
    await tc.eventually('port restored', async () => (await get(resources.services))?.spec.ports[0].port === 443);
    await tc.client.patch(resources.endpoints, 'default', 'kubernetes', 'merge', { subsets: [{ addresses: [{ ip: '10.9.9.9' }], ports: [{ name: 'https', port: 1, protocol: 'TCP' }] }] });
    await tc.eventually('endpoints restored', async () => (await get(resources.endpoints))?.subsets?.[0]?.addresses?.[0]?.ip === '192.168.0.1');
    await tc.client.delete(resources.services, 'default', 'kubernetes');
    const again = await tc.eventually('Service recreated', async () => {
      const s = await get(resources.services);
      return s?.spec.clusterIP === '10.43.0.1' ? s : undefined;
    });
    assert.equal(again.spec.ports[0].targetPort, 6443);
  });

  it('writes nothing when all is right', async () => {
    const before = (await get(resources.services))!.metadata.resourceVersion;
    const ep = (await get(resources.endpoints))!.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await get(resources.services))!.metadata.resourceVersion, before);
    assert.equal((await get(resources.endpoints))!.metadata.resourceVersion, ep);
  });
});
