/**
 * Resource figures of another process from /proc (Linux): resident memory,
 * CPU time and bytes written, plus a sampler for peaks and averages.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times (sysconf(_SC_CLK_TCK), 100 on Linux). */
const CLK_TCK = 100;

export interface ProcSnapshot {
  /** performance.now() when taken. */
  at: number;
  rssBytes: number;
  hwmBytes: number;
  /** utime + stime in seconds. */
  cpuSeconds: number;
  /** Bytes the process caused to be sent to storage (/proc/<pid>/io write_bytes). */
  writeBytes: number;
  /** Bytes passed to write(2)-like calls (wchar), including sockets. */
  wchar: number;
}

function statusKB(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : NaN;
}

export function snapshot(pid: number): ProcSnapshot {
  const at = performance.now();
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  let writeBytes = NaN;
  let wchar = NaN;
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    writeBytes = Number(/^write_bytes:\s*(\d+)/m.exec(io)?.[1]);
    wchar = Number(/^wchar:\s*(\d+)/m.exec(io)?.[1]);
  } catch {
    /* /proc/<pid>/io needs the same user or CAP_SYS_PTRACE */
  }
  return { at, rssBytes: statusKB(status, 'VmRSS'), hwmBytes: statusKB(status, 'VmHWM'), cpuSeconds, writeBytes, wchar };
}

/** CPU use between two snapshots, as a percentage of one core. */
export function cpuPercent(a: ProcSnapshot, b: ProcSnapshot): number {
  return (100 * (b.cpuSeconds - a.cpuSeconds)) / ((b.at - a.at) / 1000);
}

/** Samples a process periodically; `stop()` returns peak RSS and average CPU over the window. */
export function sampler(pid: number, everyMs = 250) {
  const first = snapshot(pid);
  let peakRss = first.rssBytes;
  let last = first;
  const cpuSamples: number[] = [];
  const timer = setInterval(() => {
    try {
      const s = snapshot(pid);
      peakRss = Math.max(peakRss, s.rssBytes);
      cpuSamples.push(cpuPercent(last, s));
      last = s;
    } catch {
      /* process gone */
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      let end = last;
      try {
        end = snapshot(pid);
      } catch {
        /* process gone */
      }
      peakRss = Math.max(peakRss, end.rssBytes);
      const sorted = cpuSamples.slice().sort((x, y) => x - y);
      return {
        seconds: (end.at - first.at) / 1000,
        cpuAvgPercent: cpuPercent(first, end),
        cpuPeakPercent: sorted.length ? sorted[sorted.length - 1]! : NaN,
        rssStart: first.rssBytes,
        rssEnd: end.rssBytes,
        rssPeak: peakRss,
        writeBytes: end.writeBytes - first.writeBytes,
      };
    },
  };
}

/** This (bench) process's own CPU use over a window, as a percentage of one core. */
export function selfCpu() {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return (100 * (c.user + c.system)) / 1000 / (performance.now() - t0);
  };
}

/** Busy and total jiffies over all CPUs, from /proc/stat. */
function cpuTotals(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const idle = f[3]! + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * CPU used by everything on the machine other than the listed processes
 * and this one, in cores, over a window: the noise other workloads add.
 */
export function machineLoad(pids: number[]) {
  const t0 = cpuTotals();
  const own0 = pids.map((p) => safeCpu(p));
  const self0 = process.cpuUsage();
  const at0 = performance.now();
  return () => {
    const t1 = cpuTotals();
    const own = pids.reduce((sum, p, i) => sum + (safeCpu(p) - own0[i]!), 0);
    const c = process.cpuUsage(self0);
    const self = (c.user + c.system) / 1e6;
    const secs = (performance.now() - at0) / 1000;
    const allCores = (t1.busy - t0.busy) / CLK_TCK / secs;
    return { otherCores: Math.max(0, allCores - (own + self) / secs), allCores, loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') };
  };
}

function safeCpu(pid: number): number {
  try {
    return snapshot(pid).cpuSeconds;
  } catch {
    return 0;
  }
}

/**
 * Waits (up to `maxMs`) until other processes use less than `threshold`
 * cores for two consecutive seconds, so a phase does not start in the
 * middle of someone else's burst on a shared machine. Returns the load seen.
 */
export async function waitForQuiet(pids: number[], opts: { threshold?: number; maxMs?: number } = {}): Promise<{ waitedMs: number; otherCores: number }> {
  const threshold = opts.threshold ?? 0.3;
  const deadline = performance.now() + (opts.maxMs ?? 45_000);
  const t0 = performance.now();
  let quiet = 0;
  let last = NaN;
  while (performance.now() < deadline) {
    const m = machineLoad(pids);
    await new Promise((r) => setTimeout(r, 1000));
    last = m().otherCores;
    quiet = last < threshold ? quiet + 1 : 0;
    if (quiet >= 2) break;
  }
  return { waitedMs: performance.now() - t0, otherCores: last };
}

/** Waits until a process's CPU use stays under `percent` for one second (e.g. a controller catching up). */
export async function waitForIdle(pid: number, percent = 5, maxMs = 60_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    const a = snapshot(pid);
    await new Promise((r) => setTimeout(r, 1000));
    if (cpuPercent(a, snapshot(pid)) < percent) break;
  }
  return performance.now() - t0;
}

/** waitForQuiet before a measured phase, saying so when it had to wait. Disabled with `--no-wait`. */
export async function beforePhase(pids: number[], enabled: boolean): Promise<void> {
  if (!enabled) return;
  const q = await waitForQuiet(pids);
  if (q.waitedMs > 2500) console.log(`  (waited ${(q.waitedMs / 1000).toFixed(0)} s for other processes to quiet down; last second: ${q.otherCores.toFixed(2)} cores)`);
}
