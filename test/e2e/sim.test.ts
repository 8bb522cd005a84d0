/**
 * `bramble sim --nodes 50` against a real `bramble server`: 50 Ready
 * nodes with their Leases, progress output, one connection for all of them,
 * a Deployment's pods spread over the simulated nodes and Running, deletion
 * completing, and SIGTERM exiting 0.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { brambleBin, startServer, type TestServer } from '../harness/server.ts';

let srv: TestServer;
let sim: ChildProcess;
const N = 50;
const logFile = () => path.join(srv.dir, 'sim.log');

before(async () => {
  srv = await startServer();
  const out = fs.openSync(path.join(srv.dir, 'sim.log'), 'a');
  sim = spawn(brambleBin, ['sim', '--kubeconfig', srv.kubeconfig, '--nodes', String(N), '--prefix', 'pi-', '--node-label', 'rack=r1'], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
});
after(async () => {
  if (sim && sim.exitCode === null && sim.signalCode === null) {
    sim.kill('SIGKILL');
    await new Promise((r) => sim.once('exit', r));
  }
  await srv?.stop();
});

async function waitFor<T>(what: string, check: () => Promise<T | false | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; sim log:\n${fs.readFileSync(logFile(), 'utf8').slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
const json = async (args: string[]) => JSON.parse(await srv.k([...args, '-o', 'json']));

describe('bramble sim', () => {
  it(`brings ${N} Ready nodes, with Leases, reporting progress`, async () => {
    const lines = await waitFor(`${N} Ready nodes`, async () => {
      const out = (await srv.k(['get', 'nodes', '-l', 'type=bramble-fake', '--no-headers'])).trim().split('\n');
      return out.length === N && out.every((l) => / Ready /.test(l)) && out;
    });
    assert.ok(lines.every((l) => /^pi-\d+\s+Ready\s+<none>\s+\S+\s+v1\.32\.4\+bramble$/.test(l.trim())), lines.join('\n'));
    assert.equal((await json(['get', 'nodes', '-l', 'rack=r1'])).items.length, N);
    const leases = (await json(['get', 'leases', '-n', 'kube-node-lease'])).items;
    assert.equal(leases.filter((l: { spec: { holderIdentity: string } }) => l.spec.holderIdentity.startsWith('pi-')).length, N);
    const ips = new Set((await json(['get', 'nodes'])).items.map((n: { status: { addresses: { address: string }[] } }) => n.status.addresses[0]!.address));
    assert.equal(ips.size, N, 'every node has its own InternalIP');
    const log = fs.readFileSync(logFile(), 'utf8');
    assert.match(log, new RegExp(`${N}/${N} nodes registered`));
  });

  it('shares one connection among all nodes', async () => {
    const fds = fs.readdirSync(`/proc/${sim.pid}/fd`).map((f) => {
      try {
        return fs.readlinkSync(`/proc/${sim.pid}/fd/${f}`);
      } catch {
        return '';
      }
    });
    const sockets = fds.filter((l) => l.startsWith('socket:')).length;
    assert.ok(sockets <= 2, `${sockets} sockets open`);
  });

  it('runs a Deployment spread over the simulated nodes, and deletes it', async () => {
    await srv.k(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=100']);
    await waitFor('100 pods Running', async () => {
      const pods = (await json(['get', 'pods', '-l', 'app=web'])).items;
      return pods.length === 100 && pods.every((p: { status: { phase: string; podIP?: string } }) => p.status.phase === 'Running' && p.status.podIP) && pods;
    }, 90_000);
    const pods = (await json(['get', 'pods', '-l', 'app=web'])).items;
    const nodes = new Set(pods.map((p: { spec: { nodeName: string } }) => p.spec.nodeName));
    assert.ok(nodes.size >= 10, `spread over ${nodes.size} nodes`);
    assert.equal(new Set(pods.map((p: { status: { podIP: string } }) => p.status.podIP)).size, 100, 'distinct pod IPs');
    await srv.k(['delete', 'deployment', 'web']);
    await waitFor('pods gone', async () => (await json(['get', 'pods', '-l', 'app=web'])).items.length === 0, 90_000);
  });

  it('SIGTERM exits 0 and leaves the nodes registered', async () => {
    const code = new Promise<number | null>((r) => sim.once('exit', (c) => r(c)));
    sim.kill('SIGTERM');
    assert.equal(await code, 0);
    assert.equal((await json(['get', 'nodes', '-l', 'type=bramble-fake'])).items.length, N);
  });
});
