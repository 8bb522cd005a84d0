import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServiceRange, offsetOf, ipAt, staticBandSize } from './cidr.ts';
import { ServiceAllocator, heldBy } from './allocator.ts';
import type { Obj } from '../../registry/types.ts';

test('service ranges: usable addresses, static band, offsets', () => {
  const cases: { cidr: string; base: string; size: number; band: number }[] = [
    { cidr: '10.43.0.0/16', base: '10.43.0.1', size: 65534, band: 256 },
    { cidr: '10.43.7.9/24', base: '10.43.7.1', size: 254, band: 16 },
    { cidr: '192.168.1.0/28', base: '192.168.1.1', size: 14, band: 16 },
  ];
  for (const c of cases) {
    const r = parseServiceRange(c.cidr);
    assert.equal(ipAt(r, 0), c.base, c.cidr);
    assert.equal(r.size, c.size, c.cidr);
    assert.equal(r.staticBand, c.band, c.cidr);
  }
  const r = parseServiceRange('10.43.0.0/16');
  assert.equal(offsetOf(r, '10.43.0.0'), undefined, 'network address');
  assert.equal(offsetOf(r, '10.43.255.255'), undefined, 'broadcast');
  assert.equal(offsetOf(r, '10.43.255.254'), 65533);
  assert.equal(offsetOf(r, '10.44.0.1'), undefined);
  assert.equal(offsetOf(r, '010.43.0.1'), undefined);
  assert.equal(staticBandSize(2768, 16, 128, 32), 86, 'node port band of 30000-32767');
  assert.throws(() => parseServiceRange('fd00::/112'), /IPv4 CIDR/);
});

test('heldBy: cluster IPs (not None, not ExternalName), node ports, health check port', () => {
  const cases: [Obj, string[]][] = [
    [{ spec: { type: 'ClusterIP', clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5'] } }, ['ip:10.43.0.5']],
    [{ spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] } }, []],
    [{ spec: { type: 'ExternalName', externalName: 'x.example' } }, []],
    [
      { spec: { type: 'LoadBalancer', clusterIPs: ['10.43.0.6'], ports: [{ nodePort: 30001 }, { nodePort: 30002 }], healthCheckNodePort: 30003 } },
      ['ip:10.43.0.6', 'port:30001', 'port:30002', 'port:30003'],
    ],
  ];
  for (const [svc, want] of cases) assert.deepEqual(heldBy(svc), want);
});

function svc(ns: string, name: string, uid: string, spec: Obj): Obj {
  return { metadata: { namespace: ns, name, uid }, spec };
}

function allocator(stored: Obj[], extra: { now?: () => number; random?: () => number } = {}) {
  return new ServiceAllocator({ serviceCIDR: '10.43.0.0/16', nodePortRange: [30000, 30100], listServices: async () => stored, ...extra });
}

test('claims: in range, held by others, reserved kubernetes IP, own values on update', async () => {
  const stored = [svc('default', 'a', 'u1', { type: 'NodePort', clusterIPs: ['10.43.0.10'], ports: [{ nodePort: 30080 }] })];
  const a = allocator(stored);
  const other = { key: 'default/b', uid: 'u2' };
  const cases: { what: string; owner: typeof other; exclude: boolean; run: (t: any) => unknown; want: unknown }[] = [
    { what: 'free IP', owner: other, exclude: false, run: (t) => t.claimIP('10.43.0.11'), want: undefined },
    { what: 'IP held by another Service', owner: other, exclude: false, run: (t) => t.claimIP('10.43.0.10'), want: 'allocated' },
    { what: 'IP outside the range', owner: other, exclude: false, run: (t) => t.claimIP('10.0.0.1'), want: 'range' },
    { what: 'first IP is the kubernetes Service\'s', owner: other, exclude: false, run: (t) => t.claimIP('10.43.0.1'), want: 'allocated' },
    { what: 'kubernetes Service may have it', owner: { key: 'default/kubernetes', uid: 'k' }, exclude: false, run: (t) => t.claimIP('10.43.0.1'), want: undefined },
    { what: 'port held by another Service', owner: other, exclude: false, run: (t) => t.claimPort(30080), want: 'allocated' },
    { what: 'port outside the range', owner: other, exclude: false, run: (t) => t.claimPort(30101), want: 'range' },
    { what: 'an update keeps its own port', owner: { key: 'default/a', uid: 'u1' }, exclude: true, run: (t) => t.claimPort(30080), want: undefined },
    { what: 'a create of the same name does not', owner: { key: 'default/a', uid: 'u9' }, exclude: false, run: (t) => t.claimPort(30080), want: 'allocated' },
  ];
  for (const c of cases) {
    const got = await a.run(c.owner, { dryRun: true, excludeOwner: c.exclude }, c.run);
    assert.equal(got, c.want, c.what);
  }
});

test('dynamic allocation prefers the upper band and skips what is taken', async () => {
  const a = allocator([], { random: () => 0 });
  const owner = { key: 'ns/x', uid: 'x' };
  const [ip, port] = await a.run(owner, { dryRun: true, excludeOwner: false }, (t) => [t.nextIP(), t.nextPort()]);
  assert.equal(ip, '10.43.1.1', 'first address after the 256-address static band');
  assert.equal(port, 30016, 'node port static band of a 101-port range is 16');
  // A full upper band falls back to the static band, never to the kubernetes IP.
  const small = new ServiceAllocator({ serviceCIDR: '10.43.0.0/28', nodePortRange: [30000, 30001], listServices: async () => [], random: () => 0 });
  const got = await small.run(owner, { dryRun: true, excludeOwner: false }, (t) => {
    const out: (string | undefined)[] = [];
    for (let i = 0; i < 14; i++) out.push(t.nextIP());
    return out;
  });
  assert.equal(got.filter(Boolean).length, 13, 'every usable address but the reserved first one');
  assert.ok(!got.includes('10.43.0.1'));
  assert.equal(got[13], undefined, 'range full');
});

test('reservations: in-flight claims block others until stored or expired; dry runs reserve nothing', async () => {
  const stored: Obj[] = [];
  let now = 1000;
  const a = allocator(stored, { now: () => now });
  const first = { key: 'ns/first', uid: 'u1' };
  const second = { key: 'ns/second', uid: 'u2' };
  await a.run(second, { dryRun: true, excludeOwner: false }, (t) => t.claimPort(30050));
  assert.equal(a.pendingCount(), 0, 'dry run reserves nothing');
  await a.run(first, { dryRun: false, excludeOwner: false }, (t) => t.claimPort(30050));
  assert.equal(await a.run(second, { dryRun: true, excludeOwner: false }, (t) => t.claimPort(30050)), 'allocated', 'held while in flight');
  assert.equal(await a.run(first, { dryRun: true, excludeOwner: false }, (t) => t.claimPort(30050)), undefined, 'the same Service may retry');
  // Once storage shows it, the reservation ends and storage protects it.
  stored.push(svc('ns', 'first', 'u1', { type: 'NodePort', ports: [{ nodePort: 30050 }] }));
  await a.run(second, { dryRun: true, excludeOwner: false }, () => undefined);
  assert.equal(a.pendingCount(), 0);
  // A reservation whose write never landed expires.
  await a.run(first, { dryRun: false, excludeOwner: false }, (t) => t.claimPort(30051));
  now += 30_001;
  assert.equal(await a.run(second, { dryRun: true, excludeOwner: false }, (t) => t.claimPort(30051)), undefined);
});

test('concurrent transactions never hand out the same value', async () => {
  const stored: Obj[] = [];
  const a = allocator(stored, { random: () => 0 });
  const got = await Promise.all(
    Array.from({ length: 20 }, (_, i) => a.run({ key: `ns/s${i}`, uid: `u${i}` }, { dryRun: false, excludeOwner: false }, (t) => [t.nextIP(), t.nextPort()])),
  );
  assert.equal(new Set(got.map((g) => g[0])).size, 20);
  assert.equal(new Set(got.map((g) => g[1])).size, 20);
});

test('updateNeedsAllocation: only updates asking for something new reach the allocator', async () => {
  const { updateNeedsAllocation } = await import('./allocate.ts');
  const old = { type: 'NodePort', clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5'], ports: [{ port: 80, nodePort: 30001 }] };
  const cases: [string, Obj, Obj, boolean][] = [
    ['labels only (same spec)', old, old, false],
    ['to ClusterIP', old, { ...old, type: 'ClusterIP', ports: [{ port: 80 }] }, false],
    ['a new port without a node port', old, { ...old, ports: [{ port: 80, nodePort: 30001 }, { port: 81 }] }, true],
    ['another requested node port', old, { ...old, ports: [{ port: 80, nodePort: 30002 }] }, true],
    ['from ExternalName', { type: 'ExternalName' }, { type: 'ClusterIP', ports: [{ port: 80 }] }, true],
    ['to LoadBalancer/Local', old, { ...old, type: 'LoadBalancer', externalTrafficPolicy: 'Local' }, true],
    ['headless stays headless', { clusterIP: 'None', clusterIPs: ['None'] }, { clusterIP: 'None', clusterIPs: ['None'] }, false],
  ];
  for (const [what, o, n, want] of cases) assert.equal(updateNeedsAllocation(n, o), want, what);
});
