/**
 * The lab's record of itself, DIR/lab.json: every name the lab gave to a
 * host object (bridge, namespaces, veths, cgroup roots) and the processes
 * it started. It is written before anything is created and updated as
 * pieces come up, so `lab down` can remove all of it after a crash, and
 * nothing else: only what is named here is ever touched.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type Role = 'server' | 'agent';

/** A process the lab started, identified by pid and start time so a recycled pid is never killed. */
export interface ProcRecord {
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks after boot). */
  startTime: string;
}

export interface BoardRecord {
  name: string;
  ip: string;
  role: Role;
  /** Network namespace (/var/run/netns/NAME). */
  netns: string;
  /** Host end of the board's veth (in the bridge); the board's end is eth0 inside the namespace. */
  veth: string;
  /** Parent cgroup of the board's pod cgroups. */
  cgroupRoot: string;
  dataDir: string;
  log: string;
  proc?: ProcRecord;
}

export interface LabRecord {
  id: string;
  dir: string;
  subnet: string;
  bridge: string;
  /** The host's address on the bridge, CIDR form. */
  hostAddress: string;
  /** Passed to every server, on first start and after a power cut. */
  serverFlags: string[];
  boards: BoardRecord[];
}

/** A short id from the lab directory: names stay unique per lab and within IFNAMSIZ (15). */
export function labId(dir: string): string {
  return createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 6);
}

export const recordPath = (dir: string) => path.join(dir, 'lab.json');

export function readLab(dir: string): LabRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(recordPath(dir), 'utf8')) as LabRecord;
  } catch {
    return undefined;
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a record. */
export function writeLab(lab: LabRecord): void {
  const tmp = recordPath(lab.dir) + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(lab, null, 2) + '\n');
  fs.renameSync(tmp, recordPath(lab.dir));
}

export function findBoard(lab: LabRecord, name: string): BoardRecord {
  const b = lab.boards.find((x) => x.name === name);
  if (!b) throw new Error(`no board "${name}" in this lab (boards: ${lab.boards.map((x) => x.name).join(', ')})`);
  return b;
}
