/**
 * The lab's processes: each board's bramble runs detached (its own session,
 * output appended to the board's log) inside the board's namespace, so it
 * outlives `lab up` as a board outlives the laptop that set it up. Pids are
 * recorded with their start times; a pid is only signalled while it is still
 * the process we started. A board's containerd and container shims are
 * found by what they serve (its data directory, its socket), never by name.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { killShims } from '../agent/containerd/cleanup.ts';
import type { BoardRecord, ProcRecord } from './state.ts';
import { nsPath } from './net.ts';

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True while `p` is still the process the lab started (not exited, pid not reused; a zombie counts as gone). */
export function alive(p: ProcRecord | undefined): boolean {
  if (!p) return false;
  if (startTime(p.pid) !== p.startTime) return false;
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/**
 * Starts `argv` inside the board's namespace, detached. `nsenter` without
 * --fork execs the command, so the recorded pid is bramble's own.
 */
export function startDetached(b: BoardRecord, argv: string[]): ProcRecord {
  fs.mkdirSync(path.dirname(b.log), { recursive: true });
  const out = fs.openSync(b.log, 'a');
  const child = spawn('nsenter', [`--net=${nsPath(b.netns)}`, ...argv], { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${b.name}`);
  // The start time is read at once: the process exists (maybe still as nsenter, which execs in place: same pid, same start time).
  return { pid, startTime: startTime(pid) ?? '' };
}

export const criSocket = (b: BoardRecord) => path.join(b.dataDir, 'agent', 'containerd', 'containerd.sock');

/**
 * Every process of this board: its command line names the board's data
 * directory, which lies inside the lab directory, so they are ours by
 * construction: bramble (found even if a crash kept its pid out of
 * lab.json) and its containerd. Containers are reached through their shims.
 */
export function boardPids(b: BoardRecord, opts: { shims: boolean }): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!opts.shims && path.basename(argv[0] ?? '').startsWith('containerd-shim')) continue;
      if (argv.some((a) => namesDir(a, b.dataDir))) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/** True when a command-line argument is `dir`, a path under it, or a `--flag=` of either (etcd takes `--data-dir=<dir>/server/db/etcd`). */
export function namesDir(arg: string, dir: string): boolean {
  const value = /^--?[\w-]+=/.test(arg) ? arg.slice(arg.indexOf('=') + 1) : arg;
  return value === dir || value.startsWith(dir + '/');
}

/** A power cut: bramble, its containerd and its containers die at once (shims after containerd, so none is restarted). Waits until they are gone. */
export async function killBoard(b: BoardRecord): Promise<void> {
  const recorded = b.proc && alive(b.proc) ? [b.proc.pid] : [];
  const waitFor = [...new Set([...recorded, ...boardPids(b, { shims: false })])];
  for (const pid of waitFor) kill(pid);
  // Shims next, their containers first (killShims), so no container is left re-parented and running.
  await killShims(criSocket(b)).catch(() => 0);
  for (const pid of boardPids(b, { shims: true })) kill(pid);
  for (let i = 0; i < 100 && waitFor.some((p) => fs.existsSync(`/proc/${p}`) && !zombie(p)); i++) await new Promise((r) => setTimeout(r, 50));
}

function zombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}
