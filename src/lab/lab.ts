/**
 * `bramble lab`: a cluster of N virtual boards on one Linux machine.
 *
 *   up     bridge + per-board namespace/veth, images side-loaded, board-1 as
 *          `bramble server` (with --servers M > 1: `--cluster-init`, and
 *          boards 2..M as servers joining it with `--server`, one at a time
 *          as each adds an etcd member), the others as `bramble agent`
 *          joined with its token; DIR/kubeconfig.yaml for the host (and
 *          DIR/kubeconfig-board-N.yaml per server); waits for all nodes Ready
 *   status boards with their process and node state
 *   kill   a power cut: the board's processes die at once, its link goes down
 *   start  link up, the board's bramble starts again on the same data dir
 *   down   removes everything named in DIR/lab.json; idempotent, crash-safe
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { removeCgroupTree, unmountUnder } from '../agent/containerd/cleanup.ts';
import { HttpClient } from '../client/http.ts';
import { resources } from '../client/types.ts';
import type { Obj } from '../client/types.ts';
import { createBoardNet, createBridge, linkUp, removeBoardNet, removeBridge, setLink } from './net.ts';
import { alive, killBoard, startDetached } from './procs.ts';
import { findBoard, labId, readLab, writeLab, type BoardRecord, type LabRecord } from './state.ts';
import { cidrString, collides, defaultSubnet, hostAt, parseCIDR } from './subnet.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const brambleBin = path.join(repoRoot, 'bin', 'bramble');
const API_PORT = 6443;

export interface UpOptions {
  dir: string;
  nodes: number;
  servers: number;
  subnet?: string;
  images?: string;
  serverFlags: string[];
  timeoutMs: number;
  say: (line: string) => void;
}

/** Board-1's token as it writes it; boards join with a copy in the lab dir (below). */
const serverTokenFile = (lab: LabRecord) => path.join(lab.boards[0]!.dataDir, 'server', 'node-token');
/**
 * The copy other boards' command lines name. Not board-1's own file: `lab kill`
 * finds a board's processes by its data dir on their command lines, so naming
 * board-1's file would make killing board-1 kill every board.
 */
const tokenFile = (lab: LabRecord) => path.join(lab.dir, 'node-token');
const serverKubeconfig = (lab: LabRecord, b: BoardRecord = lab.boards[0]!) => path.join(lab.dir, 'boards', b.name, 'admin-kubeconfig.yaml');
export const hostKubeconfig = (dir: string) => path.join(path.resolve(dir), 'kubeconfig.yaml');
/** A kubeconfig for the host per server board (HA labs): reach the cluster through that board. */
export const boardKubeconfig = (dir: string, board: string) => path.join(path.resolve(dir), `kubeconfig-${board}.yaml`);
const servers = (lab: LabRecord) => lab.boards.filter((b) => b.role === 'server');
/** Kubeconfigs to try in order: board-1's first, then the other servers' (one may be down). */
function hostKubeconfigs(lab: LabRecord): string[] {
  return [hostKubeconfig(lab.dir), ...servers(lab).slice(1).map((b) => boardKubeconfig(lab.dir, b.name))].filter((f) => fs.existsSync(f));
}

/** The command line of a board's bramble; the same on first start and after a power cut. */
function boardArgv(lab: LabRecord, b: BoardRecord, serverFlags: string[]): string[] {
  const common = ['--data-dir', b.dataDir, '--node-name', b.name, '--node-ip', b.ip, '--cgroup-root', b.cgroupRoot];
  if (b.role === 'server') {
    const first = b === lab.boards[0];
    // An HA lab's first server starts the etcd cluster; the others join it through board-1 (k3s's --cluster-init / --server).
    const ha = servers(lab).length > 1 ? (first ? ['--cluster-init'] : ['--server', `https://${lab.boards[0]!.ip}:${API_PORT}`, '--token-file', tokenFile(lab)]) : [];
    return [brambleBin, 'server', ...common, '--bind-address', '0.0.0.0', '--https-listen-port', String(API_PORT), '--advertise-address', b.ip, '--tls-san', b.ip,
      '--write-kubeconfig', serverKubeconfig(lab, b), ...ha, ...serverFlags];
  }
  return [brambleBin, 'agent', ...common, '--server', `https://${lab.boards[0]!.ip}:${API_PORT}`, '--token-file', tokenFile(lab)];
}

export async function up(o: UpOptions): Promise<LabRecord> {
  const dir = path.resolve(o.dir);
  const prior = readLab(dir);
  if (prior) throw new Error(`${dir} already holds a lab (${prior.boards.length} boards): run 'bramble lab down --dir ${o.dir}' first`);
  if (o.nodes < 1 || o.nodes > 200) throw new Error('--nodes must be between 1 and 200');
  if (o.servers < 1 || o.servers > o.nodes) throw new Error('--servers must be between 1 and --nodes');
  const subnet = o.subnet ? parseCIDR(o.subnet) : defaultSubnet();
  if (o.subnet && collides(subnet)) throw new Error(`subnet ${o.subnet} overlaps a route the host already has (see 'ip route')`);
  fs.mkdirSync(dir, { recursive: true });
  const id = labId(dir);
  const lab: LabRecord = {
    id,
    dir,
    subnet: cidrString(subnet),
    bridge: `brl-${id}`,
    hostAddress: `${hostAt(subnet, 1)}/${subnet.prefix}`,
    serverFlags: o.serverFlags,
    boards: Array.from({ length: o.nodes }, (_, i) => {
      const name = `board-${i + 1}`;
      const boardDir = path.join(dir, 'boards', name);
      return {
        name,
        ip: hostAt(subnet, i + 2),
        role: i < o.servers ? 'server' : 'agent',
        netns: `bl-${id}-${name}`,
        veth: `vl${id}-${i + 1}`,
        cgroupRoot: `bramble-${id}-${name}`,
        dataDir: path.join(boardDir, 'data'),
        log: path.join(boardDir, 'log'),
      } satisfies BoardRecord;
    }),
  };
  // Recorded before anything exists: from here on, `lab down` can undo whatever follows.
  writeLab(lab);
  const started = Date.now();

  createBridge(lab);
  for (const b of lab.boards) createBoardNet(lab, b);
  o.say(`LAN ${lab.subnet} on bridge ${lab.bridge} (host ${lab.hostAddress.split('/')[0]})`);
  sideLoadImages(lab, o.images, o.say);

  // Servers one at a time: each waits for the one before (a joining server adds its etcd member through board-1,
  // and two members joining at once could leave the cluster without quorum).
  for (const server of servers(lab)) {
    server.proc = startDetached(server, boardArgv(lab, server, o.serverFlags));
    writeLab(lab);
    o.say(`${server.name}  ${server.ip}  server  (log: ${server.log})`);
    await waitFor(() => fs.existsSync(serverTokenFile(lab)) && fs.existsSync(serverKubeconfig(lab, server)), o.timeoutMs, () => `${server.name}'s server did not come up:\n${tail(server.log)}`, () => {
      if (!alive(server.proc)) throw new Error(`${server.name}'s server exited:\n${tail(server.log)}`);
    });
    writeHostKubeconfig(lab, server);
    if (server === lab.boards[0]) fs.copyFileSync(serverTokenFile(lab), tokenFile(lab));
  }

  for (const b of lab.boards.filter((x) => x.role === 'agent')) {
    b.proc = startDetached(b, boardArgv(lab, b, o.serverFlags));
    writeLab(lab);
    o.say(`${b.name}  ${b.ip}  agent   (log: ${b.log})`);
  }
  await waitReady(lab, lab.boards.map((b) => b.name), o.timeoutMs, o.say);
  o.say(`all ${o.nodes} nodes Ready after ${((Date.now() - started) / 1000).toFixed(1)} s; kubeconfig: ${hostKubeconfig(dir)}`);
  return lab;
}

/**
 * The test images (or the user's tarballs) into every board's agent/images/,
 * imported by each agent at start as on an air-gapped board.
 */
function sideLoadImages(lab: LabRecord, imagesDir: string | undefined, say: (l: string) => void): void {
  let src = imagesDir;
  let skip = new Set<string>();
  if (!src) {
    src = path.join(lab.dir, 'images');
    say('building the test images (scripts/build-test-images.ts)');
    execFileSync(path.join(repoRoot, 'node_modules/.bin/node'), [path.join(repoRoot, 'scripts/build-test-images.ts'), '--out', src], { stdio: ['ignore', 'ignore', 'inherit'] });
    // The agent brings its own sandbox image.
    skip = new Set(['pause.tar']);
  }
  const tars = fs.readdirSync(src).filter((f) => /\.tar(\.gz|\.zst)?$/.test(f) && !skip.has(f));
  for (const b of lab.boards) {
    const dest = path.join(b.dataDir, 'agent', 'images');
    fs.mkdirSync(dest, { recursive: true });
    for (const f of tars) fs.copyFileSync(path.join(src, f), path.join(dest, f));
  }
  say(`side-loaded ${tars.length} image archive(s) onto ${lab.boards.length} boards`);
}

/** A server's admin kubeconfig, pointed at its board's LAN address (its certificate names it: --tls-san). Board-1's is DIR/kubeconfig.yaml. */
function writeHostKubeconfig(lab: LabRecord, b: BoardRecord): void {
  const text = fs.readFileSync(serverKubeconfig(lab, b), 'utf8');
  const out = text.replace(/^(\s*server:\s*)\S+$/m, `$1https://${b.ip}:${API_PORT}`);
  fs.writeFileSync(b === lab.boards[0] ? hostKubeconfig(lab.dir) : boardKubeconfig(lab.dir, b.name), out, { mode: 0o600 });
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, fail: () => string, check?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    check?.();
    if (Date.now() > deadline) throw new Error(fail());
    await new Promise((r) => setTimeout(r, 250));
  }
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Node name → Ready condition status ('True', 'False', 'Unknown'), read through the host kubeconfig. */
export async function nodeReadiness(lab: LabRecord): Promise<Map<string, string>> {
  let last: unknown = new Error('no kubeconfig yet');
  for (const file of hostKubeconfigs(lab)) {
    try {
      return await readinessVia(file);
    } catch (e) {
      last = e;
    }
  }
  if (hostKubeconfigs(lab).length === 0) return new Map();
  throw last;
}

async function readinessVia(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const client = HttpClient.fromKubeconfig(file);
  // The client's session is unref'd: this (ref'd) timer keeps the process alive while the answer is awaited.
  let timer: NodeJS.Timeout | undefined;
  try {
    const list = await Promise.race([client.list(resources.nodes, ''), new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('the API did not answer within 5 s')), 5000)))]);
    for (const n of list.items as Obj[]) {
      const conds = ((n['status'] as Record<string, unknown> | undefined)?.['conditions'] ?? []) as { type: string; status: string }[];
      out.set(String((n['metadata'] as Record<string, unknown>)['name']), conds.find((c) => c.type === 'Ready')?.status ?? 'Unknown');
    }
  } finally {
    clearTimeout(timer);
    client.close();
  }
  return out;
}

async function waitReady(lab: LabRecord, names: string[], timeoutMs: number, say: (l: string) => void): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const ready = await nodeReadiness(lab).catch(() => new Map<string, string>());
      const done = names.filter((n) => ready.get(n) === 'True');
      const line = `${done.length}/${names.length} Ready${done.length < names.length ? ` (waiting for ${names.filter((n) => !done.includes(n)).join(', ')})` : ''}`;
      if (line !== last) say(line);
      last = line;
      return done.length === names.length;
    },
    timeoutMs,
    () => `nodes not Ready within ${timeoutMs / 1000} s (${last}); logs under ${path.join(lab.dir, 'boards')}`,
    () => {
      for (const b of lab.boards) if (names.includes(b.name) && !alive(b.proc)) throw new Error(`${b.name} exited:\n${tail(b.log)}`);
    },
  );
}

export function mustRead(dir: string): LabRecord {
  const lab = readLab(path.resolve(dir));
  if (!lab) throw new Error(`no lab in ${dir} (no lab.json)`);
  return lab;
}

export interface BoardStatus {
  name: string;
  ip: string;
  role: string;
  running: boolean;
  link: boolean;
  ready: string;
}

export async function status(dir: string): Promise<BoardStatus[]> {
  const lab = mustRead(dir);
  const ready = await nodeReadiness(lab).catch(() => new Map<string, string>());
  return lab.boards.map((b) => ({ name: b.name, ip: b.ip, role: b.role, running: alive(b.proc), link: linkUp(b.veth), ready: ready.get(b.name) ?? (ready.size ? 'absent' : 'unreachable') }));
}

export async function killOne(dir: string, name: string): Promise<void> {
  const lab = mustRead(dir);
  const b = findBoard(lab, name);
  await killBoard(b);
  setLink(b, false);
}

export async function startOne(dir: string, name: string, o: { wait: boolean; timeoutMs: number; say: (l: string) => void }): Promise<void> {
  const lab = mustRead(dir);
  const b = findBoard(lab, name);
  if (alive(b.proc)) throw new Error(`${name} is running (pid ${b.proc!.pid}); 'bramble lab kill' it first`);
  setLink(b, true);
  b.proc = startDetached(b, boardArgv(lab, b, lab.serverFlags));
  writeLab(lab);
  o.say(`${b.name}  ${b.ip}  ${b.role}  started (pid ${b.proc.pid})`);
  if (o.wait) await waitReady(lab, [b.name], o.timeoutMs, o.say);
}

/** Everything in lab.json goes, whatever state it is in; running it twice is harmless. */
export async function down(dir: string, say: (l: string) => void): Promise<void> {
  const lab = readLab(path.resolve(dir));
  if (!lab) {
    say(`no lab in ${dir}: nothing to do`);
    return;
  }
  // Agents first, then the server, all as power cuts: nothing of the lab needs a clean stop.
  for (const b of [...lab.boards].reverse()) await killBoard(b);
  unmountUnder(lab.dir);
  const left: string[] = [];
  for (const b of lab.boards) {
    left.push(...removeCgroupTree(b.cgroupRoot));
    removeBoardNet(b);
  }
  removeBridge(lab);
  if (left.length) say(`cgroups still holding processes (not removed): ${left.join(', ')}`);
  // The boards' files go too (a later `up` in DIR starts afresh); the record last: until here, a rerun finds what is left.
  for (const f of ['boards', 'images', 'kubeconfig.yaml', 'node-token', ...lab.boards.map((b) => `kubeconfig-${b.name}.yaml`)]) fs.rmSync(path.join(lab.dir, f), { recursive: true, force: true });
  fs.rmSync(path.join(lab.dir, 'lab.json'), { force: true });
  say(`lab ${lab.id} removed (${lab.boards.length} boards, bridge ${lab.bridge})`);
}
