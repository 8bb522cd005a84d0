/**
 * Heartbeats do not wear out flash: node Lease renewals and Node status
 * posts that only move heartbeat times are applied at once but written to
 * disk later (on shutdown or periodically), while real changes are written
 * immediately.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, type TestServer } from '../harness/server.ts';
import { apiClient, type ApiClient } from '../harness/api.ts';

let srv: TestServer;
let api: ApiClient;
before(async () => {
  srv = await startServer();
  api = apiClient(srv.kubeconfig);
});
after(async () => srv?.stop());

const merge = { 'content-type': 'application/merge-patch+json' };
const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');
/** Bytes in the datastore's files: the database and its write-ahead log. */
const dbBytes = () => {
  const dir = path.join(srv.dataDir, 'server', 'db');
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
};

/** Waits until the datastore's files stop growing for 500 ms (at most 10 s). */
async function settled(): Promise<void> {
  let last = dbBytes();
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 500));
    const now = dbBytes();
    if (now === last) return;
    last = now;
  }
}

describe('heartbeats', () => {
  it('node Lease renewals change nothing on disk, yet are served at once', async () => {
    const leases = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    const created = await api.request('POST', leases, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'board-1' },
      spec: { holderIdentity: 'board-1', leaseDurationSeconds: 40, renewTime: micro(Date.now()) },
    });
    assert.equal(created.status, 201);
    await api.request('PATCH', `${leases}/board-1`, { spec: { renewTime: micro(Date.now() + 1) } }, merge);
    const before = dbBytes();
    let last = '';
    for (let i = 2; i < 60; i++) {
      last = micro(Date.now() + i);
      const r = await api.request('PATCH', `${leases}/board-1`, { spec: { renewTime: last } }, merge);
      assert.equal(r.status, 200);
    }
    assert.equal(dbBytes(), before, 'no bytes written for 58 renewals');
    assert.equal((await api.request('GET', `${leases}/board-1`)).json.spec.renewTime, last);
    // A real change (another holder) is written at once.
    await api.request('PATCH', `${leases}/board-1`, { spec: { holderIdentity: 'other' } }, merge);
    assert.ok(dbBytes() > before);
  });

  it('other Leases (leader election) are written at once', async () => {
    const leases = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';
    await api.request('POST', leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'ctl' }, spec: { holderIdentity: 'a', renewTime: micro(Date.now()) } });
    const before = dbBytes();
    await api.request('PATCH', `${leases}/ctl`, { spec: { renewTime: micro(Date.now() + 5) } }, merge);
    assert.ok(dbBytes() > before);
  });

  it('a Node status post that only moves heartbeat times is deferred too', async () => {
    const t0 = new Date(Date.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const node = (await api.request('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'board-9' },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: t0, lastTransitionTime: t0 }] },
    })).json;
    const cond = (hb: string, status = 'True') => ({ status: { conditions: [{ ...node.status.conditions[0], status, lastHeartbeatTime: hb }] } });
    await api.request('PATCH', '/api/v1/nodes/board-9/status', cond('2031-01-01T00:00:00Z'), merge);
    // The server's controllers react to a new Node (a podCIDR, taints): let their writes land before measuring.
    await settled();
    const before = dbBytes();
    await api.request('PATCH', '/api/v1/nodes/board-9/status', cond('2031-01-01T00:05:00Z'), merge);
    assert.equal(dbBytes(), before);
    await api.request('PATCH', '/api/v1/nodes/board-9/status', cond('2031-01-01T00:10:00Z', 'False'), merge);
    assert.ok(dbBytes() > before, 'a condition change is written');
  });

  it('a clean restart keeps the newest renewal', async () => {
    const leases = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    const latest = micro(Date.now() + 99_000);
    await api.request('PATCH', `${leases}/board-1`, { spec: { renewTime: latest } }, merge);
    srv.proc.kill('SIGTERM');
    await new Promise((r) => srv.proc.once('exit', r));
    await srv.restart();
    api = apiClient(srv.kubeconfig);
    assert.equal((await api.request('GET', `${leases}/board-1`)).json.spec.renewTime, latest);
  });
});
