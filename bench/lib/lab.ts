/**
 * A `bramble lab` for the networking benchmarks: boards as network
 * namespaces with real containerd and the agent's nftables proxy and DNS,
 * with the test images plus bench-only images side-loaded, kubectl on the
 * lab's kubeconfig, commands inside a board's or a pod's network namespace,
 * and `down()` that always removes the lab (call it in `finally`).
 *
 * Root. Callers hold /tmp/bramble-e2e.lock (flock) so the run does not
 * overlap other engineers' namespace/containerd tests on the same 2 cores.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brambleBin, kubectlBin, repoRoot, run } from '../../test/harness/server.ts';
import type { BoardRecord, LabRecord } from '../../src/lab/state.ts';
import { criSocket } from '../../src/lab/procs.ts';
import { until } from '../../test/harness/wait.ts';

export interface BenchLab {
  lab: LabRecord;
  dir: string;
  board(name: string): BoardRecord;
  /** kubectl on the lab's kubeconfig; throws on a non-zero exit. */
  k(args: string[], input?: string): Promise<string>;
  /** Removes the lab (idempotent). */
  down(): Promise<void>;
}

export interface NsResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `cmd` inside a network namespace given as a path (/var/run/netns/X or /proc/PID/ns/net). */
export function inNetns(nsPath: string, cmd: string[], timeoutMs = 600_000): Promise<NsResult> {
  return new Promise((resolve) => {
    const p = spawn('nsenter', [`--net=${nsPath}`, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.stderr.on('data', (c: Buffer) => err.push(c));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, out: Buffer.concat(out).toString('utf8'), err: Buffer.concat(err).toString('utf8') });
    });
  });
}

export const boardNs = (b: BoardRecord) => `/var/run/netns/${b.netns}`;

// One polling helper for tests and benches alike.
export { until };

/**
 * Brings up a lab of `nodes` boards with the test images and the archives
 * `addImages(dir)` writes into the image folder.
 */
export async function startBenchLab(opts: { nodes: number; addImages?: (dir: string) => void; say?: (l: string) => void }): Promise<BenchLab> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-bench-lab-'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-bench-lab-home-'));
  const images = path.join(dir, 'bench-images');
  const kubeconfig = path.join(dir, 'kubeconfig.yaml');
  let downed = false;
  const down = async () => {
    if (downed) return;
    downed = true;
    const r = await run(brambleBin, ['lab', 'down', '--dir', dir], { timeoutMs: 300_000 });
    if (r.code !== 0) console.error(`lab down failed (lab left in ${dir}): ${r.stderr}${r.stdout}`);
    else fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  };
  try {
    execFileSync(path.join(repoRoot, 'node_modules/.bin/node'), [path.join(repoRoot, 'scripts/build-test-images.ts'), '--out', images], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.rmSync(path.join(images, 'pause.tar')); // the agent brings its own sandbox image
    opts.addImages?.(images);
    const up = await run(brambleBin, ['lab', 'up', '--dir', dir, '--nodes', String(opts.nodes), '--images', images, '--timeout', '240'], { timeoutMs: 300_000 });
    if (up.code !== 0) throw new Error(`lab up: ${up.stderr}${up.stdout}`);
    opts.say?.(up.stdout.trim().split('\n').at(-1) ?? '');
  } catch (e) {
    await down();
    throw e;
  }
  const lab = JSON.parse(fs.readFileSync(path.join(dir, 'lab.json'), 'utf8')) as LabRecord;
  return {
    lab,
    dir,
    board(name) {
      const b = lab.boards.find((x) => x.name === name);
      if (!b) throw new Error(`no board ${name} in the lab`);
      return b;
    },
    async k(args, input) {
      const r = await run(kubectlBin, ['--kubeconfig', kubeconfig, ...args], { input, env: { ...process.env, HOME: home } });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    down,
  };
}

/** Waits for one Running, ready pod matching `selector`; returns the pod object. */
export async function readyPod(l: BenchLab, selector: string, timeoutMs = 180_000): Promise<any> {
  return until(`a ready pod ${selector}`, timeoutMs, async () => {
    const list = JSON.parse(await l.k(['get', 'pods', '-l', selector, '-o', 'json'])) as { items: any[] };
    return list.items.find((p) => p.status.phase === 'Running' && p.status.podIP && p.status.containerStatuses?.every((c: any) => c.ready));
  });
}

/**
 * The PID of a pod's first container on its board, from containerd's task
 * list (CRI namespace k8s.io): its /proc/PID/ns/net is the pod's network
 * namespace (all containers of a pod share the sandbox's).
 */
export function podPid(l: BenchLab, pod: any): number {
  const b = l.board(pod.spec.nodeName);
  const id = String(pod.status.containerStatuses[0].containerID).replace(/^containerd:\/\//, '');
  const out = execFileSync('ctr', ['--address', criSocket(b), '-n', 'k8s.io', 'tasks', 'ls'], { encoding: 'utf8' });
  for (const line of out.split('\n')) {
    const [task, pid, status] = line.trim().split(/\s+/);
    if (task === id && status === 'RUNNING') return Number(pid);
  }
  throw new Error(`no running task ${id} on ${b.name}:\n${out}`);
}
