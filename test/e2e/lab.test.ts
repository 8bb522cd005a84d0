/**
 * `bramble lab` end to end, as root, with real namespaces, bridge, veths,
 * containerd and containers: three boards come up Ready on the lab's LAN,
 * pods spread onto every board with addresses from their node's podCIDR, a
 * power cut makes a node NotReady and a restart brings it back, and `down`
 * leaves no namespace, link, process, mount, cgroup or file of the lab.
 * (Cross-board pod routing is another piece; it is not asserted here.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { run } from '../harness/server.ts';
import { labHelpers, ok, spreadHello, until, useLab } from '../harness/lab.ts';
import type { LabRecord } from '../../src/lab/state.ts';

let lab: LabRecord;

// Whatever fails, nothing of the lab may stay behind (useLab's after hook runs `lab down`).
const { dir, home, lab: lab_, k } = useLab('lab', ['--nodes', '3', '--server-flag=--node-monitor-grace-period=15s', '--timeout', '240'], {
  onUp: (l, stdout) => {
    lab = l;
    process.stdout.write(`${stdout.replace(/^/gm, '#   ')}\n`);
  },
});
const kubeconfig = path.join(dir, 'kubeconfig.yaml');

interface NodeInfo {
  name: string;
  ready: string;
  internalIP: string;
  podCIDR: string;
}
async function nodes(): Promise<NodeInfo[]> {
  const list = JSON.parse(await k(['get', 'nodes', '-o', 'json'])) as { items: any[] };
  return list.items.map((n) => ({
    name: n.metadata.name,
    ready: n.status.conditions.find((c: any) => c.type === 'Ready')?.status,
    internalIP: n.status.addresses.find((a: any) => a.type === 'InternalIP')?.address,
    podCIDR: n.spec.podCIDR,
  }));
}
/** Processes whose command line mentions `needle` (a scan of /proc, so the scanner is not among them). */
function procsMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (argv.includes(needle)) found.push(`${e}: ${argv.replace(/\0/g, ' ')}`);
    } catch {
      /* exited */
    }
  }
  return found;
}
const ipNum = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
function inCIDR(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipNum(ip) / size) === Math.floor(ipNum(base!) / size);
}
/** Waits until the node's Ready condition satisfies `want` (NotReady: 'False' or 'Unknown'). */
const nodeReady = (name: string, want: (s: string | undefined) => boolean, what: string) =>
  until(`${name} ${what}`, 120_000, async () => (want((await nodes()).find((n) => n.name === name)?.ready) ? true : undefined));

describe('bramble lab', () => {
  it('refuses more --servers than --nodes with the reason, creating nothing', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-lab-servers-'));
    try {
      const r = await labHelpers(other, home).lab(['up', '--nodes', '2', '--servers', '3']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--servers must be between 1 and --nodes/);
      assert.equal(fs.existsSync(path.join(other, 'lab.json')), false);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('brings up 3 Ready nodes with InternalIPs on the lab subnet, reachable from the host', async () => {
    const ns = await nodes();
    assert.deepEqual(ns.map((n) => n.name).sort(), ['board-1', 'board-2', 'board-3']);
    for (const n of ns) {
      assert.equal(n.ready, 'True', n.name);
      assert.ok(inCIDR(n.internalIP, lab.subnet), `${n.name} ${n.internalIP} not in ${lab.subnet}`);
      assert.equal(n.internalIP, lab.boards.find((b) => b.name === n.name)!.ip);
    }
    // The host kubeconfig talks to board-1 over the LAN, not loopback.
    assert.match(fs.readFileSync(kubeconfig, 'utf8'), new RegExp(`server: https://${lab.boards[0]!.ip.replace(/\./g, '\\.')}:6443`));
    // Each board really is its own namespace with its LAN address on eth0.
    for (const b of lab.boards) {
      const out = spawnSync('ip', ['-n', b.netns, '-4', '-o', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' }).stdout;
      assert.match(out, new RegExp(`inet ${b.ip.replace(/\./g, '\\.')}/`), b.name);
    }
  });

  it('status lists every board running with its node Ready', async () => {
    const out = ok(await lab_(['status']), 'lab status');
    for (const b of lab.boards) assert.match(out, new RegExp(`^${b.name}\\s+${b.ip.replace(/\./g, '\\.')}\\s+${b.role}\\s+running\\s+up\\s+True$`, 'm'), out);
  });

  it('schedules a spread deployment onto every board, pods get IPs from their node\'s podCIDR', async () => {
    const ns = await nodes();
    const pods = await spreadHello(k, 3);
    assert.deepEqual(pods.map((p) => p.spec.nodeName).sort(), ['board-1', 'board-2', 'board-3']);
    for (const p of pods) {
      const node = ns.find((n) => n.name === p.spec.nodeName)!;
      assert.ok(inCIDR(p.status.podIP, node.podCIDR), `${p.metadata.name} on ${node.name}: ${p.status.podIP} not in ${node.podCIDR}`);
    }
  });

  it('kill cuts a board off (node NotReady, process dead, link down); start brings it back Ready', async () => {
    const b3 = lab.boards.find((b) => b.name === 'board-3')!;
    ok(await lab_(['kill', 'board-3']), 'lab kill');
    // Its bramble, containerd and containers are gone at once.
    assert.deepEqual(procsMentioning(b3.dataDir), [], 'processes of board-3 still alive');
    let out = ok(await lab_(['status']), 'lab status');
    assert.match(out, /^board-3\s+\S+\s+agent\s+dead\s+down\s/m, out);
    const t0 = Date.now();
    await nodeReady('board-3', (s) => s !== 'True', 'NotReady');
    process.stdout.write(`# board-3 NotReady ${((Date.now() - t0) / 1000).toFixed(1)} s after the power cut (grace period 15 s)\n`);
    assert.equal((await nodes()).find((n) => n.name === 'board-2')!.ready, 'True');

    ok(await lab_(['start', 'board-3']), 'lab start');
    await nodeReady('board-3', (s) => s === 'True', 'Ready');
    out = ok(await lab_(['status']), 'lab status');
    assert.match(out, /^board-3\s+\S+\s+agent\s+running\s+up\s+True$/m, out);
  });

  it('down removes every namespace, link, process, mount, cgroup and file of the lab, and is idempotent', async () => {
    ok(await lab_(['down']), 'lab down');
    ok(await lab_(['down']), 'second lab down');
    const netns = fs.existsSync('/var/run/netns') ? fs.readdirSync('/var/run/netns') : [];
    assert.deepEqual(netns.filter((n) => n.includes(lab.id)), []);
    const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
    assert.ok(!links.includes(lab.bridge), `bridge ${lab.bridge} left`);
    for (const b of lab.boards) assert.ok(!links.includes(`${b.veth}@`) && !links.includes(`${b.veth}:`), `veth ${b.veth} left`);
    assert.deepEqual(procsMentioning(dir), [], 'processes of the lab still alive');
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir));
    assert.deepEqual(mounts, []);
    const cgroups = spawnSync('sh', ['-c', `find /sys/fs/cgroup -maxdepth 4 -name 'bramble-${lab.id}-*'`], { encoding: 'utf8' }).stdout.trim();
    assert.equal(cgroups, '', `cgroups left: ${cgroups}`);
    assert.ok(!fs.existsSync(path.join(dir, 'lab.json')));
    assert.ok(!fs.existsSync(path.join(dir, 'boards')));
    // The host route to the lab's LAN went with the bridge.
    assert.ok(!spawnSync('ip', ['route'], { encoding: 'utf8' }).stdout.includes(lab.subnet));
  });
});
