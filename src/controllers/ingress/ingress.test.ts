import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredIngressClass, desiredLoadBalancer, ingressClasses, removeIngressClass, servedByBramble } from './ingress.ts';

const node = (name: string, ip: string, ready = true, labels: Record<string, string> = {}) => ({
  metadata: { name, labels },
  status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

test('IngressClass bramble is the default class', () => {
  const c = desiredIngressClass();
  assert.equal(c['metadata'].name, 'bramble');
  assert.equal(c['metadata'].annotations['ingressclass.kubernetes.io/is-default-class'], 'true');
});

test('status.loadBalancer.ingress: Ready real nodes, sorted, deduplicated', () => {
  assert.deepEqual(desiredLoadBalancer([node('b2', '10.0.0.12'), node('b1', '10.0.0.11'), node('down', '10.0.0.13', false), node('sim', '10.0.0.14', true, { type: 'bramble-fake' })]), [{ ip: '10.0.0.11' }, { ip: '10.0.0.12' }]);
  assert.deepEqual(desiredLoadBalancer([]), []);
});

test('which Ingresses are ours', () => {
  assert.ok(servedByBramble({ spec: {} }));
  assert.ok(servedByBramble({ spec: { ingressClassName: 'bramble' } }));
  assert.ok(!servedByBramble({ spec: { ingressClassName: 'nginx' } }));
  assert.ok(!servedByBramble({ metadata: { annotations: { 'kubernetes.io/ingress.class': 'traefik' } }, spec: {} }));
});

test('--disable ingress removes the IngressClass bramble made, not one an administrator made', async () => {
  const { openTestCluster } = await import('../../../test/harness/cluster.ts');
  const c = await openTestCluster({ controllers: {} });
  try {
    await c.client.create(ingressClasses, '', desiredIngressClass());
    assert.equal(await removeIngressClass(c.client), true);
    await assert.rejects(c.client.get(ingressClasses, '', 'bramble'), /not found/);
    assert.equal(await removeIngressClass(c.client), false, 'nothing left to remove');
    const own = desiredIngressClass();
    delete own['metadata'].labels;
    await c.client.create(ingressClasses, '', own);
    assert.equal(await removeIngressClass(c.client), false);
    assert.equal((await c.client.get(ingressClasses, '', 'bramble'))['metadata'].name, 'bramble');
  } finally {
    await c.close();
  }
});
