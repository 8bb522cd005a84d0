/**
 * The configuration of a real node (containerd runtime), read from the
 * machine as the kubelet reads it: capacity from the CPU count, total
 * memory, the size of the filesystem holding the data dir and the 110-pod
 * default; allocatable = capacity minus what the agent keeps for itself and
 * the kubelet's default hard-eviction thresholds (memory.available<100Mi,
 * nodefs.available<10%), so the scheduler never fills a board to the brim.
 *
 * On a Raspberry Pi (or any device-tree board) the board model from
 * /proc/device-tree/model becomes a label, so DaemonSets can pick boards
 * by hardware (seed 002 labels them by hand; this does it for you).
 */
import fs from 'node:fs';
import os from 'node:os';
import { goArch, kernelVersion, osImage } from './host-info.ts';
import { defaultLabels, type NodeConfig, type Pressure } from './node-object.ts';

/** Memory the agent keeps for itself (system-reserved): its own RSS target with headroom. */
export const agentReservedMemoryBytes = 128 * 1024 * 1024;
/** The kubelet's default hard eviction threshold for memory. */
export const evictionMemoryBytes = 100 * 1024 * 1024;

/** Label carrying the board model of device-tree machines (Raspberry Pi and friends). */
export const boardModelLabel = 'bramble.io/board-model';

export interface HostNodeSpec {
  name: string;
  internalIP: string;
  labels: Record<string, string>;
  taints: import('../../client/types.ts').Obj[];
  dataDir: string;
  /** `containerd://1.6.20`. */
  containerRuntimeVersion: string;
  /** A server's embedded agent: labelled `node-role.kubernetes.io/control-plane`. */
  controlPlane?: boolean;
  daemonPort?: number;
}

/** A label value from free text: label values allow [A-Za-z0-9._-], 63 characters, alphanumeric at both ends. */
export function labelValueOf(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** The device-tree model ("Raspberry Pi 4 Model B Rev 1.4"), or undefined on other machines. */
export function boardModel(file = '/proc/device-tree/model'): string | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').replace(/\0+$/, '').trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}

/** Bytes of the filesystem holding `dir` (its nearest existing ancestor). */
function filesystemBytes(dir: string): number {
  let d = dir;
  for (;;) {
    try {
      const st = fs.statfsSync(d);
      return st.blocks * st.bsize;
    } catch {
      const parent = d.replace(/\/[^/]*\/?$/, '') || '/';
      if (parent === d) return 0;
      d = parent;
    }
  }
}

function machineId(): string {
  for (const f of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const v = fs.readFileSync(f, 'utf8').trim();
      if (v) return v;
    } catch {
      /* next */
    }
  }
  return '';
}

function readTrim(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The kubelet's default hard eviction signals: memory.available < 100Mi
 * (MemAvailable), nodefs.available < 10% (the data dir's filesystem).
 * PIDPressure has no default threshold upstream, so it stays false.
 */
export function hostPressure(dataDir: string, meminfo = '/proc/meminfo'): Pressure {
  let memory = false;
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync(meminfo, 'utf8'));
    if (m) memory = Number(m[1]) * 1024 < evictionMemoryBytes;
  } catch {
    /* not Linux */
  }
  let disk = false;
  try {
    const st = fs.statfsSync(dataDir);
    disk = st.blocks > 0 && st.bavail / st.blocks < 0.1;
  } catch {
    /* no data dir yet */
  }
  return { memory, disk };
}

const ki = (bytes: number) => `${Math.max(0, Math.floor(bytes / 1024))}Ki`;

export function hostNodeConfig(s: HostNodeSpec): NodeConfig {
  const arch = goArch();
  const memory = os.totalmem();
  const disk = filesystemBytes(s.dataDir);
  const cpus = os.availableParallelism();
  const model = boardModel();
  const extra: Record<string, string> = {};
  if (s.controlPlane) extra['node-role.kubernetes.io/control-plane'] = 'true';
  if (model && labelValueOf(model)) extra[boardModelLabel] = labelValueOf(model);
  return {
    name: s.name,
    defaultLabels: defaultLabels(s.name, 'linux', arch, extra),
    labels: s.labels,
    taints: s.taints,
    capacity: { cpu: String(cpus), memory: ki(memory), 'ephemeral-storage': ki(disk), pods: '110' },
    allocatable: {
      cpu: String(cpus),
      memory: ki(memory - agentReservedMemoryBytes - evictionMemoryBytes),
      'ephemeral-storage': ki(disk * 0.9),
      pods: '110',
    },
    internalIP: s.internalIP,
    hostname: os.hostname(),
    daemonPort: s.daemonPort,
    pressure: () => hostPressure(s.dataDir),
    info: {
      machineID: machineId(),
      systemUUID: readTrim('/sys/class/dmi/id/product_uuid').toLowerCase() || machineId(),
      bootID: readTrim('/proc/sys/kernel/random/boot_id'),
      kernelVersion: kernelVersion(),
      osImage: osImage(),
      operatingSystem: 'linux',
      architecture: arch,
      containerRuntimeVersion: s.containerRuntimeVersion,
    },
  };
}
