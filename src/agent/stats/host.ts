/**
 * Node-level figures read straight from the kernel, the way the kubelet's
 * cAdvisor reads the root cgroup:
 * - CPU: cumulative busy time from the `cpu` line of /proc/stat (every
 *   column but idle and iowait; guest time is already inside user).
 * - Memory: from /proc/meminfo, as runc computes the root cgroup's usage on
 *   cgroup v2 (which has no memory.current at the root): usage = MemTotal −
 *   MemFree, working set = usage − Inactive(file).
 * - Filesystem: statfs of the agent's data dir (the kubelet reports the
 *   filesystem holding its root dir).
 * Every reader takes the /proc root so tests can feed it fixed files.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Clock ticks per second of /proc/stat (USER_HZ): 100 on every Linux architecture we run on. */
const USER_HZ = 100;
const NS_PER_TICK = 1e9 / USER_HZ;

export interface CpuSample {
  /** Cumulative busy CPU time over all cores, nanoseconds. */
  usageCoreNanoSeconds: number;
  /** Seconds since the epoch at which the machine booted (btime). */
  bootTime: number;
}

export function parseProcStat(text: string): CpuSample {
  let usage = 0;
  let bootTime = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) {
      // user nice system idle iowait irq softirq steal guest guest_nice
      const f = line.trim().split(/\s+/).slice(1).map(Number);
      const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
      usage = busy * NS_PER_TICK;
    } else if (line.startsWith('btime ')) bootTime = Number(line.slice(6).trim());
  }
  return { usageCoreNanoSeconds: usage, bootTime };
}

export interface MemorySample {
  totalBytes: number;
  usageBytes: number;
  workingSetBytes: number;
  availableBytes: number;
  rssBytes: number;
}

export function parseMeminfo(text: string): MemorySample {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)/.exec(line);
    if (m) kb.set(m[1]!, Number(m[2]) * 1024);
  }
  const get = (k: string) => kb.get(k) ?? 0;
  const total = get('MemTotal');
  const usage = Math.max(0, total - get('MemFree'));
  const workingSet = Math.max(0, usage - get('Inactive(file)'));
  return {
    totalBytes: total,
    usageBytes: usage,
    workingSetBytes: workingSet,
    // The kubelet reports a node's available memory as capacity minus working set.
    availableBytes: Math.max(0, total - workingSet),
    rssBytes: get('Active(anon)') + get('Inactive(anon)'),
  };
}

export function parseVmstat(text: string): { pageFaults: number; majorPageFaults: number } {
  const pick = (k: string) => Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { pageFaults: pick('pgfault'), majorPageFaults: pick('pgmajfault') };
}

export interface FsSample {
  capacityBytes: number;
  availableBytes: number;
  usedBytes: number;
  inodes: number;
  inodesFree: number;
  inodesUsed: number;
}

export async function readFsStats(dir: string): Promise<FsSample> {
  const s = await fs.statfs(dir);
  return {
    capacityBytes: s.blocks * s.bsize,
    // What an unprivileged writer may still use, as the kubelet reports it.
    availableBytes: s.bavail * s.bsize,
    usedBytes: (s.blocks - s.bfree) * s.bsize,
    inodes: s.files,
    inodesFree: s.ffree,
    inodesUsed: s.files - s.ffree,
  };
}

/** Reads the host figures; `procRoot` is /proc except in tests. */
export async function readHost(procRoot = '/proc') {
  const read = (f: string) => fs.readFile(path.join(procRoot, f), 'utf8');
  const [stat, meminfo, vmstat, pidMax, loadavg] = await Promise.all([
    read('stat'),
    read('meminfo'),
    read('vmstat').catch(() => ''),
    read('sys/kernel/pid_max').catch(() => ''),
    read('loadavg').catch(() => ''),
  ]);
  return {
    cpu: parseProcStat(stat),
    memory: parseMeminfo(meminfo),
    faults: parseVmstat(vmstat),
    maxpid: Number(pidMax.trim()) || undefined,
    // loadavg's fourth field is running/total scheduling entities.
    curproc: Number(/\s\d+\/(\d+)\s/.exec(loadavg)?.[1]) || undefined,
  };
}
