/**
 * Translation between the seam's shapes (runtime/types.ts) and the CRI's
 * (cri/proto): configs going in, statuses coming back. Pure functions.
 */
import type * as cri from '../../cri/proto/index.ts';
import type { In } from '../../cri/proto/index.ts';
import type { ContainerConfig, ContainerState, ContainerStatus, SandboxConfig, SandboxStatus, VolumeMount } from '../types.ts';
import { ANNOTATION_SANDBOX_CONFIG, LABEL_CONTAINER_NAME, LABEL_INIT, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from './labels.ts';

export interface SandboxDefaults {
  /** The pod's cgroup parent when the config names none. */
  cgroupParent: string;
  /** The pod's log directory when the config names none. */
  logDirectory: string;
}

export function podLabels(m: { name: string; namespace: string; uid: string }): Record<string, string> {
  return { [LABEL_POD_NAME]: m.name, [LABEL_POD_NAMESPACE]: m.namespace, [LABEL_POD_UID]: m.uid };
}

export function toCriSandboxConfig(cfg: SandboxConfig, d: SandboxDefaults): In<cri.PodSandboxConfig> {
  const out: In<cri.PodSandboxConfig> = {
    metadata: { ...cfg.metadata },
    // runc cannot set a hostname without the pod's own UTS namespace: host-network pods get the node's.
    hostname: cfg.hostNetwork ? '' : cfg.hostname,
    logDirectory: cfg.logDirectory ?? d.logDirectory,
    dnsConfig: cfg.dns ? { servers: cfg.dns.servers, searches: cfg.dns.searches, options: cfg.dns.options } : undefined,
    portMappings: (cfg.portMappings ?? []).map((p) => ({ protocol: p.protocol, containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP ?? '' })),
    labels: { ...cfg.labels, ...podLabels(cfg.metadata) },
    annotations: { ...cfg.annotations },
    linux: {
      cgroupParent: cfg.cgroupParent ?? d.cgroupParent,
      securityContext: { namespaceOptions: { network: cfg.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
  return out;
}

/** The config as stored on the sandbox (without the copy of itself). */
export function withStoredConfig(c: In<cri.PodSandboxConfig>): In<cri.PodSandboxConfig> {
  return { ...c, annotations: { ...c.annotations, [ANNOTATION_SANDBOX_CONFIG]: JSON.stringify(c) } };
}

export function storedConfig(annotations: Record<string, string>): In<cri.PodSandboxConfig> | undefined {
  const raw = annotations[ANNOTATION_SANDBOX_CONFIG];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as In<cri.PodSandboxConfig>;
  } catch {
    return undefined;
  }
}

const propagation: Record<NonNullable<VolumeMount['propagation']>, cri.MountPropagation> = {
  None: 'PROPAGATION_PRIVATE',
  HostToContainer: 'PROPAGATION_HOST_TO_CONTAINER',
  Bidirectional: 'PROPAGATION_BIDIRECTIONAL',
};

export function toCriContainerConfig(cfg: ContainerConfig, pod: { name: string; namespace: string; uid: string }): In<cri.ContainerConfig> {
  const sc = cfg.securityContext;
  const r = cfg.resources;
  const labels: Record<string, string> = { ...cfg.labels, ...podLabels(pod), [LABEL_CONTAINER_NAME]: cfg.metadata.name };
  if (cfg.init) labels[LABEL_INIT] = 'true';
  return {
    metadata: { ...cfg.metadata },
    image: { image: cfg.image, userSpecifiedImage: cfg.image },
    command: cfg.command ?? [],
    args: cfg.args ?? [],
    workingDir: cfg.workingDir ?? '',
    envs: (cfg.env ?? []).map((e) => ({ key: e.name, value: e.value })),
    mounts: (cfg.mounts ?? []).map((m) => ({ containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readOnly, propagation: propagation[m.propagation ?? 'None'] })),
    labels,
    logPath: cfg.logPath ?? `${cfg.metadata.name}/${cfg.metadata.attempt}.log`,
    stdin: cfg.stdin ?? false,
    stdinOnce: false,
    tty: cfg.tty ?? false,
    linux: {
      resources: r ? { cpuShares: r.cpuShares ?? 0, cpuQuota: r.cpuQuota ?? 0, cpuPeriod: r.cpuPeriod ?? 0, memoryLimitInBytes: r.memoryLimitBytes ?? 0 } : undefined,
      securityContext: {
        privileged: sc?.privileged ?? false,
        runAsUser: sc?.runAsUser !== undefined ? { value: sc.runAsUser } : undefined,
        runAsGroup: sc?.runAsGroup !== undefined ? { value: sc.runAsGroup } : undefined,
        readonlyRootfs: sc?.readOnlyRootFilesystem ?? false,
        // Kubernetes names capabilities without the CAP_ prefix; the CRI takes either.
        capabilities: sc?.capabilities ? { addCapabilities: sc.capabilities.add ?? [], dropCapabilities: sc.capabilities.drop ?? [] } : undefined,
        namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' },
      },
    },
  };
}

export const nsToMs = (ns: number): number => (ns > 0 ? Math.floor(ns / 1e6) : 0);

const states: Record<cri.ContainerState, ContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

export function fromCriContainerState(s: cri.ContainerState): ContainerState {
  return states[s] ?? 'unknown';
}

export function fromCriContainerStatus(s: cri.ContainerStatus, sandboxId: string): ContainerStatus {
  const state = fromCriContainerState(s.state);
  return {
    id: s.id,
    sandboxId,
    metadata: { name: s.metadata?.name ?? s.labels[LABEL_CONTAINER_NAME] ?? '', attempt: s.metadata?.attempt ?? 0 },
    state,
    image: s.image?.image ?? '',
    imageRef: s.imageRef,
    createdAt: nsToMs(s.createdAt),
    startedAt: nsToMs(s.startedAt),
    // containerd stamps the start after runc's start returns, so a process that exits at once can
    // look finished before it started; a finish is never earlier than the start.
    finishedAt: s.finishedAt > 0 ? Math.max(nsToMs(s.finishedAt), nsToMs(s.startedAt)) : 0,
    exitCode: s.exitCode,
    // containerd says OOMKilled when the kernel's OOM killer ended the task; otherwise the kubelet's words.
    reason: state !== 'exited' ? s.reason : s.reason || (s.exitCode === 0 ? 'Completed' : 'Error'),
    message: s.message,
    logPath: s.logPath,
  };
}

export function fromCriSandboxStatus(s: cri.PodSandboxStatus): SandboxStatus {
  const ips = s.network?.ip ? [s.network.ip, ...s.network.additionalIps.map((a) => a.ip)] : [];
  const annotations = { ...s.annotations };
  delete annotations[ANNOTATION_SANDBOX_CONFIG];
  return {
    id: s.id,
    metadata: { name: s.metadata?.name ?? '', namespace: s.metadata?.namespace ?? '', uid: s.metadata?.uid ?? '', attempt: s.metadata?.attempt ?? 0 },
    state: s.state === 'SANDBOX_READY' ? 'ready' : 'notready',
    createdAt: nsToMs(s.createdAt),
    ips,
    annotations,
  };
}
