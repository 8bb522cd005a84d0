/**
 * Durability of the control plane: a clean SIGTERM shutdown and restart
 * keeps every object exactly, and `kill -9` during a stream of writes loses
 * no write the API acknowledged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../harness/server.ts';
import { apiClient } from '../harness/api.ts';

let srv: TestServer;
before(async () => {
  srv = await startServer();
});
after(async () => srv?.stop());

describe('durability', () => {
  it('shuts down cleanly on SIGTERM and restarts with all objects intact', async () => {
    let api = apiClient(srv.kubeconfig);
    await api.request('POST', '/api/v1/namespaces', { metadata: { name: 'keep' } });
    for (let i = 0; i < 20; i++) {
      await api.request('POST', '/api/v1/namespaces/keep/configmaps', { metadata: { name: `c${i}`, labels: { i: String(i) } }, data: { v: String(i) } });
    }
    await api.request('POST', '/api/v1/namespaces/keep/secrets', { metadata: { name: 's' }, stringData: { k: 'v' } });
    const before = (await api.request('GET', '/api/v1/namespaces/keep/configmaps')).json;
    const exited = new Promise<number | null>((r) => srv.proc.once('exit', (code) => r(code)));
    srv.proc.kill('SIGTERM');
    assert.equal(await exited, 0, 'exit status 0 after SIGTERM');
    assert.match(await srv.log(), /bramble server stopped/);
    await srv.restart();
    api = apiClient(srv.kubeconfig);
    const after = (await api.request('GET', '/api/v1/namespaces/keep/configmaps')).json;
    assert.deepEqual(after.items, before.items);
    assert.equal((await api.request('GET', '/api/v1/namespaces/keep/secrets/s')).status, 200);
    // Revisions continue upward after a restart.
    const next = (await api.request('POST', '/api/v1/namespaces/keep/configmaps', { metadata: { name: 'later' } })).json;
    assert.ok(Number(next.metadata.resourceVersion) > Number(after.metadata.resourceVersion));
  });

  it('loses no acknowledged write when killed with SIGKILL mid-stream', async () => {
    const api = apiClient(srv.kubeconfig);
    await api.request('POST', '/api/v1/namespaces', { metadata: { name: 'crash' } });
    const acked: string[] = [];
    let stop = false;
    // Eight concurrent writers, as clients would be.
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const name = `w${w}-${i}`;
        try {
          const r = await api.request('POST', '/api/v1/namespaces/crash/configmaps', { metadata: { name }, data: { w: String(w), i: String(i) } });
          if (r.status === 201) acked.push(name);
        } catch {
          return; // the connection died with the server
        }
      }
    });
    while (acked.length < 150) await new Promise((r) => setTimeout(r, 10));
    await srv.kill();
    stop = true;
    await Promise.all(writers);
    await srv.restart();
    const api2 = apiClient(srv.kubeconfig);
    const names = new Set(
      (await api2.request('GET', '/api/v1/namespaces/crash/configmaps')).json.items.map((i: { metadata: { name: string } }) => i.metadata.name),
    );
    const lost = acked.filter((n) => !names.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes lost`);
    assert.ok(acked.length >= 150);
  });
});
