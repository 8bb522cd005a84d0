import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { ClusterRecords } from './records.ts';
import { ClusterZone, reverseToIp } from './zone.ts';
import { Rcode, Type, type Srv } from './wire.ts';

const svc = (name: string, spec: Obj, ns = 'default'): Obj => ({ metadata: { name, namespace: ns, resourceVersion: '1' }, spec });
const slice = (name: string, service: string, endpoints: Obj[], ports: Obj[] = [], ns = 'default'): Obj => ({
  metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
  endpoints,
  ports,
});

test('dual-stack ClusterIP: A and AAAA; PTR from in-addr.arpa and ip6.arpa', () => {
  const r = new ClusterRecords();
  r.upsertService(svc('dual', { clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20', 'fd00:43::14'], ports: [{ name: 'http', port: 80 }] }));
  const z = new ClusterZone(r, 'cluster.local');
  assert.deepEqual(z.answer('dual.default.svc.cluster.local.', Type.A)!.answers.map((a) => a.data), ['10.43.0.20']);
  assert.deepEqual(z.answer('dual.default.svc.cluster.local.', Type.AAAA)!.answers.map((a) => a.data), ['fd00:43::14']);
  assert.equal(reverseToIp('20.0.43.10.in-addr.arpa'), '10.43.0.20');
  const v6 = '4.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.4.0.0.0.0.d.f.ip6.arpa.';
  assert.deepEqual(z.answer(v6, Type.PTR)!.answers.map((a) => a.data), ['dual.default.svc.cluster.local.']);
  assert.equal(z.answer('99.0.43.10.in-addr.arpa.', Type.PTR), undefined, 'not ours: forwarded');
  assert.equal(z.answer('example.com.', Type.A), undefined);
});

test('headless: no ready endpoints is NXDOMAIN; slices moving between services and going away', () => {
  const r = new ClusterRecords();
  r.upsertService(svc('h', { clusterIP: 'None', ports: [{ name: 'p', port: 1 }] }));
  r.upsertService(svc('g', { clusterIP: 'None', ports: [{ name: 'p', port: 1 }] }));
  const z = new ClusterZone(r, 'cluster.local');
  assert.equal(z.answer('h.default.svc.cluster.local.', Type.A)!.rcode, Rcode.NXDOMAIN);
  r.upsertSlice(slice('s1', 'h', [{ addresses: ['10.42.0.1'] }, { addresses: ['10.42.0.2'], conditions: { ready: false } }]));
  assert.deepEqual(z.answer('h.default.svc.cluster.local.', Type.A)!.answers.map((a) => a.data), ['10.42.0.1'], 'unset ready counts as ready');
  assert.deepEqual(z.answer('1.0.42.10.in-addr.arpa.', Type.PTR)!.answers.map((a) => a.data), ['10-42-0-1.h.default.svc.cluster.local.']);
  // The same slice now labelled for g.
  r.upsertSlice(slice('s1', 'g', [{ addresses: ['10.42.0.1'] }]));
  assert.equal(z.answer('h.default.svc.cluster.local.', Type.A)!.rcode, Rcode.NXDOMAIN);
  assert.equal(z.answer('g.default.svc.cluster.local.', Type.A)!.answers.length, 1);
  assert.deepEqual(z.answer('1.0.42.10.in-addr.arpa.', Type.PTR)!.answers.map((a) => a.data), ['10-42-0-1.g.default.svc.cluster.local.']);
  r.deleteSlice(slice('s1', 'g', []));
  assert.equal(z.answer('g.default.svc.cluster.local.', Type.A)!.rcode, Rcode.NXDOMAIN);
  assert.equal(z.answer('1.0.42.10.in-addr.arpa.', Type.PTR), undefined);
});

test('SRV: plain query on the service gets every port; names that match nothing are NXDOMAIN; A on an SRV name is NODATA', () => {
  const r = new ClusterRecords();
  r.upsertService(svc('m', { clusterIP: '10.43.0.30', ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }] }));
  const z = new ClusterZone(r, 'cluster.local');
  const all = z.answer('m.default.svc.cluster.local.', Type.SRV)!;
  assert.deepEqual(all.answers.map((a) => (a.data as Srv).port), [80, 9090]);
  assert.equal(all.additional[0]?.data, '10.43.0.30');
  assert.equal(z.answer('_METRICS._TCP.m.default.svc.cluster.local.', Type.SRV)!.answers.length, 1, 'case-insensitive');
  assert.equal(z.answer('_metrics._udp.m.default.svc.cluster.local.', Type.SRV)!.rcode, Rcode.NXDOMAIN);
  const a = z.answer('_http._tcp.m.default.svc.cluster.local.', Type.A)!;
  assert.equal(a.rcode, Rcode.NOERROR);
  assert.equal(a.answers.length, 0);
  assert.equal(a.authority[0]?.type, Type.SOA);
});

test('zone apex, empty non-terminals, unknown subzones, other domains', () => {
  const r = new ClusterRecords();
  r.upsertService(svc('x', { clusterIP: '10.43.0.40', ports: [{ port: 80 }] }, 'team'));
  const z = new ClusterZone(r, 'Cluster.Local.');
  assert.equal(z.answer('cluster.local.', Type.SOA)!.answers[0]?.type, Type.SOA);
  assert.equal(z.answer('cluster.local.', Type.NS)!.answers[0]?.data, 'ns.dns.cluster.local.');
  assert.equal(z.answer('cluster.local.', Type.A)!.rcode, Rcode.NOERROR);
  assert.equal(z.answer('svc.cluster.local.', Type.A)!.rcode, Rcode.NOERROR);
  assert.equal(z.answer('team.svc.cluster.local.', Type.A)!.rcode, Rcode.NOERROR);
  assert.equal(z.answer('other.svc.cluster.local.', Type.A)!.rcode, Rcode.NXDOMAIN);
  assert.equal(z.answer('foo.cluster.local.', Type.A)!.rcode, Rcode.NXDOMAIN);
  assert.equal(z.answer('a.b.x.team.svc.cluster.local.', Type.A)!.rcode, Rcode.NXDOMAIN);
  assert.equal(z.answer('x.team.svc.cluster.local.', Type.A)!.answers[0]?.data, '10.43.0.40');
  r.deleteService(svc('x', {}, 'team'));
  assert.equal(z.answer('team.svc.cluster.local.', Type.A)!.rcode, Rcode.NXDOMAIN);
  assert.equal(z.answer('40.0.43.10.in-addr.arpa.', Type.PTR), undefined);
});
