import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { EndpointIndex } from '../ingress/routes.ts';
import { buildTable, endpointKey, parseAnnotation, parseConfigMap, pick, rank, type Endpoint } from './routes.ts';

const cm = (data: Record<string, string>): Obj => ({ metadata: { namespace: 'kube-system', name: 'bramble-tcp-services' }, data });
const svc = (ns: string, name: string, ports: Obj[], annotations?: Record<string, string>, created = '2026-01-01T00:00:00Z', extra: Obj = {}): Obj => ({
  metadata: { namespace: ns, name, annotations, creationTimestamp: created },
  spec: { ports, ...extra['spec'] },
  status: extra['status'],
});
const slice = (ns: string, service: string, port: { name?: string; port: number }, eps: { ip: string; ready?: boolean }[]): Obj => ({
  metadata: { namespace: ns, name: `${service}-abc`, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports: [port],
  endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true } })),
});

function index(services: Obj[], slices: Obj[]): EndpointIndex {
  const eps = new EndpointIndex();
  for (const s of services) eps.setService(s);
  for (const s of slices) eps.setSlice(s);
  return eps;
}

test('ConfigMap entries: port → namespace/service:port (number or name); bad entries are problems, not crashes', () => {
  const r = parseConfigMap(
    cm({
      '7000': 'iot/gateway:9000',
      '7001': 'iot/gateway:mqtt',
      '0': 'iot/gateway:9000',
      '70000': 'iot/gateway:9000',
      abc: 'iot/gateway:9000',
      '7002': 'gateway:9000',
      '7003': 'iot/gateway',
      '7004': 'iot/gateway:9000:PROXY',
      '7005': 'iot/Gateway:9000',
      '7006': 'iot/gateway:Not_A_Port',
      '7007': ' iot/gateway:9000 ',
    }),
  );
  assert.deepEqual(
    r.specs.map((s) => [s.port, s.namespace, s.service, s.servicePort]),
    [
      [7000, 'iot', 'gateway', 9000],
      [7001, 'iot', 'gateway', 'mqtt'],
      [7007, 'iot', 'gateway', 9000],
    ],
  );
  assert.equal(r.problems.length, 8);
  assert.ok(r.problems.every((p) => p.source.kind === 'ConfigMap' && p.reason === 'InvalidTCPRoute'));
  assert.ok(r.problems.some((p) => p.message.includes('PROXY')));
  assert.deepEqual(parseConfigMap(undefined), { specs: [], problems: [] });
  assert.deepEqual(parseConfigMap({ metadata: { namespace: 'kube-system', name: 'bramble-tcp-services' } }).specs, []);
});

test('Service annotation: "7000" = first port, "7000:9000" and "7000:name"; junk and duplicates are problems', () => {
  const s = svc('iot', 'gw', [{ port: 9000 }], { 'ingress.bramble.io/tcp-ports': '7000, 7001:9001 ,7002:mqtt,,x,7003:1:2,7000,99999' });
  const r = parseAnnotation(s);
  assert.deepEqual(
    r.specs.map((x) => [x.port, x.servicePort]),
    [
      [7000, undefined],
      [7001, 9001],
      [7002, 'mqtt'],
    ],
  );
  assert.equal(r.problems.length, 4);
  assert.ok(r.problems.every((p) => p.source.kind === 'Service' && p.source.name === 'gw'));
  assert.deepEqual(parseAnnotation(svc('iot', 'plain', [{ port: 1 }])).specs, []);
});

test('the table resolves Service ports to ready endpoints (pod IP:targetPort)', () => {
  const services = [svc('iot', 'gw', [{ name: 'mqtt', port: 1883 }, { name: 'raw', port: 9000 }], { 'ingress.bramble.io/tcp-ports': '7100' })];
  const eps = index(services, [
    { ...slice('iot', 'gw', { name: 'raw', port: 19000 }, [{ ip: '10.42.0.5' }, { ip: '10.42.1.6' }, { ip: '10.42.1.7', ready: false }]) },
    { ...slice('iot', 'gw', { name: 'mqtt', port: 11883 }, [{ ip: '10.42.0.5' }]), metadata: { namespace: 'iot', name: 'gw-mqtt', labels: { 'kubernetes.io/service-name': 'gw' } } },
  ]);
  const t = buildTable(cm({ '7000': 'iot/gw:raw', '7001': 'iot/gw:1883' }), services, eps);
  assert.deepEqual(t.problems, []);
  assert.deepEqual(t.routes.get(7000)?.endpoints, [
    { ip: '10.42.0.5', port: 19000 },
    { ip: '10.42.1.6', port: 19000 },
  ]);
  assert.equal(t.routes.get(7000)?.servicePort, 9000);
  assert.deepEqual(t.routes.get(7001)?.endpoints, [{ ip: '10.42.0.5', port: 11883 }]);
  assert.equal(t.routes.get(7100)?.servicePort, 1883, 'a bare annotation port means the first Service port');
  assert.equal(t.routes.get(7100)?.source.kind, 'Service');
});

test('missing Service or port, UDP ports: skipped with a problem; a route without ready endpoints stays', () => {
  const services = [svc('iot', 'gw', [{ port: 9000 }, { name: 'dns', port: 53, protocol: 'UDP' }])];
  const t = buildTable(cm({ '7000': 'iot/nope:9000', '7001': 'iot/gw:9999', '7002': 'iot/gw:dns', '7003': 'iot/gw:9000' }), services, index(services, []));
  assert.deepEqual([...t.routes.keys()], [7003]);
  assert.deepEqual(t.routes.get(7003)?.endpoints, []);
  assert.deepEqual(
    t.problems.map((p) => p.reason),
    ['TCPRouteServiceNotFound', 'TCPRouteServiceNotFound', 'InvalidTCPRoute'],
  );
});

test('conflicts: reserved ports, NodePort range, LoadBalancer ports on this node; ConfigMap beats annotations; oldest Service wins', () => {
  const services = [
    svc('b', 'young', [{ port: 1 }], { 'ingress.bramble.io/tcp-ports': '7000,7001' }, '2026-03-01T00:00:00Z'),
    svc('a', 'old', [{ port: 1 }], { 'ingress.bramble.io/tcp-ports': '7001,80,443,53,10250,6443,30080' }, '2026-02-01T00:00:00Z'),
    svc('a', 'twin', [{ port: 1 }], { 'ingress.bramble.io/tcp-ports': '7002' }, '2026-02-01T00:00:00Z'),
    svc('a', 'twin2', [{ port: 1 }], { 'ingress.bramble.io/tcp-ports': '7002' }, '2026-02-01T00:00:00Z'),
    svc('a', 'lb', [{ port: 8883 }], undefined, '2026-01-01T00:00:00Z', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '192.168.1.10' }] } } }),
  ];
  const eps = index(services, []);
  const t = buildTable(cm({ '7000': 'a/old:1', '8883': 'a/old:1' }), services, eps, { nodeIP: '192.168.1.10' });
  assert.equal(t.routes.get(7000)?.source.kind, 'ConfigMap', 'the ConfigMap beats an annotation');
  assert.equal(t.routes.get(7001)?.service, 'old', 'the older Service wins');
  assert.equal(t.routes.get(7002)?.service, 'twin', 'same age: namespace/name decides');
  assert.deepEqual([...t.routes.keys()].sort(), [7000, 7001, 7002]);
  const losers = t.problems.map((p) => `${p.source.kind}:${p.source.name}:${p.message.split(':')[0]}`).sort();
  assert.deepEqual(losers, [
    'ConfigMap:bramble-tcp-services:port 8883 → a/old',
    'Service:old:port 10250 → a/old',
    'Service:old:port 30080 → a/old',
    'Service:old:port 443 → a/old',
    'Service:old:port 53 → a/old',
    'Service:old:port 6443 → a/old',
    'Service:old:port 80 → a/old',
    'Service:twin2:port 7002 → a/twin2',
    'Service:young:port 7000 → b/young',
    'Service:young:port 7001 → b/young',
  ]);
  assert.ok(t.problems.every((p) => p.reason === 'TCPRoutePortConflict'));
  // Deterministic: the same objects in another order give the same table.
  const again = buildTable(cm({ '8883': 'a/old:1', '7000': 'a/old:1' }), [...services].reverse(), eps, { nodeIP: '192.168.1.10' });
  assert.deepEqual([...again.routes.entries()].sort(), [...t.routes.entries()].sort());
  // Another node does not answer for the LoadBalancer address: 8883 is free there.
  assert.ok(buildTable(cm({ '8883': 'a/old:1' }), services, eps, { nodeIP: '192.168.1.11' }).routes.has(8883));
});

test('affinity: a client always gets the same endpoint; clients spread; removing one endpoint moves only its clients', () => {
  const eps: Endpoint[] = [1, 2, 3, 4].map((i) => ({ ip: `10.42.0.${i}`, port: 9000 }));
  const clients = Array.from({ length: 2000 }, (_, i) => `192.168.${i >> 8}.${i & 255}`);
  const before = new Map(clients.map((c) => [c, endpointKey(pick(c, eps)!)]));
  for (const c of clients.slice(0, 50)) assert.equal(endpointKey(pick(c, [...eps].reverse())!), before.get(c), 'order of endpoints does not matter');
  const counts = new Map<string, number>();
  for (const k of before.values()) counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const n of counts.values()) assert.ok(n > 380 && n < 620, `roughly even spread: ${[...counts.values()]}`);
  const gone = '10.42.0.3:9000';
  const fewer = eps.filter((e) => endpointKey(e) !== gone);
  let moved = 0;
  for (const c of clients) {
    const now = endpointKey(pick(c, fewer)!);
    if (before.get(c) === gone) moved++;
    else assert.equal(now, before.get(c), 'clients of other endpoints stay');
  }
  assert.equal(moved, counts.get(gone));
  // Adding an endpoint takes about 1/5 of clients, all of them to the new one.
  const more = [...eps, { ip: '10.42.0.9', port: 9000 }];
  let taken = 0;
  for (const c of clients) {
    const now = endpointKey(pick(c, more)!);
    if (now !== before.get(c)) {
      assert.equal(now, '10.42.0.9:9000');
      taken++;
    }
  }
  assert.ok(taken > 300 && taken < 520, `new endpoint took ${taken}`);
  assert.equal(pick('1.2.3.4', []), undefined);
  assert.deepEqual(rank('1.2.3.4', eps).length, 4);
});
