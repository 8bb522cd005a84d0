/**
 * `bramble server` runs an embedded agent that joins itself over loopback
 * with the node token, as any board does; `--disable-agent` leaves the
 * board a control plane only. The fake runtime stands in for containerd
 * here (test/e2e/agent-containerd*.test.ts run real containers).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, type TestServer } from '../harness/server.ts';

let srv: TestServer;
before(async () => {
  srv = await startServer(['--agent-runtime', 'fake', '--node-name', 'board-0', '--node-label', 'board=zero']);
});
after(async () => srv?.stop());

async function waitFor<T>(what: string, check: () => Promise<T | false | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('embedded agent', () => {
  it('registers the server board as a Ready control-plane node under its own node credential', async () => {
    const node = await waitFor('board-0 Ready', async () => {
      const n = JSON.parse(await srv.k(['get', 'node', 'board-0', '-o', 'json']));
      return n.status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') && n;
    });
    assert.equal(node.metadata.labels['node-role.kubernetes.io/control-plane'], 'true');
    assert.equal(node.metadata.labels['board'], 'zero');
    assert.match(await srv.k(['get', 'nodes']), /board-0\s+Ready\s+control-plane/);
    // It joined with the token like any agent: its credential is on disk.
    const cert = fs.readFileSync(path.join(srv.dataDir, 'agent', 'client-kubelet.crt'), 'utf8');
    assert.match(cert, /BEGIN CERTIFICATE/);
  });

  it('runs pods scheduled to it', async () => {
    await srv.k(['run', 'hello', '--image', 'busybox', '--restart', 'Never', '--', 'sleep', '3600']);
    const pod = await waitFor('hello Running', async () => {
      const p = JSON.parse(await srv.k(['get', 'pod', 'hello', '-o', 'json']));
      return p.status.phase === 'Running' && p;
    });
    assert.equal(pod.spec.nodeName, 'board-0');
    // The agent's HTTPS port serves the API server: kubectl top reads the fake figures through it.
    const top = await waitFor('kubectl top pod hello', async () => {
      const r = await srv.kubectl(['top', 'pod', 'hello', '--no-headers']);
      return r.code === 0 && r.stdout;
    });
    assert.match(top, /^hello\s+\d+m\s+\d+Mi/);
    assert.match(await srv.k(['top', 'node', 'board-0', '--no-headers']), /^board-0\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/);
    // Logs need a real runtime; the fake says so instead of hanging.
    const logs = await srv.kubectl(['logs', 'hello']);
    assert.notEqual(logs.code, 0);
    assert.match(logs.stderr, /fake runtime does not support container logs/);
    await srv.k(['delete', 'pod', 'hello', '--wait=true']);
  });

  it('stops with the server (SIGTERM exits 0)', async () => {
    assert.match(fs.readFileSync(path.join(srv.dir, 'server.log'), 'utf8'), /starting node agent/);
    const proc = srv.proc;
    await srv.stop();
    assert.equal(proc.exitCode, 0);
  });
});

describe('--disable-agent', () => {
  let plain: TestServer;
  before(async () => {
    plain = await startServer(['--disable-agent']);
  });
  after(async () => plain?.stop());
  it('registers no node', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await plain.k(['get', 'nodes', '-o', 'name'])).trim(), '');
  });
});
