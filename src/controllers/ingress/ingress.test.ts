import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredIngressClass, desiredLoadBalancer, servedByBramble } from './ingress.ts';

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
