/**
 * The vxlan pod network backend (src/agent/network/vxlan.ts, flannel's
 * vxlan), end to end in `bramble lab` as root: three boards, the server
 * started with `--flannel-backend=vxlan` and the two agents learning it
 * when they join. Each board has flannel.1 (VNI 1, port 8472, MTU 50 below
 * its LAN's) and publishes flannel's annotations on its Node; every board
 * routes the other podCIDRs through flannel.1 with a neighbour and a
 * forwarding entry per peer; pods get the smaller MTU; a pod on board-2
 * reaches the pods on board-1 and board-3 by pod IP with its own address
 * (not masqueraded), through the tunnel; a ClusterIP Service asked from
 * board-1 is answered by pods on all three boards; a deleted Node's route,
 * neighbour and forwarding entry go from the others.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { clusterIPHits, ok, spreadHello, until, useLab } from '../harness/lab.ts';
import type { LabRecord } from '../../src/lab/state.ts';

let lab: LabRecord;

const { lab: lab_, k } = useLab('labvx', ['--nodes', '3', '--server-flag=--flannel-backend=vxlan', '--server-flag=--node-monitor-grace-period=15s', '--timeout', '240'], { onUp: (l) => void (lab = l) });

interface Pod {
  name: string;
  node: string;
  ip: string;
}
let pods: Pod[] = [];
const podOn = (node: string) => pods.find((p) => p.node === node)!;
let nodeInfo: { name: string; ip: string; podCIDR: string; annotations: Record<string, string> }[] = [];

const netns = (board: string) => lab.boards.find((x) => x.name === board)!.netns;
const inBoard = (board: string, cmd: string, ...args: string[]) => spawnSync(cmd, [cmd === 'ip' || cmd === 'bridge' ? '-n' : '', netns(board), ...args].filter(Boolean), { encoding: 'utf8' }).stdout;
const jsonIn = <T>(board: string, cmd: string, ...args: string[]) => JSON.parse(inBoard(board, cmd, '-json', ...args) || '[]') as T;
/** Our routes on a board: dst → "gateway dev". */
const boardRoutes = (board: string): Record<string, string> =>
  Object.fromEntries(jsonIn<{ dst: string; gateway: string; dev: string }[]>(board, 'ip', '-4', 'route', 'show', 'proto', '66').map((r) => [r.dst, `${r.gateway} ${r.dev}`]));
const boardNeigh = (board: string): Record<string, string> =>
  Object.fromEntries(jsonIn<{ dst: string; lladdr: string }[]>(board, 'ip', '-4', 'neigh', 'show', 'dev', 'flannel.1', 'nud', 'permanent').map((n) => [n.dst, n.lladdr]));
const boardFdb = (board: string): Record<string, string> =>
  Object.fromEntries(jsonIn<{ mac: string; dst?: string }[]>(board, 'bridge', 'fdb', 'show', 'dev', 'flannel.1').filter((f) => f.dst).map((f) => [f.mac, f.dst!]));
const flannel1 = (board: string) => jsonIn<any[]>(board, 'ip', '-d', '-s', 'link', 'show', 'dev', 'flannel.1')[0];
const same = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
const network = (cidr: string) => cidr.split('/')[0]!;
const vtepMAC = (n: { annotations: Record<string, string> }) => (JSON.parse(n.annotations['flannel.alpha.coreos.com/backend-data']!) as { VtepMAC: string }).VtepMAC;
/** An HTTP GET from inside a pod with busybox nc (busybox's static wget crashes). */
const get = (from: string, ip: string, port: number) => k(['exec', from, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port}`]);

describe('pod network across boards (vxlan)', () => {
  it('every board publishes flannel\'s vxlan annotations and has flannel.1 as flannel makes it', async () => {
    const nodes = await until('3 nodes with a podCIDR and vxlan annotations', 60_000, async () => {
      const ns = JSON.parse(await k(['get', 'nodes', '-o', 'json'])) as { items: any[] };
      const all = ns.items.map((n) => ({ name: n.metadata.name, ip: n.status.addresses.find((a: any) => a.type === 'InternalIP').address, podCIDR: n.spec.podCIDR, annotations: n.metadata.annotations ?? {} }));
      return all.length === 3 && all.every((n) => n.podCIDR && n.annotations['flannel.alpha.coreos.com/backend-type'] === 'vxlan') ? all : undefined;
    });
    nodeInfo = nodes;
    for (const n of nodes) {
      assert.equal(n.annotations['flannel.alpha.coreos.com/public-ip'], n.ip, n.name);
      const data = JSON.parse(n.annotations['flannel.alpha.coreos.com/backend-data']!);
      assert.equal(data.VNI, 1, n.name);
      const l = flannel1(n.name);
      assert.ok(l, `${n.name} has no flannel.1`);
      assert.equal(data.VtepMAC, l.address, `${n.name}: annotation names the device's MAC`);
      const d = l.linkinfo.info_data;
      assert.deepEqual([l.linkinfo.info_kind, d.id, d.port, d.local, d.learning], ['vxlan', 1, 8472, n.ip, false], n.name);
      const eth0 = jsonIn<any[]>(n.name, 'ip', 'link', 'show', 'dev', 'eth0')[0];
      assert.equal(l.mtu, eth0.mtu - 50, `${n.name}: MTU`);
      assert.ok(l.flags.includes('UP'), `${n.name}: flannel.1 is up`);
      const addrs = jsonIn<any[]>(n.name, 'ip', '-4', 'addr', 'show', 'dev', 'flannel.1')[0].addr_info.map((a: any) => `${a.local}/${a.prefixlen}`);
      assert.deepEqual(addrs, [`${network(n.podCIDR)}/32`], n.name);
    }
  });

  it('every board routes the other podCIDRs through flannel.1, with a neighbour and a forwarding entry per peer', async () => {
    for (const b of lab.boards) {
      const others = nodeInfo.filter((n) => n.name !== b.name);
      const want = {
        routes: Object.fromEntries(others.map((n) => [n.podCIDR, `${network(n.podCIDR)} flannel.1`])),
        neigh: Object.fromEntries(others.map((n) => [network(n.podCIDR), vtepMAC(n)])),
        fdb: Object.fromEntries(others.map((n) => [vtepMAC(n), n.ip])),
      };
      const have = () => ({ routes: boardRoutes(b.name), neigh: boardNeigh(b.name), fdb: boardFdb(b.name) });
      await until(`vxlan entries on ${b.name}`, 30_000, async () => {
        const h = have();
        return same(h.routes, want.routes) && same(h.neigh, want.neigh) && same(h.fdb, want.fdb) ? true : undefined;
      }).catch((e) => {
        throw new Error(`${b.name}: ${JSON.stringify(have())} != ${JSON.stringify(want)} (${(e as Error).message})`);
      });
      process.stdout.write(`# ${b.name}: ${inBoard(b.name, 'ip', '-4', 'route', 'show', 'proto', '66').trim().replace(/\n/g, '; ')}\n`);
      const nat = spawnSync('ip', ['netns', 'exec', b.netns, 'nft', 'list', 'table', 'ip', 'bramble-net'], { encoding: 'utf8' }).stdout;
      assert.match(nat, /ip saddr 10\.42\.0\.0\/16 ip daddr != 10\.42\.0\.0\/16 masquerade/, `${b.name}: ${nat}`);
    }
  });

  it('spreads a pod onto each board, with the MTU lowered for the tunnel', async () => {
    const list = await spreadHello(k, 3);
    pods = list.map((p) => ({ name: p.metadata.name, node: p.spec.nodeName, ip: p.status.podIP }));
    assert.deepEqual(pods.map((p) => p.node).sort(), ['board-1', 'board-2', 'board-3']);
    for (const p of pods) {
      const mtu = (await k(['exec', p.name, '--', 'cat', '/sys/class/net/eth0/mtu'])).trim();
      assert.equal(mtu, String(flannel1(p.node).mtu), `${p.name} on ${p.node}: pod MTU`);
    }
  });

  it('a pod on board-2 reaches the pods on board-1 and board-3 by pod IP through the tunnel, keeping its own address', async () => {
    const client = podOn('board-2');
    const txBefore = flannel1('board-2').stats64.tx.packets as number;
    for (const target of [podOn('board-1'), podOn('board-3')]) {
      const t0 = Date.now();
      const body = await get(client.name, target.ip, 8080);
      assert.match(body, /^HTTP\/1\.[01] 200/, `${target.node}: ${body}`);
      process.stdout.write(`# board-2 pod -> ${target.node} pod ${target.ip}:8080 answered in ${Date.now() - t0} ms (kubectl exec included)\n`);
      const logs = await until(`${target.name} logs the request`, 10_000, async () => {
        const l = await k(['logs', target.name]);
        return l.includes(client.ip) ? l : undefined;
      }).catch(async () => k(['logs', target.name]));
      assert.ok(logs.includes(client.ip), `${target.name} did not see ${client.ip}:\n${logs}`);
      const board2 = nodeInfo.find((n) => n.name === 'board-2')!.ip;
      assert.ok(!logs.includes(`${board2}]`) && !logs.includes(`${board2}:`), `${target.name} saw board-2's address (masqueraded):\n${logs}`);
    }
    const sent = (flannel1('board-2').stats64.tx.packets as number) - txBefore;
    assert.ok(sent > 0, 'the requests left board-2 through flannel.1');
    process.stdout.write(`# flannel.1 on board-2 sent ${sent} packets for the two requests\n`);
  });

  it('a ClusterIP Service over the three pods, asked from board-1, is answered by all three', async () => {
    const { clusterIP, hits } = await clusterIPHits(k, pods, podOn('board-1').name);
    process.stdout.write(`# ClusterIP ${clusterIP} from board-1: hits per board ${JSON.stringify(hits)}\n`);
    for (const p of pods) assert.ok(hits[p.node]! > 0, `no request reached ${p.node}: ${JSON.stringify(hits)}`);
  });

  it('a dead board whose Node is deleted loses its route, neighbour and forwarding entry on the others', async () => {
    const b3 = nodeInfo.find((n) => n.name === 'board-3')!;
    const b2 = nodeInfo.find((n) => n.name === 'board-2')!;
    ok(await lab_(['kill', 'board-3']), 'lab kill');
    // Everything stays while the Node exists (as flannel's: a NotReady node may come back).
    assert.equal(boardRoutes('board-1')[b3.podCIDR], `${network(b3.podCIDR)} flannel.1`);
    const t0 = Date.now();
    await k(['delete', 'node', 'board-3', '--wait=false']);
    for (const b of ['board-1', 'board-2']) {
      await until(`${b} to drop board-3's entries`, 30_000, async () =>
        boardRoutes(b)[b3.podCIDR] === undefined && boardNeigh(b)[network(b3.podCIDR)] === undefined && boardFdb(b)[vtepMAC(b3)] === undefined ? true : undefined,
      );
    }
    process.stdout.write(`# board-3's route, neighbour and fdb entry gone from board-1 and board-2 ${Date.now() - t0} ms after the Node was deleted\n`);
    assert.equal(boardRoutes('board-1')[b2.podCIDR], `${network(b2.podCIDR)} flannel.1`);
    assert.equal(boardFdb('board-1')[vtepMAC(b2)], b2.ip);
  });
});
