/**
 * Tears down what a containerd instance leaves on the host once it and
 * its containers are gone, or when they must go (a node reset, a test's
 * `finally`): shims still running containers, mounts under its data
 * directory (container root filesystems, /dev/shm of sandboxes, pod
 * network namespaces), and pod cgroups.
 *
 * Only things provably ours are touched: shims serving our socket, mounts
 * under our directory, cgroups under our parent name.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The pids of the containerd shims started by the containerd serving `socketPath`. */
export function shimPids(socketPath: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    if (!path.basename(argv[0] ?? '').startsWith('containerd-shim')) continue;
    const i = argv.indexOf('-address');
    if (i >= 0 && argv[i + 1] === socketPath) out.push(Number(entry));
  }
  return out;
}

/**
 * Kills the shims of our containerd, and with them their containers
 * (a shim's containers die with it: the shim is their subreaper and holds
 * their pid namespace's init). Returns how many there were.
 */
export async function killShims(socketPath: string): Promise<number> {
  const pids = shimPids(socketPath);
  for (const pid of pids) {
    // The shim's children first: killing only the shim can leave a container's init re-parented and running.
    for (const child of childrenOf(pid)) tryKill(child);
    tryKill(pid);
  }
  for (let i = 0; i < 50 && pids.some((p) => fs.existsSync(`/proc/${p}`)); i++) await new Promise((r) => setTimeout(r, 100));
  return pids.length;
}

function childrenOf(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  const root = path.resolve(dir);
  const points: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    // mountinfo escapes spaces, tabs, newlines and backslashes as octal.
    const point = field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point === root || point.startsWith(root + '/')) points.push(point);
  }
  return points.sort((a, b) => b.length - a.length);
}

/** Unmounts everything under `dir` (lazily, so busy mounts go once released). Returns what was unmounted. */
export function unmountUnder(dir: string): string[] {
  const done: string[] = [];
  for (const point of mountsUnder(dir)) {
    if (spawnSync('umount', ['-l', point], { stdio: 'ignore' }).status === 0) done.push(point);
  }
  return done;
}

/**
 * Removes the cgroup directory `name` (e.g. `bramble-test-1234`, a pod
 * cgroup parent) and everything below it, in every mounted hierarchy
 * (cgroup v1 controllers and the v2 tree). Directories that still hold
 * processes stay (rmdir fails); returns those.
 */
export function removeCgroupTree(name: string): string[] {
  const left: string[] = [];
  const rel = name.replace(/^\/+/, '');
  if (!rel || rel.includes('..')) throw new Error(`refusing to remove cgroup ${JSON.stringify(name)}`);
  for (const mount of cgroupMounts()) {
    const top = path.join(mount, rel);
    if (!fs.existsSync(top)) continue;
    for (const dir of subdirsDeepestFirst(top)) {
      try {
        fs.rmdirSync(dir);
      } catch {
        left.push(dir);
      }
    }
  }
  return left;
}

function cgroupMounts(): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!post) continue;
    const fstype = post.split(' ')[0];
    if (fstype === 'cgroup' || fstype === 'cgroup2') out.push(pre.split(' ')[4]);
  }
  return out;
}

function subdirsDeepestFirst(top: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    out.push(d);
  };
  walk(top);
  return out;
}
