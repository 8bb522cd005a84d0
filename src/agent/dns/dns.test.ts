/**
 * Cluster DNS against an in-process registry: Services and EndpointSlices
 * made through the client, questions asked on loopback over real sockets,
 * with our own client and with Node's resolver (c-ares) as an independent one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { InProcessClient } from '../../client/in-process.ts';
import { resources, type Obj } from '../../client/types.ts';
import { openTestRegistry, systemUser } from '../../../test/harness/registry.ts';
import { query, type Address } from './client.ts';
import { startClusterDns, type ClusterDns } from './server.ts';
import { Class, Rcode, Type, emptyMessage, encode, decode, type Soa, type Srv } from './wire.ts';
import { ClusterRecords } from './records.ts';
import { ClusterZone } from './zone.ts';

let reg: Awaited<ReturnType<typeof openTestRegistry>>;
let client: InProcessClient;
let server: ClusterDns;
let upstream: ClusterDns;
let addr: Address;
let resolver: dns.promises.Resolver;
const stop = new AbortController();

function service(name: string, spec: Obj): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec };
}

function slice(name: string, svc: string, endpoints: Obj[], ports: Obj[]): Obj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

/** Polls until `fn` stops throwing (informer events arrive asynchronously). */
async function eventually(fn: () => Promise<void>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

before(async () => {
  reg = await openTestRegistry();
  client = new InProcessClient(reg.registry, systemUser);
  // A stand-in upstream resolver: another instance of our server, with its own (empty) cluster
  // under the domain `upstream.test`, so it answers only SOA/NS/NXDOMAIN for that name.
  upstream = await startClusterDns({ client, listen: [{ host: '127.0.0.1', port: 0 }], domain: 'upstream.test', upstreams: [], signal: stop.signal });
  await upstream.synced;
  server = await startClusterDns({
    client,
    listen: [{ host: '127.0.0.1', port: 0 }],
    upstreams: [`127.0.0.1:${upstream.ports[0]}`],
    signal: stop.signal,
  });
  await server.synced;
  addr = { host: '127.0.0.1', port: server.ports[0]! };
  resolver = new dns.promises.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${addr.port}`]);

  await client.create(resources.services, 'default', service('web', { clusterIP: '10.43.7.7', ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'dns', port: 53, protocol: 'UDP' }] }));
  await client.create(resources.services, 'default', service('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }));
  await client.create(resources.services, 'default', service('ext', { type: 'ExternalName', externalName: 'example.org' }));
  await client.create(
    resources.endpointslices,
    'default',
    slice(
      'db-abc',
      'db',
      [
        { addresses: ['10.42.1.5'], hostname: 'db-0', conditions: { ready: true } },
        { addresses: ['10.42.2.6'], hostname: 'db-1', conditions: { ready: true } },
        { addresses: ['10.42.3.7'], hostname: 'db-2', conditions: { ready: false } },
      ],
      [{ name: 'pg', port: 5433, protocol: 'TCP' }],
    ),
  );
  await eventually(async () => assert.equal((await query(addr, 'db.default.svc.cluster.local.', Type.A)).answers.length, 2));
});

after(async () => {
  stop.abort();
  await server?.close();
  await upstream?.close();
  await reg?.close();
});

test('A for a ClusterIP service, TTL 5, authoritative', async () => {
  const r = await query(addr, 'web.default.svc.cluster.local.', Type.A);
  assert.equal(r.rcode, Rcode.NOERROR);
  assert.equal(r.aa, true);
  assert.deepEqual(r.answers.map((a) => [a.data, a.ttl]), [['10.43.7.7', 5]]);
  // Node's resolver (c-ares), as an independent reading of our bytes.
  assert.deepEqual(await resolver.resolve4('web.default.svc.cluster.local'), ['10.43.7.7']);
  assert.deepEqual(await resolver.resolve4('WEB.Default.SVC.cluster.local'), ['10.43.7.7']);
});

test('AAAA for a v4-only service is NODATA with the SOA', async () => {
  const r = await query(addr, 'web.default.svc.cluster.local.', Type.AAAA);
  assert.equal(r.rcode, Rcode.NOERROR);
  assert.equal(r.answers.length, 0);
  assert.equal(r.authority[0]?.type, Type.SOA);
  await assert.rejects(resolver.resolve6('web.default.svc.cluster.local'), { code: 'ENODATA' });
});

test('a missing service is NXDOMAIN with the SOA', async () => {
  const r = await query(addr, 'nope.default.svc.cluster.local.', Type.A);
  assert.equal(r.rcode, Rcode.NXDOMAIN);
  assert.equal(r.aa, true);
  assert.equal(r.authority.length, 1);
  const soa = r.authority[0]!;
  assert.equal(soa.type, Type.SOA);
  assert.equal(soa.name, 'cluster.local.');
  assert.equal((soa.data as Soa).minimum, 5);
  await assert.rejects(resolver.resolve4('nope.default.svc.cluster.local'), { code: 'ENOTFOUND' });
  // Search-list expansions of an outside name end here too, and must be NXDOMAIN, not NODATA.
  assert.equal((await query(addr, 'example.com.default.svc.cluster.local.', Type.A)).rcode, Rcode.NXDOMAIN);
  assert.equal((await query(addr, 'nons.svc.cluster.local.', Type.A)).rcode, Rcode.NXDOMAIN);
  assert.equal((await query(addr, 'default.svc.cluster.local.', Type.A)).rcode, Rcode.NOERROR);
});

test('headless service: ready endpoint IPs, following readiness', async () => {
  assert.deepEqual((await resolver.resolve4('db.default.svc.cluster.local')).sort(), ['10.42.1.5', '10.42.2.6']);
  assert.deepEqual(await resolver.resolve4('db-1.db.default.svc.cluster.local'), ['10.42.2.6']);
  assert.equal((await query(addr, 'db-2.db.default.svc.cluster.local.', Type.A)).rcode, Rcode.NXDOMAIN);

  const cur = await client.get(resources.endpointslices, 'default', 'db-abc');
  cur['endpoints'][0].conditions.ready = false;
  cur['endpoints'][2].conditions.ready = true;
  await client.update(resources.endpointslices, 'default', cur);
  await eventually(async () => assert.deepEqual((await resolver.resolve4('db.default.svc.cluster.local')).sort(), ['10.42.2.6', '10.42.3.7']));
  assert.equal((await query(addr, 'db-0.db.default.svc.cluster.local.', Type.A)).rcode, Rcode.NXDOMAIN);
  assert.deepEqual(await resolver.resolve4('db-2.db.default.svc.cluster.local'), ['10.42.3.7']);

  cur['endpoints'] = cur['endpoints'].map((e: Obj) => ({ ...e, conditions: { ready: true } }));
  const fresh = await client.get(resources.endpointslices, 'default', 'db-abc');
  fresh['endpoints'] = cur['endpoints'];
  await client.update(resources.endpointslices, 'default', fresh);
  await eventually(async () => assert.equal((await resolver.resolve4('db.default.svc.cluster.local')).length, 3));
});

test('SRV for a named port: ClusterIP and headless', async () => {
  const srv = (await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local')).map(({ name, port, priority, weight }) => ({ name, port, priority, weight }));
  assert.deepEqual(srv, [{ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
  const udp = await query(addr, '_dns._udp.web.default.svc.cluster.local.', Type.SRV);
  assert.deepEqual((udp.answers[0]!.data as Srv).port, 53);
  assert.equal(udp.additional[0]?.data, '10.43.7.7');
  // Wrong protocol or unknown port name: the name does not exist.
  assert.equal((await query(addr, '_http._udp.web.default.svc.cluster.local.', Type.SRV)).rcode, Rcode.NXDOMAIN);
  assert.equal((await query(addr, '_nope._tcp.web.default.svc.cluster.local.', Type.SRV)).rcode, Rcode.NXDOMAIN);

  await eventually(async () => assert.equal((await resolver.resolveSrv('_pg._tcp.db.default.svc.cluster.local')).length, 3));
  const h = (await resolver.resolveSrv('_pg._tcp.db.default.svc.cluster.local')).map((s) => `${s.name}:${s.port}`).sort();
  assert.deepEqual(h, ['db-0.db.default.svc.cluster.local:5433', 'db-1.db.default.svc.cluster.local:5433', 'db-2.db.default.svc.cluster.local:5433']);
});

test('PTR for a ClusterIP and a headless endpoint; ExternalName is a CNAME', async () => {
  assert.deepEqual(await resolver.reverse('10.43.7.7'), ['web.default.svc.cluster.local']);
  assert.deepEqual(await resolver.reverse('10.42.2.6'), ['db-1.db.default.svc.cluster.local']);
  const r = await query(addr, 'ext.default.svc.cluster.local.', Type.A);
  assert.deepEqual(r.answers.map((a) => [a.type, a.data]), [[Type.CNAME, 'example.org.']]);
});

test('pod A records from the dashed address', async () => {
  assert.deepEqual(await resolver.resolve4('10-42-1-9.default.pod.cluster.local'), ['10.42.1.9']);
  const r = await query(addr, 'fd00--5.default.pod.cluster.local.', Type.AAAA);
  assert.equal(r.answers[0]?.data, 'fd00::5');
  assert.equal((await query(addr, 'not-an-ip.default.pod.cluster.local.', Type.A)).rcode, Rcode.NXDOMAIN);
});

test('names outside the cluster are forwarded upstream and the reply relayed', async () => {
  // Only the upstream knows `upstream.test`: its SOA comes back through us, not authoritative from us.
  const r = await query(addr, 'upstream.test.', Type.SOA);
  assert.equal(r.rcode, Rcode.NOERROR);
  assert.equal(r.answers[0]?.type, Type.SOA);
  assert.equal((r.answers[0]!.data as Soa).mname, 'ns.dns.upstream.test.');
  const nx = await query(addr, 'x.upstream.test.', Type.A);
  assert.equal(nx.rcode, Rcode.NXDOMAIN);
  assert.equal(nx.authority[0]?.name, 'upstream.test.');
  // Over TCP too.
  assert.equal((await query(addr, 'upstream.test.', Type.NS, { tcp: true })).answers[0]?.data, 'ns.dns.upstream.test.');
  // Reverse names we do not own fall through to the upstream, which has no answer: SERVFAIL from it.
  assert.equal((await query(addr, '1.1.168.192.in-addr.arpa.', Type.PTR)).rcode, Rcode.SERVFAIL);
});

test('an unreachable upstream gives SERVFAIL after the timeout', async () => {
  const dead = await startClusterDns({ client, listen: [{ host: '127.0.0.1', port: 0 }], upstreams: ['127.0.0.1:9'], forwardTimeoutMs: 300, signal: stop.signal });
  try {
    await dead.synced;
    const t0 = Date.now();
    const r = await query({ host: '127.0.0.1', port: dead.ports[0]! }, 'example.com.', Type.A, { timeoutMs: 3000 });
    assert.equal(r.rcode, Rcode.SERVFAIL);
    assert.ok(Date.now() - t0 < 2000);
  } finally {
    await dead.close();
  }
});

test('TCP queries, several on one connection', async () => {
  const r = await query(addr, 'web.default.svc.cluster.local.', Type.A, { tcp: true });
  assert.deepEqual(r.answers.map((a) => a.data), ['10.43.7.7']);
  // Two pipelined queries in one write, answered on the same connection.
  const net = await import('node:net');
  const frame = (id: number, name: string): Buffer => {
    const b = encode(emptyMessage({ id, questions: [{ name, type: Type.A, class: Class.IN }] }));
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const replies = await new Promise<number[]>((resolve, reject) => {
    const c = net.connect(addr.port, addr.host, () => c.write(Buffer.concat([frame(1, 'web.default.svc.cluster.local.'), frame(2, 'nope.default.svc.cluster.local.')])));
    let buf = Buffer.alloc(0);
    const got: number[] = [];
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const m = decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        got[m.id] = m.rcode;
      }
      if (got[1] !== undefined && got[2] !== undefined) {
        c.destroy();
        resolve(got);
      }
    });
    c.on('error', reject);
  });
  assert.equal(replies[1], Rcode.NOERROR);
  assert.equal(replies[2], Rcode.NXDOMAIN);
});

test('large answers are truncated over UDP (TC) and complete over TCP; EDNS raises the limit', async () => {
  const endpoints = Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.42.9.${i + 1}`], conditions: { ready: true } }));
  await client.create(resources.services, 'default', service('many', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] }));
  await client.create(resources.endpointslices, 'default', slice('many-x', 'many', endpoints, [{ name: 'http', port: 80, protocol: 'TCP' }]));
  await eventually(async () => assert.equal((await query(addr, 'many.default.svc.cluster.local.', Type.A, { tcp: true })).answers.length, 60));
  const udp = await query(addr, 'many.default.svc.cluster.local.', Type.A);
  assert.equal(udp.tc, true);
  assert.ok(udp.answers.length < 60);
  const edns = await query(addr, 'many.default.svc.cluster.local.', Type.A, { ednsUdpSize: 1232 });
  assert.equal(edns.tc, false);
  assert.equal(edns.answers.length, 60);
  assert.equal(edns.edns?.udpSize, 1232);
  // c-ares retries a truncated reply over TCP on its own and gets everything.
  assert.equal((await resolver.resolve4('many.default.svc.cluster.local')).length, 60);
  // Dashed-IP names stand for endpoints without a hostname.
  assert.deepEqual(await resolver.resolve4('10-42-9-3.many.default.svc.cluster.local'), ['10.42.9.3']);
});

test('deleting a service removes its names and reverse names', async () => {
  await client.create(resources.services, 'default', service('gone', { clusterIP: '10.43.7.9', ports: [{ port: 80 }] }));
  await eventually(async () => assert.deepEqual(await resolver.resolve4('gone.default.svc.cluster.local'), ['10.43.7.9']));
  await client.delete(resources.services, 'default', 'gone');
  await eventually(async () => assert.equal((await query(addr, 'gone.default.svc.cluster.local.', Type.A)).rcode, Rcode.NXDOMAIN));
  // 10.43.7.9 is no longer ours: forwarded, and the stand-in upstream has nothing.
  assert.equal((await query(addr, '9.7.43.10.in-addr.arpa.', Type.PTR)).rcode, Rcode.SERVFAIL);
});

test('another cluster domain; malformed and non-query messages', async () => {
  const records = new ClusterRecords();
  records.upsertService(service('a', { clusterIP: '10.43.0.1', ports: [] }));
  const zone = new ClusterZone(records, 'corp.internal');
  assert.equal(zone.answer('a.default.svc.corp.internal.', Type.A)?.answers[0]?.data, '10.43.0.1');
  assert.equal(zone.answer('a.default.svc.cluster.local.', Type.A), undefined);

  const dgram = await import('node:dgram');
  const ask = (b: Buffer) =>
    new Promise<Buffer>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.on('message', (m) => {
        s.close();
        resolve(m);
      });
      s.send(b, addr.port, addr.host);
    });
  const garbage = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 50, 1]);
  const fe = decode(await ask(garbage));
  assert.equal(fe.id, 0xabcd);
  assert.equal(fe.rcode, Rcode.FORMERR);
  const notify = decode(await ask(encode(emptyMessage({ id: 7, opcode: 4, questions: [{ name: 'cluster.local.', type: Type.SOA, class: Class.IN }] }))));
  assert.equal(notify.rcode, Rcode.NOTIMP);
});

test('shared informers: answers from the agent’s InformerFactory, which its owner starts', async () => {
  const { InformerFactory } = await import('../../client/informer.ts');
  const factory = new InformerFactory(client);
  const own = new AbortController();
  const shared = await startClusterDns({ client, listen: [{ host: '127.0.0.1', port: 0 }], upstreams: [], informers: factory, signal: own.signal });
  try {
    const at = { host: '127.0.0.1', port: shared.ports[0]! };
    // Not started yet: cluster names are SERVFAIL, not a cached-forever NXDOMAIN.
    assert.equal((await query(at, 'web.default.svc.cluster.local.', Type.A)).rcode, Rcode.SERVFAIL);
    factory.start(own.signal);
    await shared.synced;
    assert.equal((await query(at, 'web.default.svc.cluster.local.', Type.A)).answers[0]?.data, '10.43.7.7');
  } finally {
    await shared.close();
    own.abort();
    await factory.stopped();
  }
});
