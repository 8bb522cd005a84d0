/**
 * One real board for end-to-end tests: `bramble server` with its embedded
 * agent on containerd, run inside a network namespace this harness creates
 * (entered with `nsenter --net`, not `ip netns exec`, which would also remount
 * /sys and hide the cgroup filesystem from runc), so the agent's containerd, the cni0 bridge, masquerade
 * rules and pod addresses stay inside it. kubectl and any probing command
 * run inside the namespace too (`board.k`, `board.sh`): to them the board's
 * loopback is the server's and pod IPs are routed locally, as on a Pi.
 *
 * The offline test images (scripts/build-test-images.ts) are dropped into
 * `<data-dir>/agent/images/` before start, so the agent imports them as an
 * air-gapped board would.
 *
 * `stop()` removes everything even after a failure: the server (SIGTERM,
 * then SIGKILL), the containers it leaves running (shims of its containerd),
 * mounts under the board's directory, its pod cgroups and the namespace.
 * Needs root.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killShims, removeCgroupTree, unmountUnder } from '../../src/agent/containerd/cleanup.ts';
import { brambleBin, kubectlBin, repoRoot, run, type RunResult } from './server.ts';

/** The board's address on its (dummy) LAN, and the gateway of its default route. */
export const BOARD_IP = '192.168.250.2';
const BOARD_GATEWAY = '192.168.250.1';

export interface Board {
  name: string;
  dir: string;
  dataDir: string;
  netns: string;
  kubeconfig: string;
  /** The containerd socket of the embedded agent. */
  criSocket: string;
  /** kubectl inside the namespace; throws on a non-zero exit. */
  k(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string>;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<RunResult>;
  /** The prefix that runs a command inside the namespace. */
  enter: string[];
  /** A command inside the namespace. */
  sh(cmd: string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** A long-running command inside the namespace (killed by stop()). */
  spawnIn(cmd: string[]): ChildProcess;
  log(): string;
  /** SIGKILLs the server (and so its embedded agent); containerd and the containers keep running. */
  kill(): Promise<void>;
  /** SIGTERMs the server: a clean stop; containers keep running. */
  halt(): Promise<void>;
  /** Power loss: the server, containerd and every container die at once. */
  powerOff(): Promise<void>;
  /** Starts the server again on the same data dir (after kill, halt or powerOff). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBoard(opts: { name?: string; extraArgs?: string[]; timeoutMs?: number } = {}): Promise<Board> {
  const name = opts.name ?? `board-${process.pid}`;
  const netns = `bramble-b${process.pid}`;
  const cgroupRoot = `bramble-b${process.pid}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-board-'));
  const dataDir = path.join(dir, 'data');
  const kubeconfig = path.join(dir, 'kubeconfig.yaml');
  const logFile = path.join(dir, 'server.log');
  const criSocket = path.join(dataDir, 'agent', 'containerd', 'containerd.sock');
  const children = new Set<ChildProcess>();
  let server: ChildProcess | undefined;

  const stop = async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      const t = setTimeout(() => server!.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    // The agent leaves containers running when it stops (as the kubelet does): end them here.
    await killShims(criSocket).catch(() => 0);
    // containerd itself is a child of the server; if the server was killed it may linger.
    for (const pid of containerdPids(criSocket)) process.kill(pid, 'SIGKILL');
    unmountUnder(dir);
    removeCgroupTree(cgroupRoot);
    if (fs.existsSync(`/var/run/netns/${netns}`)) spawnSync('ip', ['netns', 'del', netns]);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const serverArgs = [`--net=/var/run/netns/${netns}`, brambleBin, 'server', '--data-dir', dataDir, '--bind-address', '127.0.0.1', '--https-listen-port', '0', '--write-kubeconfig', kubeconfig,
    '--agent-runtime', 'containerd', '--agent-port', '0', '--node-name', name, '--cgroup-root', cgroupRoot, '--advertise-address', BOARD_IP, ...(opts.extraArgs ?? [])];
  const launch = async () => {
    fs.rmSync(kubeconfig, { force: true });
    const out = fs.openSync(logFile, 'a');
    const proc = spawn('nsenter', serverArgs, { stdio: ['ignore', out, out] });
    server = proc;
    fs.closeSync(out);
    // If the test process dies, the board's server must not outlive it (stop() is the clean path).
    process.once('exit', () => proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL'));
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    while (!fs.existsSync(kubeconfig)) {
      if (proc.exitCode !== null) throw new Error(`bramble server exited (${proc.exitCode}):\n${fs.readFileSync(logFile, 'utf8')}`);
      if (Date.now() > deadline) throw new Error(`bramble server did not write its kubeconfig:\n${fs.readFileSync(logFile, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const signalServer = async (sig: NodeJS.Signals) => {
    const proc = server;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(sig);
    await exited;
  };

  try {
    if (fs.existsSync(`/var/run/netns/${netns}`)) spawnSync('ip', ['netns', 'del', netns]);
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    // A board has a LAN address and a default route, as a Pi does. Here the "LAN" is a veth pair
    // with both ends inside the namespace and nobody at the gateway: packets for anywhere else go
    // nowhere. It gives the node a real InternalIP (not 127.0.0.1) and the route that Service
    // traffic needs before its DNAT.
    execFileSync('ip', ['-n', netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'lan0']);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lan0', 'up']);
    execFileSync('ip', ['-n', netns, 'addr', 'add', `${BOARD_IP}/24`, 'dev', 'eth0']);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
    execFileSync('ip', ['-n', netns, 'route', 'add', 'default', 'via', BOARD_GATEWAY, 'dev', 'eth0']);
    const images = path.join(dataDir, 'agent', 'images');
    fs.mkdirSync(images, { recursive: true });
    execFileSync(path.join(repoRoot, 'node_modules/.bin/node'), [path.join(repoRoot, 'scripts/build-test-images.ts'), '--out', images], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.rmSync(path.join(images, 'pause.tar')); // the agent brings its own sandbox image
    await launch();
  } catch (e) {
    await stop();
    throw e;
  }

  const inNs = (cmd: string[]) => [`--net=/var/run/netns/${netns}`, ...cmd];
  const board: Board = {
    name,
    dir,
    dataDir,
    netns,
    kubeconfig,
    criSocket,
    enter: ['nsenter', `--net=/var/run/netns/${netns}`],
    kubectl: (args, o = {}) => run('nsenter', inNs([kubectlBin, '--kubeconfig', kubeconfig, ...args]), { input: o.input, timeoutMs: o.timeoutMs, env: { ...process.env, ...o.env } }),
    async k(args, o = {}) {
      const r = await board.kubectl(args, o);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    sh: (cmd, o = {}) => run('nsenter', inNs(cmd), o),
    spawnIn(cmd) {
      const c = spawn('nsenter', inNs(cmd), { stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(c);
      c.once('exit', () => children.delete(c));
      return c;
    },
    log: () => fs.readFileSync(logFile, 'utf8'),
    kill: () => signalServer('SIGKILL'),
    halt: () => signalServer('SIGTERM'),
    async powerOff() {
      await signalServer('SIGKILL');
      for (const pid of containerdPids(criSocket)) process.kill(pid, 'SIGKILL');
      await killShims(criSocket).catch(() => 0);
    },
    restart: launch,
    stop,
  };
  return board;
}

/** containerd processes serving `socket` (ours only). */
function containerdPids(socket: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0] ?? '') === 'containerd' && argv.some((a) => a.includes(path.dirname(socket)))) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}
