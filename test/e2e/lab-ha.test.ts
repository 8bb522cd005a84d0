/**
 * HA servers end to end in `bramble lab` (root): four boards, three of them
 * servers sharing one etcd cluster (board-1 `--cluster-init`, board-2 and
 * board-3 joined with `--server`), board-4 an agent joined through board-1.
 * Stock kubectl drives it through each server's own kubeconfig.
 *
 * - every server serves the same cluster: a write through one is read
 *   through the others; etcd has three members;
 * - the `kubernetes` Service's endpoints list the three servers;
 * - controllers and the scheduler run on one server only (the holder of the
 *   `kube-system/kube-controller-manager` Lease);
 * - board-1 — the server the agent joined through — loses power: the
 *   cluster keeps answering through board-2; a Deployment scaled up then
 *   gets its new pods scheduled and Running, on the agent board too (its
 *   load balancer moved it to a living server); the time is printed;
 * - board-1 comes back: its etcd member rejoins and its node is Ready.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { labHelpers, ok, until } from '../harness/lab.ts';
import { kubectlBin, run } from '../harness/server.ts';
import type { LabRecord } from '../../src/lab/state.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-labha-'));
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-labha-home-'));
let lab: LabRecord;
const { lab: lab_ } = labHelpers(dir, home);

/** kubectl through one server board's kubeconfig. */
async function kb(board: string, args: string[], input?: string): Promise<string> {
  const file = board === 'board-1' ? path.join(dir, 'kubeconfig.yaml') : path.join(dir, `kubeconfig-${board}.yaml`);
  const r = await run(kubectlBin, ['--kubeconfig', file, '--request-timeout', '10s', ...args], { input, env: { ...process.env, HOME: home } });
  return ok(r, `kubectl (${board}) ${args.join(' ')}`);
}

const readyPods = async (board: string) => {
  const l = JSON.parse(await kb(board, ['get', 'pods', '-l', 'app=web', '-o', 'json'])) as { items: any[] };
  return l.items.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
};

function deployment(replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image: 'bramble.local/hello-node:1.0', ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2 } }],
        },
      },
    },
  };
}

before(async () => {
  const t0 = Date.now();
  ok(await lab_(['up', '--nodes', '4', '--servers', '3', '--server-flag=--node-monitor-grace-period=20s', '--timeout', '300']), 'lab up');
  process.stdout.write(`# lab up (3 servers + 1 agent): ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  lab = JSON.parse(fs.readFileSync(path.join(dir, 'lab.json'), 'utf8')) as LabRecord;
});

after(async () => {
  await lab_(['down']);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
});

describe('three HA servers on etcd in a 4-board lab', () => {
  it('every server serves one cluster: all 4 nodes, writes through one read through the others', async () => {
    assert.deepEqual(lab.boards.map((b) => b.role), ['server', 'server', 'server', 'agent']);
    for (const b of ['board-1', 'board-2', 'board-3']) {
      const names = (await kb(b, ['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').sort();
      assert.deepEqual(names, ['board-1', 'board-2', 'board-3', 'board-4'], b);
    }
    await kb('board-2', ['create', 'configmap', 'ha-probe', '--from-literal=written=board-2']);
    assert.equal(await kb('board-3', ['get', 'configmap', 'ha-probe', '-o', 'jsonpath={.data.written}']), 'board-2');
    assert.equal(await kb('board-1', ['get', 'configmap', 'ha-probe', '-o', 'jsonpath={.data.written}']), 'board-2');
    // Optimistic concurrency holds across servers: an update with a stale resourceVersion through another server conflicts.
    const cm = JSON.parse(await kb('board-1', ['get', 'configmap', 'ha-probe', '-o', 'json']));
    await kb('board-3', ['patch', 'configmap', 'ha-probe', '--type=merge', '-p', '{"data":{"written":"board-3"}}']);
    cm.data.written = 'stale';
    const r = await run(kubectlBin, ['--kubeconfig', path.join(dir, 'kubeconfig.yaml'), 'replace', '-f', '-'], { input: JSON.stringify(cm), env: { ...process.env, HOME: home } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Conflict|the object has been modified/);
  });

  it('etcd has three members, one per server board', () => {
    const b1 = lab.boards[0]!;
    const tls = path.join(b1.dataDir, 'server', 'tls');
    const out = spawnSync('ip', ['netns', 'exec', b1.netns, 'etcdctl', '--endpoints', 'https://127.0.0.1:2379', '--cacert', path.join(tls, 'etcd-ca.crt'), '--cert', path.join(tls, 'etcd-client.crt'), '--key', path.join(tls, 'etcd-client.key'), 'member', 'list', '-w', 'json'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
    assert.equal(out.status, 0, out.stderr);
    const members = (JSON.parse(out.stdout).members as { name: string }[]).map((m) => m.name).sort();
    assert.deepEqual(members, ['board-1', 'board-2', 'board-3']);
  });

  it('the kubernetes Service endpoints list the three servers', async () => {
    const want = lab.boards.slice(0, 3).map((b) => b.ip).sort();
    await until('3 apiserver endpoints', 60_000, async () => {
      const ips = (await kb('board-2', ['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'])).split(' ').filter(Boolean).sort();
      return ips.join() === want.join() ? ips : undefined;
    });
  });

  it('controllers run on one server, holder of the kube-controller-manager Lease', async () => {
    const holder = await until('a controller-manager leader', 60_000, async () => (await kb('board-1', ['get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}'])) || undefined);
    assert.match(holder, /^board-[123]_/);
  });

  it('board-1 loses power: the cluster goes on through board-2, new pods run (the agent board included), board-1 rejoins', async () => {
    // Pods of the Deployment go to board-4 (the agent) and the surviving servers only after the kill, so a Running pod on board-4 proves its agent reached a living server.
    await kb('board-2', ['apply', '-f', '-'], JSON.stringify(deployment(2)));
    await until('2 ready web pods', 180_000, async () => ((await readyPods('board-2')).length === 2 ? true : undefined));

    const t0 = Date.now();
    ok(await lab_(['kill', 'board-1']), 'lab kill board-1');
    // A write right after the power cut: etcd keeps quorum with 2 of 3 members.
    await until('the API through board-2 after the kill', 60_000, async () => (await kb('board-2', ['scale', 'deployment', 'web', '--replicas=6'])) || undefined, 1000);
    const writable = Date.now() - t0;
    const pods = await until('6 ready web pods without board-1', 240_000, async () => {
      const ready = (await readyPods('board-3')).filter((p) => p.spec.nodeName !== 'board-1');
      return ready.length >= 6 ? ready : undefined;
    }, 1000);
    const placed = Date.now() - t0;
    const nodes = new Set(pods.map((p) => p.spec.nodeName));
    process.stdout.write(`# board-1 killed: API writable through board-2 after ${(writable / 1000).toFixed(1)} s; 6 ready pods on ${[...nodes].sort().join(',')} after ${(placed / 1000).toFixed(1)} s\n`);
    assert.ok(nodes.has('board-4'), `no pod of the scale-up runs on the agent board: ${[...nodes].join(',')}`);
    const leader = await kb('board-2', ['get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}']);
    assert.doesNotMatch(leader, /^board-1_/);
    await until('board-1 NotReady', 90_000, async () => ((await kb('board-3', ['get', 'node', 'board-1', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])) === 'Unknown' ? true : undefined), 1000);

    ok(await lab_(['start', 'board-1', '--wait', '--timeout', '180']), 'lab start board-1');
    assert.equal(await kb('board-1', ['get', 'configmap', 'ha-probe', '-o', 'jsonpath={.data.written}']), 'board-3');
  });
});
