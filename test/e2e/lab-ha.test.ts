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
 *   cluster keeps answering through board-2; once board-1 is NotReady, a
 *   pod pinned to the agent board runs (its load balancer moved it to a
 *   living server) and a scaled-up Deployment's pods run on the living
 *   boards; the times are printed;
 * - board-1 comes back: its etcd member rejoins and its node is Ready;
 * - the controller-manager leader loses power: another server takes the
 *   Lease and a scale-down is carried out.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ok, until, useLab } from '../harness/lab.ts';
import { kubectlBin, run } from '../harness/server.ts';
import type { LabRecord } from '../../src/lab/state.ts';

let lab: LabRecord;
/** The server the leader test left powered off. */
let killedLeader = '';
const { dir, home, lab: lab_ } = useLab('labha', ['--nodes', '4', '--servers', '3', '--server-flag=--node-monitor-grace-period=20s', '--timeout', '300'], { onUp: (l) => void (lab = l) });

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

/** The etcd member names, asked with etcdctl through one server board's member. */
function etcdMembers(board: string): string[] {
  const b = lab.boards.find((x) => x.name === board)!;
  const tls = path.join(b.dataDir, 'server', 'tls');
  const out = spawnSync('ip', ['netns', 'exec', b.netns, 'etcdctl', '--endpoints', 'https://127.0.0.1:2379', '--cacert', path.join(tls, 'etcd-ca.crt'), '--cert', path.join(tls, 'etcd-client.crt'), '--key', path.join(tls, 'etcd-client.key'), 'member', 'list', '-w', 'json'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  assert.equal(out.status, 0, out.stderr);
  return (JSON.parse(out.stdout).members as { name: string }[]).map((m) => m.name).sort();
}

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
    assert.deepEqual(etcdMembers('board-1'), ['board-1', 'board-2', 'board-3']);
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

  it('board-1 (the agents\' --server) loses power: the cluster goes on through board-2, the agent board runs new pods, board-1 rejoins', async () => {
    await kb('board-2', ['apply', '-f', '-'], JSON.stringify(deployment(2)));
    await until('2 ready web pods', 180_000, async () => ((await readyPods('board-2')).length === 2 ? true : undefined));

    const t0 = Date.now();
    ok(await lab_(['kill', 'board-1']), 'lab kill board-1');
    // A power cut takes the board's etcd member too (etcd names its data dir as --data-dir=…).
    const b1 = lab.boards[0]!.dataDir;
    const etcdLeft = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && (() => {
      try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`--data-dir=${b1}/`); } catch { return false; }
    })());
    assert.deepEqual(etcdLeft, [], 'board-1\'s etcd survived its power cut');
    // A write right after the power cut: etcd keeps its quorum with 2 of 3 members.
    await until('a write through board-2 after the kill', 60_000, async () => (await kb('board-2', ['create', 'configmap', 'after-kill'])) || undefined, 1000);
    const writable = Date.now() - t0;
    // As upstream, pods still go to board-1 until it is marked NotReady (grace period 20 s here) and tainted unreachable.
    await until('board-1 NotReady', 90_000, async () => ((await kb('board-3', ['get', 'node', 'board-1', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])) === 'Unknown' ? true : undefined), 1000);
    const notReady = Date.now() - t0;
    // A pod pinned to the agent board, created after the kill: it runs only if board-4's agent moved to a living server.
    const pinned = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'on-agent', namespace: 'default' }, spec: { nodeSelector: { 'kubernetes.io/hostname': 'board-4' }, containers: [{ name: 'c', image: 'bramble.local/hello-node:1.0' }] } };
    await kb('board-2', ['apply', '-f', '-'], JSON.stringify(pinned));
    await kb('board-2', ['scale', 'deployment', 'web', '--replicas=5']);
    await until('the pinned pod Running on board-4', 120_000, async () => ((await kb('board-3', ['get', 'pod', 'on-agent', '-o', 'jsonpath={.status.phase}'])) === 'Running' ? true : undefined), 1000);
    // A pod already on board-1 still counts for its ReplicaSet until eviction (5 min, as upstream): the rest must all be ready elsewhere.
    const pods = await until('5 web pods, all ready off board-1', 180_000, async () => {
      const l = JSON.parse(await kb('board-3', ['get', 'pods', '-l', 'app=web', '-o', 'json'])) as { items: any[] };
      const live = l.items.filter((p) => !p.metadata.deletionTimestamp);
      const elsewhere = live.filter((p) => p.spec.nodeName !== 'board-1');
      const ready = elsewhere.filter((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
      return live.length === 5 && ready.length === elsewhere.length && ready.length >= 3 ? ready : undefined;
    }, 1000);
    const placed = Date.now() - t0;
    process.stdout.write(`# board-1 killed: writable through board-2 after ${(writable / 1000).toFixed(1)} s, board-1 NotReady after ${(notReady / 1000).toFixed(1)} s, ${pods.length} ready pods on ${[...new Set(pods.map((p) => p.spec.nodeName))].sort().join(',')} and the pinned pod on board-4 after ${(placed / 1000).toFixed(1)} s\n`);

    ok(await lab_(['start', 'board-1', '--wait', '--timeout', '180']), 'lab start board-1');
    assert.equal(await kb('board-1', ['get', 'configmap', 'ha-probe', '-o', 'jsonpath={.data.written}']), 'board-3');
    await kb('board-1', ['get', 'configmap', 'after-kill']);
  });

  it('the controller-manager leader loses power: another server takes the Lease and the controllers act again', async () => {
    const holder = await kb('board-2', ['get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}']);
    const leader = holder.split('_')[0]!;
    killedLeader = leader;
    const other = ['board-1', 'board-2', 'board-3'].find((b) => b !== leader)!;
    const t0 = Date.now();
    ok(await lab_(['kill', leader]), `lab kill ${leader}`);
    const next = await until('a new leader', 60_000, async () => {
      const h = (await kb(other, ['get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}'])).split('_')[0];
      return h && h !== leader ? h : undefined;
    }, 1000);
    const elected = Date.now() - t0;
    // The ReplicaSet controller (on the new leader) acts on a scale-down.
    await kb(other, ['scale', 'deployment', 'web', '--replicas=3']);
    await until('3 web pods', 60_000, async () => {
      const l = JSON.parse(await kb(other, ['get', 'pods', '-l', 'app=web', '-o', 'json'])) as { items: any[] };
      return l.items.filter((p) => !p.metadata.deletionTimestamp).length === 3 ? true : undefined;
    }, 1000);
    process.stdout.write(`# leader ${leader} killed: ${next} leads after ${(elected / 1000).toFixed(1)} s; scale-down done after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    assert.notEqual(next, leader);
  });

  it('kubectl delete node of a dead server removes its etcd member; the board, started again, joins afresh', async () => {
    // Bring the last test's victim back, so that one more server may die without losing the quorum.
    ok(await lab_(['start', killedLeader, '--wait', '--timeout', '180']), `lab start ${killedLeader}`);
    await until('3 etcd members again', 60_000, async () => (etcdMembers('board-2').length === 3 ? true : undefined), 1000);
    // board-3 joined with --server (board-1 was --cluster-init): the case a restart can rejoin from.
    await until('board-3 carries the etcd finalizer', 60_000, async () => ((await kb('board-2', ['get', 'node', 'board-3', '-o', 'jsonpath={.metadata.finalizers}'])).includes('etcd.bramble.io/member') ? true : undefined), 1000);
    ok(await lab_(['kill', 'board-3']), 'lab kill board-3');
    const t0 = Date.now();
    // kubectl waits for the finalizer: it returns once the member is out and the Node is gone.
    await kb('board-2', ['delete', 'node', 'board-3', '--timeout=90s']);
    const removed = Date.now() - t0;
    assert.deepEqual(etcdMembers('board-2'), ['board-1', 'board-2']);
    await kb('board-1', ['create', 'configmap', 'after-member-removal']);

    const t1 = Date.now();
    ok(await lab_(['start', 'board-3', '--wait', '--timeout', '180']), 'lab start board-3');
    await until('board-3 back as an etcd member', 60_000, async () => (etcdMembers('board-2').length === 3 ? true : undefined), 1000);
    assert.deepEqual(etcdMembers('board-3'), ['board-1', 'board-2', 'board-3']);
    // Its old data was kept aside, and its new member has every write, including the one made while it was out.
    const dbDir = path.join(lab.boards[2]!.dataDir, 'server', 'db');
    assert.ok(fs.readdirSync(dbDir).some((f) => /^etcd-old-\d+$/.test(f)), `old etcd data kept aside in ${dbDir}`);
    assert.match(await kb('board-3', ['get', 'configmap', 'after-member-removal', '-o', 'name']), /configmap\/after-member-removal/);
    process.stdout.write(`# board-3 (dead) deleted: member removed and Node gone after ${(removed / 1000).toFixed(1)} s; started again, a member with all data after ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
  });
});
