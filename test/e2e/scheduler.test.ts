/**
 * The scheduler end to end: a real `bramble server`, simulated nodes
 * (`bramble agent --runtime fake`), stock kubectl. Seed 001's Deployment
 * (required pod anti-affinity on kubernetes.io/hostname) spreads one pod
 * per node; a third replica waits with upstream's FailedScheduling text in
 * `kubectl describe` and is placed once a third node joins. Cordoned nodes
 * and resource requests are honoured.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Obj } from '../../src/client/types.ts';
import { brambleBin, repoRoot, startServer, type TestServer } from '../harness/server.ts';

let srv: TestServer;
const agents = new Map<string, ChildProcess>();

function startAgent(name: string): void {
  const out = fs.openSync(path.join(srv.dir, `agent-${name}.log`), 'a');
  const p = spawn(brambleBin, ['agent', '--runtime', 'fake', '--kubeconfig', srv.kubeconfig, '--node-name', name, '--pod-cidr-wait', '20s'], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  agents.set(name, p);
}

before(async () => {
  srv = await startServer();
  startAgent('node-1');
  startAgent('node-2');
});
after(async () => {
  for (const p of agents.values()) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  await Promise.all([...agents.values()].map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
  await srv?.stop();
});

const json = async (args: string[]) => JSON.parse(await srv.k([...args, '-o', 'json']));
const cond = (o: Obj, type: string) => (o['status']?.conditions as Obj[] | undefined)?.find((c) => c['type'] === type);

async function waitFor<T>(what: string, check: () => Promise<T | false | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const nginxPods = async (): Promise<Obj[]> => (await json(['get', 'pods', '-l', 'app=nginx'])).items.filter((p: Obj) => !p['metadata'].deletionTimestamp);

const ANTI_AFFINITY_MESSAGE =
  "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..";

describe('scheduler with simulated nodes and kubectl', () => {
  it('two agents register Ready', async () => {
    await waitFor('two Ready nodes', async () => {
      const items: Obj[] = (await json(['get', 'nodes'])).items;
      return items.length === 2 && items.every((n) => cond(n, 'Ready')?.['status'] === 'True');
    });
  });

  it('seed 001: the anti-affinity Deployment runs one pod per node', async () => {
    await srv.k(['apply', '-f', path.join(repoRoot, 'test/fixtures/seed-001/deployment.yaml')]);
    const pods = await waitFor('two nginx pods running', async () => {
      const ps = await nginxPods();
      return ps.length === 2 && ps.every((p) => p['status']?.phase === 'Running') && ps;
    });
    assert.deepEqual(pods.map((p) => p['spec'].nodeName).sort(), ['node-1', 'node-2']);
    for (const p of pods) assert.equal(cond(p, 'PodScheduled')?.['status'], 'True');
    const events = await json(['get', 'events', '--field-selector', 'reason=Scheduled']);
    for (const p of pods) {
      const e = events.items.find((x: Obj) => x['involvedObject'].name === p['metadata'].name);
      assert.equal(e?.message, `Successfully assigned default/${p['metadata'].name} to ${p['spec'].nodeName}`);
      assert.equal(e?.source?.component, 'default-scheduler');
    }
  });

  it('a third replica stays Pending and kubectl describe shows why', async () => {
    await srv.k(['scale', 'deployment/nginx-deployment', '--replicas=3']);
    const pending = await waitFor('a pending pod marked unschedulable', async () =>
      (await nginxPods()).find((p) => !p['spec'].nodeName && cond(p, 'PodScheduled')?.['status'] === 'False'),
    );
    const c = cond(pending, 'PodScheduled')!;
    assert.equal(c['reason'], 'Unschedulable');
    assert.equal(c['message'], ANTI_AFFINITY_MESSAGE);
    const name = pending['metadata'].name;
    const describe = await waitFor('FailedScheduling in describe', async () => {
      const out = await srv.k(['describe', 'pod', name]);
      return /FailedScheduling/.test(out) && out;
    });
    assert.match(describe, /Status:\s+Pending/);
    assert.match(describe, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/2 nodes are available: 2 node\(s\) didn't match pod anti-affinity rules\./);
    assert.match(await srv.k(['get', 'pods', '-l', 'app=nginx', '--field-selector', 'status.phase=Pending', '--no-headers']), new RegExp(`^${name}\\s+0/1\\s+Pending`, 'm'));
  });

  it('the pending pod is placed when a third node joins', async () => {
    startAgent('node-3');
    const pods = await waitFor('three nginx pods running', async () => {
      const ps = await nginxPods();
      return ps.length === 3 && ps.every((p) => p['status']?.phase === 'Running') && ps;
    });
    assert.deepEqual(pods.map((p) => p['spec'].nodeName).sort(), ['node-1', 'node-2', 'node-3']);
  });

  it('kubectl cordon keeps new pods off a node until uncordon', async () => {
    await srv.k(['cordon', 'node-3']);
    await srv.k(['run', 'pinned', '--image=nginx', '--overrides', JSON.stringify({ spec: { nodeSelector: { 'kubernetes.io/hostname': 'node-3' } } })]);
    const c = await waitFor('pinned unschedulable', async () => {
      const p = await json(['get', 'pod', 'pinned']);
      return cond(p, 'PodScheduled')?.['status'] === 'False' && cond(p, 'PodScheduled');
    });
    // NodeUnschedulable runs before TaintToleration, so the cordon (not its taint) is the reason given.
    assert.equal(
      c['message'],
      "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..",
    );
    await srv.k(['uncordon', 'node-3']);
    const p = await waitFor('pinned running on node-3', async () => {
      const x = await json(['get', 'pod', 'pinned']);
      return x['status']?.phase === 'Running' && x;
    });
    assert.equal(p['spec'].nodeName, 'node-3');
  });

  it('a pod requesting more CPU than any node has stays Pending with Insufficient cpu', async () => {
    await srv.k(['run', 'huge', '--image=nginx', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'huge', image: 'nginx', resources: { requests: { cpu: '1000' } } }] } })]);
    const c = await waitFor('huge unschedulable', async () => {
      const p = await json(['get', 'pod', 'huge']);
      return cond(p, 'PodScheduled')?.['status'] === 'False' && cond(p, 'PodScheduled');
    });
    assert.equal(c['message'], '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..');
  });
});
