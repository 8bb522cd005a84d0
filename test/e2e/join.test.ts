/**
 * Joining with a token and what a node credential may do, against a real
 * server: the K10 token pins the CA; a wrong token or a CA that does not
 * match is refused; node credentials write only their own Node, Lease and
 * pods and read only secrets their pods use (403 otherwise).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isApiError } from '../../src/api/errors.ts';
import { HttpClient } from '../../src/client/http.ts';
import { resources } from '../../src/client/types.ts';
import { joinCluster, JoinError } from '../../src/cluster/join/join.ts';
import { fetchServerBootstrap } from '../../src/cluster/etcd/bootstrap.ts';
import { brambleBin, startServer, type TestServer } from '../harness/server.ts';

let srv: TestServer;
let admin: HttpClient;
let token: string;
let url: string;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-agent-'));

before(async () => {
  srv = await startServer();
  admin = HttpClient.fromKubeconfig(srv.kubeconfig);
  token = fs.readFileSync(path.join(srv.dataDir, 'server', 'node-token'), 'utf8').trim();
  url = `https://127.0.0.1:${srv.port}`;
});
after(async () => {
  admin?.close();
  await srv?.stop();
});

const node = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
});
const forbidden = (e: unknown) => isApiError(e, 'Forbidden');

describe('join tokens', () => {
  it('writes a K10 node-token that pins the server CA, mode 0600', () => {
    const file = path.join(srv.dataDir, 'server', 'node-token');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const ca = fs.readFileSync(path.join(srv.dataDir, 'server', 'tls', 'server-ca.crt'));
    const m = /^K10([0-9a-f]{64})::server:([0-9a-f]{32})$/.exec(token);
    assert.ok(m, token);
    assert.equal(m[1], createHash('sha256').update(ca).digest('hex'));
  });

  it('refuses a wrong secret', async () => {
    const bad = token.replace(/:[0-9a-f]+$/, ':' + 'f'.repeat(32));
    await assert.rejects(joinCluster({ server: url, token: bad, nodeName: 'n-bad', dataDir: tmp() }), (e) => e instanceof JoinError && /refused the join token/.test(e.message));
  });

  it('refuses a server whose CA does not match the token, before sending the secret', async () => {
    const other = 'K10' + '0'.repeat(64) + '::server:' + token.split(':').pop();
    await assert.rejects(joinCluster({ server: url, token: other, nodeName: 'n-mitm', dataDir: tmp() }), (e) => e instanceof JoinError && /does not match the token/.test(e.message));
    // The secret never reached the server: no password was recorded for that node.
    await assert.rejects(admin.get(resources.secrets, 'kube-system', 'n-mitm.node-password.bramble'), (e) => isApiError(e, 'NotFound'));
  });
});

describe('server bootstrap (a server joining an HA cluster)', () => {
  it('a single server on SQLite has no CAs to share: a joining server is told why, and writes nothing', async () => {
    const dataDir = tmp();
    await assert.rejects(fetchServerBootstrap({ server: url, token, dataDir }), (e) => e instanceof JoinError && /not an HA server/.test(e.message));
    assert.equal(fs.existsSync(path.join(dataDir, 'server', 'tls', 'server-ca.key')), false);
  });

  it('refuses a wrong token and a CA that does not match it', async () => {
    const bad = token.replace(/:[0-9a-f]+$/, ':' + 'f'.repeat(32));
    await assert.rejects(fetchServerBootstrap({ server: url, token: bad, dataDir: tmp() }), (e) => e instanceof JoinError && /refused the token/.test(e.message));
    const other = 'K10' + '0'.repeat(64) + '::server:' + token.split(':').pop();
    await assert.rejects(fetchServerBootstrap({ server: url, token: other, dataDir: tmp() }), (e) => e instanceof JoinError && /does not match the token/.test(e.message));
  });
});

describe('node credentials', () => {
  let n1: HttpClient;
  let dir: string;
  before(async () => {
    dir = tmp();
    const creds = await joinCluster({ server: url, token, nodeName: 'board-1', dataDir: dir });
    n1 = new HttpClient(creds, 'system:node:board-1');
    await admin.create(resources.nodes, '', node('board-2'));
  });
  after(() => n1?.close());

  it('registers and updates its own Node and Lease', async () => {
    const created = await n1.create(resources.nodes, '', node('board-1'));
    assert.equal(created['metadata'].name, 'board-1');
    await n1.patch(resources.nodes, '', 'board-1', 'merge', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } }, { subresource: 'status' });
    await n1.create(resources.leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'board-1' }, spec: { holderIdentity: 'board-1' } });
    assert.equal((await n1.list(resources.nodes, '')).items.length >= 2, true, 'nodes are readable');
  });

  it('cannot touch another node or its lease', async () => {
    await assert.rejects(n1.delete(resources.nodes, '', 'board-2'), forbidden);
    await assert.rejects(n1.patch(resources.nodes, '', 'board-2', 'merge', { metadata: { labels: { x: 'y' } } }), forbidden);
    await assert.rejects(n1.create(resources.nodes, '', node('board-3')), forbidden);
    await assert.rejects(
      n1.create(resources.leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'board-2' }, spec: {} }),
      forbidden,
    );
  });

  it('reads only the secrets its pods use', async () => {
    await admin.create(resources.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'used' }, stringData: { k: 'v' } });
    await admin.create(resources.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'private' }, stringData: { k: 'v' } });
    await admin.create(resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'mine' },
      spec: { nodeName: 'board-1', containers: [{ name: 'c', image: 'busybox', envFrom: [{ secretRef: { name: 'used' } }] }] },
    });
    assert.equal((await n1.get(resources.secrets, 'default', 'used'))['metadata'].name, 'used');
    await assert.rejects(n1.get(resources.secrets, 'default', 'private'), forbidden);
    await assert.rejects(n1.list(resources.secrets, 'default'), forbidden);
    const byName = await n1.list(resources.secrets, 'default', { fieldSelector: 'metadata.name=used' });
    assert.equal(byName.items.length, 1);
  });

  it('writes status and deletes only pods bound to itself, and creates none', async () => {
    await admin.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'theirs' }, spec: { nodeName: 'board-2', containers: [{ name: 'c', image: 'busybox' }] } });
    const mine = await n1.get(resources.pods, 'default', 'mine');
    await n1.patch(resources.pods, 'default', 'mine', 'merge', { status: { phase: 'Running' } }, { subresource: 'status' });
    assert.equal(mine['spec'].nodeName, 'board-1');
    await assert.rejects(n1.patch(resources.pods, 'default', 'theirs', 'merge', { status: { phase: 'Running' } }, { subresource: 'status' }), forbidden);
    await assert.rejects(n1.delete(resources.pods, 'default', 'theirs'), forbidden);
    await assert.rejects(n1.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'new' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }), forbidden);
    await n1.delete(resources.pods, 'default', 'mine', { gracePeriodSeconds: 0 });
  });

  it('cannot take over an existing node name from another board', async () => {
    await assert.rejects(joinCluster({ server: url, token, nodeName: 'board-1', dataDir: tmp() }), (e) => e instanceof JoinError && /node password does not match/.test(e.message));
  });

  it('reuses its credential on later starts without contacting the server', async () => {
    const creds = await joinCluster({ server: 'https://127.0.0.1:1', token: 'unused', nodeName: 'board-1', dataDir: dir });
    assert.match(creds.certPem, /BEGIN CERTIFICATE/);
  });
});

describe('bramble agent joins with the token', () => {
  it('registers a Ready node under its own credential, with the client CA saved for its streaming port', async () => {
    const dataDir = tmp();
    const log = fs.openSync(path.join(srv.dir, 'agent-joined.log'), 'a');
    const child = spawn(brambleBin, ['agent', '--runtime', 'fake', '--server', url, '--token', token, '--data-dir', dataDir, '--node-name', 'joined-1', '--pod-cidr-wait', '5s'], {
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    try {
      const deadline = Date.now() + 30_000;
      let ready = false;
      while (!ready && Date.now() < deadline) {
        const n = await admin.get(resources.nodes, '', 'joined-1').catch(() => undefined);
        ready = !!n && (n['status']?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(ready, 'the joined node turns Ready');
      const cert = new X509Certificate(fs.readFileSync(path.join(dataDir, 'agent', 'client-kubelet.crt')));
      assert.match(cert.subject, /CN=system:node:joined-1/);
      assert.match(cert.subject, /O=system:nodes/);
      const clientCa = fs.readFileSync(path.join(dataDir, 'agent', 'client-ca.crt'), 'utf8');
      assert.ok(cert.verify(new X509Certificate(clientCa).publicKey), 'client-ca.crt is the CA that signed the node certificate');
      // The Lease follows registration (the node may read Ready first).
      let lease;
      for (const until = Date.now() + 10_000; !lease && Date.now() < until; ) {
        lease = await admin.get(resources.leases, 'kube-node-lease', 'joined-1').catch(() => undefined);
        if (!lease) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(lease?.['spec'].holderIdentity, 'joined-1');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    }
    assert.equal(child.exitCode, 0);
  });
});
