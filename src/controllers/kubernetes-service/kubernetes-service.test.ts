import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { resources } from '../../client/types.ts';
import { isDeepStrictEqual } from 'node:util';
import { kubernetesServiceControllerFactory, usableAddresses } from './kubernetes-service.ts';
import { advertiseAnnotation, apiServerIdentityLabel, runAPIServerLease } from '../../server/apiserver-lease.ts';

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

describe('kubernetes-service controller with several API servers (identity Leases)', () => {
  let tc: TestCluster;
  const stopOther = new AbortController();
  let other: Promise<void>;
  before(async () => {
    tc = await openTestCluster({
      controllers: { 'kubernetes-service': kubernetesServiceControllerFactory },
      config: { apiServerAddresses: ['192.168.0.3'], apiServerPort: 6443, apiServerIdentityLeases: true },
    });
  });
  after(async () => {
    stopOther.abort();
    await other;
    await tc.close();
  });

  const get = (r: (typeof resources)[keyof typeof resources]) => tc.client.get(r, 'default', 'kubernetes').catch(() => undefined);
  const listed = async () => {
    const ep = await get(resources.endpoints);
    const es = await get(resources.endpointslices);
    const fromEp: string[] = (ep?.subsets?.[0]?.addresses ?? []).map((a: { ip: string }) => a.ip);
    const fromEs: string[] = (es?.endpoints ?? []).map((e: { addresses: string[] }) => e.addresses[0]);
    return { fromEp, fromEs };
  };

  it('lists every live API server, sorted, and drops one whose Lease expires or is removed on stop', async () => {
    // A server that died: its Lease was renewed once and expires 2 s later, with no further write.
    const now = new Date().toISOString().replace('Z', '000Z');
    await tc.client.create(resources.leases, 'kube-system', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'apiserver-dead', namespace: 'kube-system', labels: { [apiServerIdentityLabel]: 'kube-apiserver' }, annotations: { [advertiseAnnotation]: '192.168.0.2:6443' } },
      spec: { holderIdentity: 'apiserver-dead_x', leaseDurationSeconds: 2, renewTime: now },
    });
    // Not an API server identity Lease: ignored.
    await tc.client.create(resources.leases, 'kube-system', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'unrelated', namespace: 'kube-system', annotations: { [advertiseAnnotation]: '192.168.0.99:6443' } },
      spec: { holderIdentity: 'x', leaseDurationSeconds: 3600, renewTime: now },
    });
    const expect = (what: string, want: string[], ms?: number) =>
      tc.eventually(what, async () => {
        const l = await listed();
        return isDeepStrictEqual(l.fromEp, want) && isDeepStrictEqual(l.fromEs, want);
      }, ms);
    await expect('both servers listed', ['192.168.0.2', '192.168.0.3']);
    const slice = await get(resources.endpointslices);
    assert.deepEqual(slice!.ports, [{ name: 'https', port: 6443, protocol: 'TCP' }]);
    // Nothing is written meanwhile: the controller must look again on its own when the Lease expires.
    await expect('the expired Lease is dropped', ['192.168.0.3'], 5000);

    // Another server renewing its Lease the way `bramble server` does; sorted numerically.
    other = runAPIServerLease({ client: tc.client, id: 'apiserver-other', advertise: '192.168.0.10:6443', renewIntervalMs: 200, leaseDurationSeconds: 1 }, stopOther.signal);
    await expect('the live server is listed', ['192.168.0.3', '192.168.0.10']);
    await new Promise((r) => setTimeout(r, 1500)); // past its first lease duration: renewals keep it
    await expect('still listed while renewing', ['192.168.0.3', '192.168.0.10'], 100);
    stopOther.abort();
    await other;
    await expect('the stopped server is dropped at once (its Lease is deleted)', ['192.168.0.3'], 1000);
  });
});
