import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resources, type Obj } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { clusterDnsControllerFactory, clusterDnsIP } from './cluster-dns.ts';

describe('cluster-dns controller', () => {
  let c: TestCluster;
  before(async () => {
    c = await openTestCluster({ controllers: { 'cluster-dns': clusterDnsControllerFactory } });
  });
  after(async () => c?.close());

  it('takes the tenth address of the service range', () => {
    assert.equal(clusterDnsIP('10.43.0.0/16'), '10.43.0.10');
    assert.equal(clusterDnsIP('10.96.0.0/12'), '10.96.0.10');
  });

  it('creates kube-system/kube-dns at 10.43.0.10, node-local, with UDP and TCP 53', async () => {
    const svc = await c.eventually('kube-dns', async () => c.client.get(resources.services, 'kube-system', 'kube-dns').catch(() => undefined));
    assert.equal(svc['spec'].clusterIP, '10.43.0.10');
    assert.equal(svc['spec'].internalTrafficPolicy, 'Local');
    assert.deepEqual(svc['spec'].ports.map((p: Obj) => `${p['protocol']}/${p['port']}`), ['UDP/53', 'TCP/53']);
    assert.equal(svc['spec'].selector, undefined, 'no selector: the endpoints are ours');
  });

  it('lists every node\'s address with its readiness, and follows nodes coming and going', async () => {
    await c.addNode('board-a');
    await c.addNode('board-b');
    const slice = await c.eventually('two endpoints', async () => {
      const s = await c.client.get(resources.endpointslices, 'kube-system', 'kube-dns').catch(() => undefined);
      return s && (s['endpoints'] ?? []).length === 2 && s;
    });
    const a = await c.client.get(resources.nodes, '', 'board-a');
    const ip = a['status'].addresses.find((x: Obj) => x['type'] === 'InternalIP')['address'];
    assert.deepEqual(slice['endpoints'][0], { addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'board-a' });
    assert.equal(slice['metadata'].labels['kubernetes.io/service-name'], 'kube-dns');
    // A node that stops being Ready is listed not ready (its DNS server is not used).
    const cond = a['status'].conditions.map((x: Obj) => (x['type'] === 'Ready' ? { ...x, status: 'Unknown' } : x));
    await c.client.patch(resources.nodes, '', 'board-a', 'merge', { status: { conditions: cond } }, { subresource: 'status' });
    await c.eventually('board-a not ready', async () => {
      const s = await c.client.get(resources.endpointslices, 'kube-system', 'kube-dns');
      return s['endpoints'].find((e: Obj) => e['nodeName'] === 'board-a')?.conditions.ready === false;
    });
    await c.client.delete(resources.nodes, '', 'board-b');
    await c.eventually('board-b gone', async () => {
      const s = await c.client.get(resources.endpointslices, 'kube-system', 'kube-dns');
      return s['endpoints'].length === 1;
    });
  });
});
