/**
 * The Node an agent registers and the status it reports, as the kubelet
 * builds them (pkg/kubelet/kubelet_node_status.go, pkg/kubelet/nodestatus):
 * default labels, taints at registration, capacity and allocatable,
 * addresses, nodeInfo, daemon endpoint, and the four conditions with the
 * kubelet's reasons and messages. Pure functions of the configuration, the
 * runtime's readiness and the previously reported status.
 */
import type { Obj } from '../../client/types.ts';

export const kubeletVersion = 'v1.32.4+bramble';

/** Marker label of simulated nodes (kwok marks its nodes `type=kwok`). */
export const fakeNodeLabel = { key: 'type', value: 'bramble-fake' } as const;

export interface NodeInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  operatingSystem: string;
  architecture: string;
  /** `<runtime>://<version>`. */
  containerRuntimeVersion: string;
}

export interface NodeConfig {
  name: string;
  /** Labels the node always carries (hostname, os, arch, marker); reconciled on every start. */
  defaultLabels: Record<string, string>;
  /** `--node-label`s: set at registration, as the kubelet's --node-labels. */
  labels: Record<string, string>;
  /** `--node-taint`s: set at registration only (upstream registerWithTaints). */
  taints: Obj[];
  /** Capacity of the machine (or of the simulated node). */
  capacity: Record<string, string>;
  /** Capacity minus reservations; equal to capacity when absent (simulated nodes reserve nothing). */
  allocatable?: Record<string, string>;
  /** Reads the eviction signals (real nodes); absent: never under pressure. */
  pressure?: () => Pressure;
  /** Port of the agent's streaming/stats server (status.daemonEndpoints); 10250 when absent. */
  daemonPort?: number;
  internalIP: string;
  hostname: string;
  info: NodeInfo;
}

const conditionText = {
  MemoryPressure: { reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  DiskPressure: { reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  PIDPressure: { reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
} as const;
const pressureText = {
  MemoryPressure: { reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' },
  DiskPressure: { reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' },
  PIDPressure: { reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available' },
} as const;

/** Which eviction signals are past their thresholds (real nodes; simulated ones never are). */
export interface Pressure {
  memory?: boolean;
  disk?: boolean;
  pid?: boolean;
}

/** What decides the Ready condition: the runtime's health. */
export interface Readiness {
  ready: boolean;
  /** Why not, in the kubelet's words (e.g. "container runtime is down"). */
  message?: string;
  pressure?: Pressure;
}

/** Node heartbeat time format (metav1.Time: seconds). */
export const nodeTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function condition(type: string, status: string, reason: string, message: string, now: string, previous: Obj[] | undefined): Obj {
  const old = previous?.find((c) => c['type'] === type);
  return {
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: old && old['status'] === status ? (old['lastTransitionTime'] ?? now) : now,
    reason,
    message,
  };
}

/** The status the node reports now; conditions keep their transition times from `previous`. */
export function nodeStatus(cfg: NodeConfig, readiness: Readiness, previous: Obj | undefined, nowMs: number): Obj {
  const now = nodeTime(nowMs);
  const prev = previous?.['conditions'] as Obj[] | undefined;
  const conditions = [
    ...(['MemoryPressure', 'DiskPressure', 'PIDPressure'] as const).map((t) => {
      const under = readiness.pressure?.[t === 'MemoryPressure' ? 'memory' : t === 'DiskPressure' ? 'disk' : 'pid'];
      const text = under ? pressureText[t] : conditionText[t];
      return condition(t, under ? 'True' : 'False', text.reason, text.message, now, prev);
    }),
    readiness.ready
      ? condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', now, prev)
      : condition('Ready', 'False', 'KubeletNotReady', readiness.message ?? 'container runtime is down', now, prev),
  ];
  return {
    capacity: { ...cfg.capacity },
    allocatable: { ...(cfg.allocatable ?? cfg.capacity) },
    conditions,
    addresses: [
      { type: 'InternalIP', address: cfg.internalIP },
      { type: 'Hostname', address: cfg.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.daemonPort ?? 10250 } },
    nodeInfo: { ...cfg.info, kubeletVersion },
  };
}

/** The Node object posted at registration, status included (nodes may be created with status). */
export function nodeForRegistration(cfg: NodeConfig, readiness: Readiness, nowMs: number): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: cfg.name,
      labels: { ...cfg.labels, ...cfg.defaultLabels },
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: cfg.taints.length ? { taints: cfg.taints.map((t) => ({ ...t })) } : {},
    status: nodeStatus(cfg, readiness, undefined, nowMs),
  };
}

/**
 * The labels and annotations an existing Node must be corrected to on
 * start (upstream reconciles only its default labels), or undefined when it
 * already carries them.
 */
export function reconcileExisting(cfg: NodeConfig, existing: Obj): Obj | undefined {
  const labels: Record<string, string> = { ...(existing['metadata']?.labels ?? {}) };
  const annotations: Record<string, string> = { ...(existing['metadata']?.annotations ?? {}) };
  let changed = false;
  for (const [k, v] of Object.entries(cfg.defaultLabels)) {
    if (labels[k] !== v) {
      labels[k] = v;
      changed = true;
    }
  }
  if (annotations['volumes.kubernetes.io/controller-managed-attach-detach'] !== 'true') {
    annotations['volumes.kubernetes.io/controller-managed-attach-detach'] = 'true';
    changed = true;
  }
  return changed ? { ...existing, metadata: { ...existing['metadata'], labels, annotations } } : undefined;
}

/** The kubelet's default labels for a node. */
export function defaultLabels(name: string, os: string, arch: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': os,
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': os,
    ...extra,
  };
}
