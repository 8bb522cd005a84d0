/**
 * The etcd backend against a real etcd (/usr/bin/etcd): the shared
 * conformance suite on one single-member etcd started once for the file
 * (each backend gets its own key prefix and counts revisions from its
 * open, so it starts as an empty store), plus TLS with client
 * certificates, membership changes on a real two-member cluster, and
 * behaviour when etcd goes away. Every etcd started here is stopped by
 * its pid, and every temp dir removed, in `after`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEtcd, type EtcdProcess, type EtcdProcessOptions } from '../../cluster/etcd/process.ts';
import { createCA, issueCertificate } from '../../cluster/pki/x509.ts';
import { runBackendSuite } from '../backend.suite.ts';
import { isStorageError } from '../backend.ts';
import { rejectsWith, WatchReader } from '../suite/helpers.ts';
import { openEtcdBackend } from './etcd.ts';
import { freePort, loopbackEtcd } from '../../../test/harness/etcd.ts';
import { memberAdd, memberList, memberRemove } from './members.ts';

const haveEtcd = existsSync('/usr/bin/etcd');
const dirs: string[] = [];
const procs: EtcdProcess[] = [];

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bramble-etcd-'));
  dirs.push(d);
  return d;
}


/** A single-member etcd on loopback with ephemeral ports (plain http unless `tls`). */
async function oneEtcd(extra: Partial<EtcdProcessOptions> = {}, scheme = 'http'): Promise<{ proc: EtcdProcess; endpoint: string; dir: string }> {
  const dir = tempDir();
  const { opts, endpoint } = await loopbackEtcd(`m${await freePort()}`, dir, scheme);
  const proc = await startEtcd({ ...opts, progressNotifyIntervalMs: 200, ...extra });
  procs.push(proc);
  return { proc, endpoint, dir };
}

let shared: string | undefined;

describe('etcd backend', { skip: !haveEtcd && 'no /usr/bin/etcd' }, () => {
  before(async () => {
    shared = (await oneEtcd()).endpoint;
  });

  runBackendSuite('etcd', () => openEtcdBackend({ endpoint: shared!, prefix: `/t-${randomBytes(6).toString('hex')}`, relativeRevisions: true }));

  it('without relativeRevisions, revisions are etcd’s own and a prefix hides other keys', async () => {
    const a = await openEtcdBackend({ endpoint: shared!, prefix: '/iso-a' });
    const b = await openEtcdBackend({ endpoint: shared!, prefix: '/iso-b' });
    try {
      const ca = await a.create('/k', 'a');
      assert.ok(ca.ok);
      assert.equal(await b.currentRevision(), ca.kv.modRevision);
      assert.deepEqual((await b.list('')).kvs, []);
      assert.deepEqual((await a.list('')).kvs.map((kv) => kv.key), ['/k']);
      // Compaction is store-wide, and the other backend finds out by probing.
      const cb = await b.create('/k', 'b');
      assert.ok(cb.ok);
      assert.equal(await a.compact(cb.kv.modRevision), cb.kv.modRevision);
      // b did not compact, yet refuses a watch from just below the compacted revision (etcd would allow it).
      const w = new WatchReader(b.watch('', { afterRevision: cb.kv.modRevision - 1 }));
      assert.equal((await rejectsWith(w.next(), 'COMPACTED')).compactedRevision, cb.kv.modRevision);
      assert.equal(await b.compactedRevision(), cb.kv.modRevision);
      // etcd's request limit (1.5 MiB by default) is a shape error, not an outage: callers must not retry it.
      await rejectsWith(a.create('/huge', 'x'.repeat(2 << 20)), 'NOT_SUPPORTED');
      const e = await rejectsWith(b.get('/k', { revision: ca.kv.modRevision }), 'COMPACTED');
      assert.equal(e.compactedRevision, cb.kv.modRevision);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('etcd over TLS with client certificates', { skip: !haveEtcd && 'no /usr/bin/etcd' }, () => {
  it('serves the backend; a client without a certificate is refused', { timeout: 60_000 }, async () => {
    const pki = tempDir();
    const ca = createCA({ commonName: 'etcd-ca', validityDays: 2 });
    const server = issueCertificate(ca, { commonName: 'etcd', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'], usage: 'server+client', validityDays: 2 });
    const client = issueCertificate(ca, { commonName: 'bramble', usage: 'client', validityDays: 2 });
    const f = (n: string, text: string) => {
      writeFileSync(join(pki, n), text, { mode: 0o600 });
      return join(pki, n);
    };
    const caFile = f('ca.crt', ca.certPem);
    const certFile = f('server.crt', server.certPem);
    const keyFile = f('server.key', server.keyPem);
    const { endpoint } = await oneEtcd({ tls: { caFile, certFile, keyFile, peerCaFile: caFile, peerCertFile: certFile, peerKeyFile: keyFile } }, 'https');
    const b = await openEtcdBackend({ endpoint, tls: { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem } });
    try {
      const c = await b.create('/tls', 'yes');
      assert.ok(c.ok);
      assert.equal((await b.get('/tls')).kv?.value, 'yes');
    } finally {
      await b.close();
    }
    // A certificate from another CA is refused by etcd.
    const other = createCA({ commonName: 'other', validityDays: 2 });
    const stranger = issueCertificate(other, { commonName: 'stranger', usage: 'client', validityDays: 2 });
    await assert.rejects(
      openEtcdBackend({ endpoint, tls: { caPem: ca.certPem, certPem: stranger.certPem, keyPem: stranger.keyPem }, connectTimeoutMs: 1500 }),
      (e) => isStorageError(e, 'UNAVAILABLE'),
    );
  });
});

describe('etcd membership', { skip: !haveEtcd && 'no /usr/bin/etcd' }, () => {
  it('lists, adds (a member that then starts and joins) and removes members', { timeout: 90_000 }, async () => {
    const first = await oneEtcd();
    const o = { endpoint: first.endpoint };
    const before = await memberList(o);
    assert.equal(before.length, 1);
    assert.match(before[0]!.id, /^[0-9]+$/);
    assert.deepEqual(before[0]!.clientURLs, [first.endpoint]);
    const firstPeer = before[0]!.peerURLs[0]!;

    const [client, peer] = [await freePort(), await freePort()];
    const peerUrl = `http://127.0.0.1:${peer}`;
    const { added, members } = await memberAdd(o, [peerUrl]);
    assert.deepEqual(added.peerURLs, [peerUrl]);
    assert.equal(members.length, 2);
    const dir = tempDir();
    const second = await startEtcd({
      name: 'second',
      dataDir: join(dir, 'data'),
      listenClientUrls: [`http://127.0.0.1:${client}`],
      advertiseClientUrls: [`http://127.0.0.1:${client}`],
      listenPeerUrls: [peerUrl],
      initialAdvertisePeerUrls: [peerUrl],
      initialCluster: `${before[0]!.name}=${firstPeer},second=${peerUrl}`,
      initialClusterState: 'existing',
      logFile: join(dir, 'etcd.log'),
    });
    procs.push(second);
    const joined = await memberList({ endpoint: `http://127.0.0.1:${client}` });
    assert.deepEqual(joined.map((m) => m.name).sort(), [before[0]!.name, 'second'].sort());
    assert.ok(joined.some((m) => m.id === added.id));

    // Data written through one member is read through the other.
    const b1 = await openEtcdBackend({ endpoint: first.endpoint });
    const b2 = await openEtcdBackend({ endpoint: `http://127.0.0.1:${client}` });
    try {
      const c = await b1.create('/ha', 'both');
      assert.ok(c.ok);
      assert.deepEqual((await b2.get('/ha')).kv, c.kv);
    } finally {
      await b1.close();
      await b2.close();
    }

    await memberRemove(o, added.id);
    assert.deepEqual((await memberList(o)).map((m) => m.id), [before[0]!.id]);
    // A removed member shuts itself down.
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([second.exited, new Promise((r) => (timer = setTimeout(() => r('still running'), 20_000)))]);
    clearTimeout(timer);
    assert.notEqual(code, 'still running');
  });
});

describe('etcd going away', { skip: !haveEtcd && 'no /usr/bin/etcd' }, () => {
  it('ends watches with UNAVAILABLE and fails calls with UNAVAILABLE instead of hanging', { timeout: 60_000 }, async () => {
    const { proc, endpoint } = await oneEtcd();
    const b = await openEtcdBackend({ endpoint, timeoutMs: 2000 });
    const w = new WatchReader(b.watch('/x/', { afterRevision: 0 }));
    try {
      assert.ok((await b.create('/x/1', 'v')).ok);
      assert.equal((await w.events(1))[0]!.kv.key, '/x/1');
      await proc.stop();
      await rejectsWith(w.next(5000), 'UNAVAILABLE');
      const t0 = Date.now();
      await rejectsWith(b.get('/x/1'), 'UNAVAILABLE');
      assert.ok(Date.now() - t0 < 5000);
    } finally {
      await w.close();
      await b.close();
    }
  });

  it('notices a frozen etcd (SIGSTOP) through keepalive pings and deadlines', { timeout: 60_000 }, async () => {
    const { proc, endpoint } = await oneEtcd();
    const b = await openEtcdBackend({ endpoint, timeoutMs: 1500, keepaliveMs: 500 });
    const w = new WatchReader(b.watch('/x/', { afterRevision: 0 }));
    try {
      assert.ok((await b.create('/x/1', 'v')).ok);
      assert.equal((await w.events(1))[0]!.kv.key, '/x/1');
      process.kill(proc.pid, 'SIGSTOP');
      const t0 = Date.now();
      await rejectsWith(w.next(5000), 'UNAVAILABLE');
      assert.ok(Date.now() - t0 < 3000, `the watch ended after ${Date.now() - t0} ms`);
      await rejectsWith(b.get('/x/1'), 'UNAVAILABLE');
      process.kill(proc.pid, 'SIGCONT');
      // Back again: new calls and watches work on a new connection.
      assert.equal((await b.get('/x/1')).kv?.value, 'v');
    } finally {
      try {
        process.kill(proc.pid, 'SIGCONT');
      } catch {
        // already gone
      }
      await w.close();
      await b.close();
    }
  });
});
