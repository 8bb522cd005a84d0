/**
 * `bramble agent --runtime fake` against a real `bramble server`, checked
 * with stock kubectl: registration (Ready, ROLES <none>, VERSION, -o wide
 * with the internal IP and the fake:// runtime), a pod bound to the node
 * Running 1/1 with an IP from the node's pod CIDR and the kubelet's events,
 * `kubectl delete pod` completing, a Job finishing through the fake-run
 * annotations, Lease renewals, and SIGTERM (exit 0, Node kept, Lease no
 * longer renewed). Also the CLI's usage errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brambleBin, run, startServer, type TestServer } from '../harness/server.ts';

let srv: TestServer;
let agent: ChildProcess;
const node = 'edge-1';
const nodeIP = '10.77.0.5';

before(async () => {
  srv = await startServer();
  const out = fs.openSync(path.join(srv.dir, 'agent.log'), 'a');
  agent = spawn(brambleBin, ['agent', '--runtime', 'fake', '--kubeconfig', srv.kubeconfig, '--node-name', node, '--node-ip', nodeIP, '--node-label', 'tier=edge', '--capacity', 'cpu=2,memory=4Gi,pods=50'], {
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
});
after(async () => {
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    agent.kill('SIGKILL');
    await new Promise((r) => agent.once('exit', r));
  }
  await srv?.stop();
});

async function waitFor<T>(what: string, check: () => Promise<T | false | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; agent log:\n${fs.readFileSync(path.join(srv.dir, 'agent.log'), 'utf8')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
const json = async (args: string[]) => JSON.parse(await srv.k([...args, '-o', 'json']));
const columns = (line: string) => line.trim().split(/\s+/);
const renewTime = async () => (await json(['get', 'lease', '-n', 'kube-node-lease', node])).spec.renewTime as string;

describe('bramble agent --runtime fake', () => {
  it('registers a Ready node that kubectl shows as a kubelet would', async () => {
    const line = await waitFor('node listed', async () => (await srv.k(['get', 'nodes', '--no-headers'])).split('\n').find((l) => l.startsWith(`${node} `)));
    const [name, status, roles, , version] = columns(line);
    assert.deepEqual([name, status, roles, version], [node, 'Ready', '<none>', 'v1.32.4+bramble']);
    const wide = (await srv.k(['get', 'node', node, '-o', 'wide'])).split('\n');
    const header = columns(wide[0]!);
    const row = columns(wide[1]!);
    assert.equal(row[header.indexOf('INTERNAL-IP')], nodeIP);
    assert.match(wide[1]!, /fake:\/\/0\.1\.0\s*$/, 'CONTAINER-RUNTIME is the last column');
    const n = await json(['get', 'node', node]);
    assert.equal(n.metadata.labels['tier'], 'edge');
    assert.equal(n.metadata.labels['type'], 'bramble-fake');
    assert.equal(n.metadata.labels['kubernetes.io/hostname'], node);
    assert.deepEqual(n.status.capacity, { cpu: '2', memory: '4Gi', pods: '50' });
    assert.deepEqual(n.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`), ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True']);
  });

  it('a pod bound to the node runs 1/1 with an IP from its pod CIDR, with the kubelet\'s events', async () => {
    const cidr = await waitFor('pod CIDR', async () => (await json(['get', 'node', node])).spec.podCIDR as string | undefined);
    await srv.k(['run', 'web', '--image=nginx:1.27', `--overrides={"spec":{"nodeName":"${node}"}}`]);
    const row = await waitFor('web Running', async () => {
      const r = columns(await srv.k(['get', 'pod', 'web', '-o', 'wide', '--no-headers']));
      return r[2] === 'Running' && r;
    });
    assert.equal(row[1], '1/1');
    const prefix = cidr.replace(/\.0\/24$/, '.');
    assert.ok(row[5]!.startsWith(prefix), `pod IP ${row[5]} in ${cidr}`);
    assert.equal(row[6], node);
    const pod = await json(['get', 'pod', 'web']);
    assert.equal(pod.status.hostIP, nodeIP);
    assert.equal(pod.status.qosClass, 'BestEffort');
    assert.match(pod.status.containerStatuses[0].containerID, /^fake:\/\//);
    assert.match(pod.status.containerStatuses[0].imageID, /^fake:\/\//);
    const describe = await waitFor('events', async () => {
      const d = await srv.k(['describe', 'pod', 'web']);
      return /Started/.test(d) && d;
    });
    assert.match(describe, /Pulled\s+\S+\s+kubelet\s+Container image "nginx:1\.27" already present on machine/);
    assert.match(describe, /Created\s+\S+\s+kubelet\s+Created container: web/);
    assert.match(describe, /Started\s+\S+\s+kubelet\s+Started container web/);
  });

  it('kubectl delete pod completes: the agent stops it and finishes the deletion', async () => {
    const started = Date.now();
    const r = await srv.kubectl(['delete', 'pod', 'web', '--timeout=30s'], { timeoutMs: 40_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pod "web" deleted/);
    assert.ok(Date.now() - started < 10_000, 'well within the grace period');
    assert.equal((await srv.kubectl(['get', 'pod', 'web'])).code, 1);
    assert.match(await srv.k(['get', 'events', '--field-selector', 'involvedObject.name=web,reason=Killing']), /Stopping container web/);
  });

  it('a Job whose pod runs for a second completes (bramble.io/fake-run-seconds)', async () => {
    await srv.k(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    metadata:
      annotations: {bramble.io/fake-run-seconds: "1"}
    spec:
      restartPolicy: Never
      containers: [{name: task, image: busybox:1.36}]
`,
    });
    const r = await srv.kubectl(['wait', '--for=condition=complete', 'job/once', '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const pods = await json(['get', 'pods', '-l', 'job-name=once']);
    assert.equal(pods.items[0].status.phase, 'Succeeded');
    assert.equal(pods.items[0].spec.nodeName, node);
  });

  it('renews its Lease every 10 seconds', async () => {
    const first = await renewTime();
    const next = await waitFor('a renewal', async () => {
      const t = await renewTime();
      return t !== first && t;
    }, 15_000);
    const gap = Date.parse(next) - Date.parse(first);
    assert.ok(gap >= 9_000 && gap <= 11_000, `renewed ${gap} ms apart`);
  });

  it('SIGTERM stops it cleanly: exit 0, the Node stays, the Lease is no longer renewed', async () => {
    const code = new Promise<number | null>((r) => agent.once('exit', (c) => r(c)));
    const started = Date.now();
    agent.kill('SIGTERM');
    assert.equal(await code, 0);
    assert.ok(Date.now() - started < 5_000, 'stops promptly');
    const last = await renewTime();
    await new Promise((r) => setTimeout(r, 11_000));
    assert.equal(await renewTime(), last);
    assert.equal((await json(['get', 'node', node])).metadata.name, node);
    assert.match(fs.readFileSync(path.join(srv.dir, 'agent.log'), 'utf8'), /stopping node agent; the Node stays registered/);
  });
});

describe('bramble agent usage', () => {
  it('--server needs a token and an https URL; unknown runtimes are refused; a wrong token exits 1 saying so; --help works', async () => {
    const noToken = await run(brambleBin, ['agent', '--server', 'https://127.0.0.1:6443']);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /--server needs --token/);
    const plain = await run(brambleBin, ['agent', '--server', 'http://127.0.0.1:6443', '--token', 'x']);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /--server must be an https:\/\/ URL/);
    const nothing = await run(brambleBin, ['agent', '--runtime', 'fake']);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /pass --server URL and --token TOKEN/);
    const rt = await run(brambleBin, ['agent', '--runtime', 'docker', '--kubeconfig', '/dev/null']);
    assert.equal(rt.code, 2);
    assert.match(rt.stderr, /unknown runtime "docker"/);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-agent-usage-'));
    try {
      const wrong = await run(brambleBin, ['agent', '--runtime', 'fake', '--data-dir', dataDir, '--server', `https://127.0.0.1:${srv.port}`, '--token', 'K10' + '0'.repeat(64) + '::server:' + 'f'.repeat(32)]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr + wrong.stdout, /does not match the token/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    const help = await run(brambleBin, ['agent', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--node-taint KEY=VALUE:EFFECT/);
    const bad = await run(brambleBin, ['agent', '--kubeconfig', srv.kubeconfig, '--node-taint', 'x=y:Sometimes']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid node taint/);
  });
});
