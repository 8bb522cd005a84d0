/**
 * The pod network across boards (src/agent/network/routes.ts, flannel's
 * host-gw), end to end in `bramble lab` as root: three boards, a pod on
 * each; every board routes the other boards' podCIDRs via their LAN
 * addresses; a pod on board-2 reaches the pods on board-1 and board-3 by pod
 * IP and they see its own address (not masqueraded); a ClusterIP Service
 * over the three pods, asked from board-1, is answered by all three; a dead
 * board whose Node is deleted loses its route on the others.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { clusterIPHits, ok, spreadHello, until, useLab } from '../harness/lab.ts';
import type { LabRecord } from '../../src/lab/state.ts';

let lab: LabRecord;

const { lab: lab_, k } = useLab('labnet', ['--nodes', '3', '--server-flag=--node-monitor-grace-period=15s', '--timeout', '240'], { onUp: (l) => void (lab = l) });

interface Pod {
  name: string;
  node: string;
  ip: string;
}
let pods: Pod[] = [];
const podOn = (node: string) => pods.find((p) => p.node === node)!;
let nodeInfo: { name: string; ip: string; podCIDR: string }[] = [];

/** Our routes in a board's main table: dst → gateway. */
function boardRoutes(board: string): Record<string, string> {
  const b = lab.boards.find((x) => x.name === board)!;
  const out = spawnSync('ip', ['-n', b.netns, '-json', '-4', 'route', 'show', 'proto', '66'], { encoding: 'utf8' }).stdout;
  return Object.fromEntries((JSON.parse(out || '[]') as { dst: string; gateway: string }[]).map((r) => [r.dst, r.gateway]));
}
const sameRoutes = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
/** An HTTP GET from inside a pod with busybox nc (busybox's static wget crashes). */
const get = (from: string, ip: string, port: number) => k(['exec', from, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port}`]);

describe('pod network across boards (host-gw)', () => {
  it('spreads a pod onto each board', async () => {
    const list = await spreadHello(k, 3);
    pods = list.map((p) => ({ name: p.metadata.name, node: p.spec.nodeName, ip: p.status.podIP }));
    assert.deepEqual(pods.map((p) => p.node).sort(), ['board-1', 'board-2', 'board-3']);
    const ns = JSON.parse(await k(['get', 'nodes', '-o', 'json'])) as { items: any[] };
    nodeInfo = ns.items.map((n) => ({ name: n.metadata.name, ip: n.status.addresses.find((a: any) => a.type === 'InternalIP').address, podCIDR: n.spec.podCIDR }));
  });

  it('every board routes the other boards\' podCIDRs via their LAN addresses', async () => {
    for (const b of lab.boards) {
      const want = Object.fromEntries(nodeInfo.filter((n) => n.name !== b.name).map((n) => [n.podCIDR, n.ip]));
      await until(`routes on ${b.name}`, 30_000, async () => (sameRoutes(boardRoutes(b.name), want) ? true : undefined)).catch((e) => {
        throw new Error(`${b.name}: ${JSON.stringify(boardRoutes(b.name))} != ${JSON.stringify(want)} (${(e as Error).message})`);
      });
      // Traffic leaving the cluster CIDR is masqueraded by our one rule (the CNI bridge's ipMasq is off).
      const nat = spawnSync('ip', ['netns', 'exec', b.netns, 'nft', 'list', 'table', 'ip', 'bramble-net'], { encoding: 'utf8' }).stdout;
      assert.match(nat, /ip saddr 10\.42\.0\.0\/16 ip daddr != 10\.42\.0\.0\/16 masquerade/, `${b.name}: ${nat}`);
    }
  });

  it('a pod on board-2 reaches the pods on board-1 and board-3 by pod IP, keeping its own address', async () => {
    const client = podOn('board-2');
    for (const target of [podOn('board-1'), podOn('board-3')]) {
      const t0 = Date.now();
      const body = await get(client.name, target.ip, 8080);
      assert.match(body, /^HTTP\/1\.[01] 200/, `${target.node}: ${body}`);
      process.stdout.write(`# board-2 pod -> ${target.node} pod ${target.ip}:8080 answered in ${Date.now() - t0} ms (kubectl exec included)\n`);
      // httpd -v logs the peer: the client pod's address, not board-2's.
      const logs = await until(`${target.name} logs the request`, 10_000, async () => {
        const l = await k(['logs', target.name]);
        return l.includes(client.ip) ? l : undefined;
      }).catch(async () => k(['logs', target.name]));
      assert.ok(logs.includes(client.ip), `${target.name} did not see ${client.ip}:\n${logs}`);
      const board2 = nodeInfo.find((n) => n.name === 'board-2')!.ip;
      assert.ok(!logs.includes(`${board2}]`) && !logs.includes(`${board2}:`), `${target.name} saw board-2's address (masqueraded):\n${logs}`);
    }
  });

  it('a ClusterIP Service over the three pods, asked from board-1, is answered by all three', async () => {
    const { clusterIP, hits } = await clusterIPHits(k, pods, podOn('board-1').name);
    process.stdout.write(`# ClusterIP ${clusterIP} from board-1: hits per board ${JSON.stringify(hits)}\n`);
    for (const p of pods) assert.ok(hits[p.node]! > 0, `no request reached ${p.node}: ${JSON.stringify(hits)}`);
  });

  it('a dead board whose Node is deleted loses its route on the others', async () => {
    const b3 = nodeInfo.find((n) => n.name === 'board-3')!;
    ok(await lab_(['kill', 'board-3']), 'lab kill');
    // The route stays while the Node exists (as flannel's: a NotReady node may come back).
    assert.equal(boardRoutes('board-1')[b3.podCIDR], b3.ip);
    const t0 = Date.now();
    await k(['delete', 'node', 'board-3', '--wait=false']);
    for (const b of ['board-1', 'board-2']) {
      await until(`${b} to drop board-3's route`, 30_000, async () => (boardRoutes(b)[b3.podCIDR] === undefined ? true : undefined));
    }
    process.stdout.write(`# board-3's route gone from board-1 and board-2 ${Date.now() - t0} ms after the Node was deleted\n`);
    // The other board's route is untouched.
    const b2 = nodeInfo.find((n) => n.name === 'board-2')!;
    assert.equal(boardRoutes('board-1')[b2.podCIDR], b2.ip);
  });
});
