/**
 * Node lifecycle end to end with stock kubectl against a real `bramble
 * server` and three simulated nodes (`bramble agent --runtime fake`):
 * pod CIDRs from the node IPAM controller, `kubectl cordon`, `kubectl
 * drain --ignore-daemonsets` against a PodDisruptionBudget, and a board
 * that dies (its agent SIGKILLed): NotReady with the upstream taints, and
 * its Deployment pods recreated on the other nodes.
 *
 * Pods are placed by the server's scheduler.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HttpClient } from '../../src/client/http.ts';
import type { Obj } from '../../src/client/types.ts';
import { brambleBin, startServer, type TestServer } from '../harness/server.ts';

const nodes = ['node-a', 'node-b', 'node-c'];
const graceSeconds = 16;

let srv: TestServer;
let api: HttpClient;
const agents = new Map<string, ChildProcess>();
const stop = new AbortController();

function startAgent(name: string): ChildProcess {
  const out = fs.openSync(path.join(srv.dir, `agent-${name}.log`), 'a');
  const p = spawn(brambleBin, ['agent', '--runtime', 'fake', '--kubeconfig', srv.kubeconfig, '--node-name', name, '--pod-cidr-wait', '20s'], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  agents.set(name, p);
  return p;
}

before(async () => {
  srv = await startServer([
    '--node-monitor-grace-period', `${graceSeconds}s`,
    '--default-not-ready-toleration-seconds', '3',
    '--default-unreachable-toleration-seconds', '3',
  ]);
  api = HttpClient.fromKubeconfig(srv.kubeconfig);
  for (const n of nodes) startAgent(n);
});
after(async () => {
  stop.abort();
  for (const p of agents.values()) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  await Promise.all([...agents.values()].map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
  api?.close();
  await srv?.stop();
});

const json = async (args: string[]) => JSON.parse(await srv.k([...args, '-o', 'json']));
const ready = (n: Obj) => (n['status']?.conditions as Obj[] | undefined)?.find((c) => c['type'] === 'Ready');
const taints = (n: Obj) => ((n['spec']?.taints as Obj[] | undefined) ?? []).map((t) => `${t['key']}:${t['effect']}`).sort();
const livePods = async (label: string) => (await json(['get', 'pods', '-l', label])).items.filter((p: Obj) => !p['metadata'].deletionTimestamp);
const runningOn = async (label: string) =>
  (await livePods(label)).filter((p: Obj) => p['status']?.phase === 'Running' && ready(p)?.['status'] === 'True').map((p: Obj) => p['spec'].nodeName as string);

async function waitFor<T>(what: string, check: () => Promise<T | false | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The STATUS column of `kubectl get node`. */
const nodeStatus = async (name: string) => (await srv.k(['get', 'node', name, '--no-headers'])).trim().split(/\s+/)[1];

describe('nodes with kubectl', () => {
  it('agents register and turn Ready, each with its own /24 from the cluster CIDR', async () => {
    const list = await waitFor('three Ready nodes with pod CIDRs', async () => {
      const items: Obj[] = (await json(['get', 'nodes'])).items;
      return items.length === 3 && items.every((n) => ready(n)?.['status'] === 'True' && n['spec']?.podCIDR) && items;
    });
    const cidrs = list.map((n) => n['spec'].podCIDR as string);
    assert.equal(new Set(cidrs).size, 3);
    for (const c of cidrs) assert.match(c, /^10\.42\.\d+\.0\/24$/);
    for (const n of list) assert.deepEqual(n['spec'].podCIDRs, [n['spec'].podCIDR]);
    for (const n of nodes) assert.equal(await nodeStatus(n), 'Ready');
  });

  it('kubectl cordon shows Ready,SchedulingDisabled with the unschedulable taint; uncordon clears both', async () => {
    assert.match(await srv.k(['cordon', 'node-a']), /node\/node-a cordoned/);
    assert.equal(await nodeStatus('node-a'), 'Ready,SchedulingDisabled');
    await waitFor('unschedulable taint', async () => taints(await json(['get', 'node', 'node-a'])).includes('node.kubernetes.io/unschedulable:NoSchedule'));
    assert.match(await srv.k(['uncordon', 'node-a']), /node\/node-a uncordoned/);
    assert.equal(await nodeStatus('node-a'), 'Ready');
    await waitFor('taint removed', async () => taints(await json(['get', 'node', 'node-a'])).length === 0);
  });

  it('kubectl drain --ignore-daemonsets waits while the PodDisruptionBudget allows no disruption and finishes once it does', async () => {
    await srv.k(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
    await srv.k(['apply', '-f', '-'], {
      input: `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-agentd}
spec:
  selector: {matchLabels: {app: node-agentd}}
  template:
    metadata: {labels: {app: node-agentd}}
    spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: web}}
`,
    });
    await waitFor('web on every node', async () => (await runningOn('app=web')).sort().join() === nodes.join());
    await waitFor('daemon on every node', async () => (await runningOn('app=node-agentd')).length === 3);
    await waitFor('budget computed', async () => (await json(['get', 'pdb', 'web'])).status?.expectedPods === 3);
    assert.equal((await json(['get', 'pdb', 'web'])).status.disruptionsAllowed, 0);
    const onA = (await livePods('app=web')).find((p: Obj) => p['spec'].nodeName === 'node-a')['metadata'].name;

    const drain = srv.kubectl(['drain', 'node-a', '--ignore-daemonsets', '--timeout=90s'], { timeoutMs: 120_000 });
    // While the budget allows nothing, the pod stays (kubectl retries every 5 s).
    await new Promise((r) => setTimeout(r, 7000));
    assert.equal(await nodeStatus('node-a'), 'Ready,SchedulingDisabled');
    const still = await json(['get', 'pod', onA]);
    assert.equal(still.metadata.deletionTimestamp, undefined, 'not evicted while the budget is exhausted');

    await srv.k(['patch', 'pdb', 'web', '--type=merge', '-p', '{"spec":{"minAvailable":2}}']);
    const r = await drain;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = r.stdout + r.stderr;
    assert.match(out, /Cannot evict pod as it would violate the pod's disruption budget/);
    assert.match(out, /ignoring DaemonSet-managed Pods: default\/node-agentd-/);
    assert.match(out, new RegExp(`pod/${onA} evicted`));
    assert.match(out, /node\/node-a drained/);

    const web = await waitFor('three web pods again, none on node-a', async () => {
      const on = await runningOn('app=web');
      return on.length === 3 && !on.includes('node-a') && on;
    });
    assert.deepEqual([...new Set(web)].sort(), ['node-b', 'node-c']);
    assert.ok((await runningOn('app=node-agentd')).includes('node-a'), 'the DaemonSet pod stays');
    await srv.k(['uncordon', 'node-a']);
    await srv.k(['delete', 'pdb', 'web']);
  });

  it('a board that dies turns NotReady with the upstream taints; its Deployment pods come back on the other nodes', async () => {
    await srv.k(['scale', 'deployment/web', '--replicas=4']);
    await waitFor('a web pod on node-c', async () => (await runningOn('app=web')).length === 4 && (await runningOn('app=web')).includes('node-c'), 60_000);
    const victims: string[] = (await livePods('app=web')).filter((p: Obj) => p['spec'].nodeName === 'node-c').map((p: Obj) => p['metadata'].name);

    const started = Date.now();
    agents.get('node-c')!.kill('SIGKILL');
    await waitFor('node-c NotReady', async () => (await nodeStatus('node-c')) === 'NotReady', (graceSeconds + 20) * 1000);
    const elapsed = (Date.now() - started) / 1000;
    assert.ok(elapsed < graceSeconds + 15, `NotReady within the grace period and a monitor pass or two (took ${elapsed}s)`);
    const node = await json(['get', 'node', 'node-c']);
    assert.equal(ready(node)?.['status'], 'Unknown');
    assert.equal(ready(node)?.['reason'], 'NodeStatusUnknown');
    assert.equal(ready(node)?.['message'], 'Kubelet stopped posting node status.');
    await waitFor('unreachable taints', async () => {
      const t = taints(await json(['get', 'node', 'node-c']));
      return t.includes('node.kubernetes.io/unreachable:NoExecute') && t.includes('node.kubernetes.io/unreachable:NoSchedule');
    });

    // After their 3 s unreachable toleration the pods are evicted (Terminating: nobody on node-c confirms) and replaced.
    const web = await waitFor('four web pods running on the live nodes', async () => {
      const on = await runningOn('app=web');
      return on.length === 4 && !on.includes('node-c') && on;
    });
    assert.ok(web.every((n: string) => n === 'node-a' || n === 'node-b'));
    for (const v of victims) {
      const p = await json(['get', 'pod', v]);
      assert.ok(p.metadata.deletionTimestamp, `${v} is Terminating`);
      assert.ok((p.status.conditions as Obj[]).some((c) => c['type'] === 'DisruptionTarget' && c['reason'] === 'DeletionByTaintManager'));
    }
    const events = await srv.k(['get', 'events', '--field-selector', 'reason=TaintManagerEviction', '-o', 'name']);
    assert.ok(events.trim().length > 0, 'TaintManagerEviction events');
    assert.match(await srv.k(['get', 'deployment', 'web']), /web\s+4\/4/);
  });
});
