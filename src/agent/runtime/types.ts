/**
 * The container runtime seam: what the pod sync loop needs from a runtime.
 * Shaped after the CRI (RuntimeService + ImageService, v1) so the containerd
 * implementation of a later issue maps onto it call for call; the `fake`
 * runtime (runtime/fake/) implements it in memory for simulated nodes.
 *
 * Who calls what: the pod sync loop (pods/pod-sync.ts) is the only caller
 * of the pod and container methods; the node agent calls `version`,
 * `status` and `updateRuntimeConfig` (the node's podCIDR, as the kubelet
 * passes it to CRI's UpdateRuntimeConfig). Every implementation passes the
 * shared suite in runtime.suite.ts.
 *
 * Failures are thrown `RuntimeError`s with a code; "not found" on stop and
 * remove is not an error (both are idempotent, as in the CRI).
 */

/** Identity of a pod sandbox: what the kubelet puts in PodSandboxMetadata. */
export interface SandboxMetadata {
  name: string;
  namespace: string;
  uid: string;
  /** Incremented each time the sandbox of the same pod is re-created. */
  attempt: number;
}

export interface SandboxConfig {
  metadata: SandboxMetadata;
  hostname: string;
  /** The pod's labels and annotations (runtimes may read annotations, as the fake does). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The pod shares the node's network namespace: no pod IP is allocated. */
  hostNetwork: boolean;
  /** resolv.conf for the pod (absent: the runtime's default, the host's). */
  dns?: DnsConfig;
  /** hostPort mappings (CNI portmap). */
  portMappings?: PortMapping[];
  /**
   * Absolute directory for the pod's container logs:
   * `<dataDir>/agent/pod-logs/<namespace>_<name>_<uid>` (see podLogDirectory).
   */
  logDirectory?: string;
  /** The pod's cgroup parent (cgroupfs path); absent: the runtime's default. */
  cgroupParent?: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIP?: string;
}

export type SandboxState = 'ready' | 'notready';

export interface SandboxStatus {
  id: string;
  metadata: SandboxMetadata;
  state: SandboxState;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Pod IP(s); empty for host-network sandboxes. */
  ips: string[];
  annotations: Record<string, string>;
}

export interface ContainerMetadata {
  name: string;
  /** Restart count: 0 for the first container of that name in the sandbox. */
  attempt: number;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  /** The image as the pod spec names it. */
  image: string;
  command?: string[];
  args?: string[];
  /** Init containers run to completion before regular containers start. */
  init?: boolean;
  labels?: Record<string, string>;
  env?: { name: string; value: string }[];
  mounts?: VolumeMount[];
  workingDir?: string;
  tty?: boolean;
  stdin?: boolean;
  /** Relative to the sandbox's logDirectory: `<container>/<restartCount>.log`. */
  logPath?: string;
  securityContext?: ContainerSecurity;
  resources?: ContainerResources;
}

export interface VolumeMount {
  containerPath: string;
  hostPath: string;
  readOnly: boolean;
  /** Kubernetes mountPropagation; default None (private). */
  propagation?: 'None' | 'HostToContainer' | 'Bidirectional';
}

export interface ContainerSecurity {
  runAsUser?: number;
  runAsGroup?: number;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  readOnlyRootFilesystem?: boolean;
}

/** cgroup settings as the kubelet derives them from requests and limits (see pods/resources.ts). */
export interface ContainerResources {
  cpuShares?: number;
  /** Microseconds per period; absent or 0: no CPU limit. */
  cpuQuota?: number;
  cpuPeriod?: number;
  /** Absent or 0: no memory limit. */
  memoryLimitBytes?: number;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  id: string;
  sandboxId: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  /** The image as requested, and the resolved reference (imageID in pod status). */
  image: string;
  imageRef: string;
  /** Epoch milliseconds; 0 when not reached. */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** For exited containers: Completed, Error, OOMKilled… */
  reason: string;
  message: string;
  /** Absolute path of the container's CRI-format log file ('' when it has none). */
  logPath?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ImageRef {
  /** The resolved image id (what pod status reports as imageID). */
  ref: string;
}

/** Credentials for one pull (from an imagePullSecret), as CRI's AuthConfig. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** base64 of `user:password`, as in a docker config. */
  auth?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface RuntimeCondition {
  type: 'RuntimeReady' | 'NetworkReady';
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatus {
  conditions: RuntimeCondition[];
}

export interface RuntimeVersion {
  /** e.g. `fake`, `containerd`: the scheme of container ids and of nodeInfo.containerRuntimeVersion. */
  runtimeName: string;
  runtimeVersion: string;
}

/** A container lifecycle event (CRI GetContainerEvents), so the sync loop need not poll. */
export interface ContainerEvent {
  type: 'created' | 'started' | 'stopped' | 'deleted';
  containerId: string;
  sandboxId: string;
  /** The pod the sandbox belongs to. */
  pod: SandboxMetadata;
}

export interface Runtime {
  version(): Promise<RuntimeVersion>;
  status(): Promise<RuntimeStatus>;
  /** The node's pod CIDR, once the control plane has allocated it. */
  updateRuntimeConfig(cfg: { podCIDR: string }): Promise<void>;

  /** Returns the image's reference if present, without pulling. */
  imageStatus(image: string): Promise<ImageRef | undefined>;
  /** Pulls with the registry credentials if given; failures carry the registry's message. */
  pullImage(image: string, auth?: RegistryAuth): Promise<ImageRef>;

  /** Creates and starts a sandbox (with its network); resolves with its id. */
  runPodSandbox(cfg: SandboxConfig): Promise<string>;
  /** Stops every container in the sandbox and tears its network down. */
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  listPodSandboxes(filter?: { podUid?: string; state?: SandboxState }): Promise<SandboxStatus[]>;

  createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Signals the container and waits up to `timeoutSeconds` before killing it. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: { sandboxId?: string; podUid?: string }): Promise<ContainerStatus[]>;
  /**
   * Runs a command in a running container and collects its output (exec
   * probes, preStop hooks). A command that overruns `timeoutSeconds` (0: no
   * limit) fails with a RuntimeError coded 'DeadlineExceeded'.
   */
  execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult>;
  /**
   * Makes the runtime reopen a running container's log file at its
   * `logPath` (CRI ReopenContainerLog), after the agent renamed the old one
   * away (log rotation, logs/). NotFound for an unknown container,
   * FailedPrecondition for one that is not running.
   */
  reopenContainerLog(containerId: string): Promise<void>;

  /** Subscribes to container events; returns the unsubscribe function. */
  onContainerEvent(handler: (e: ContainerEvent) => void): () => void;
}

export type RuntimeErrorCode = 'NotFound' | 'InvalidArgument' | 'FailedPrecondition' | 'Unavailable' | 'Internal' | 'DeadlineExceeded';

/** A runtime failure, with the gRPC-style code the CRI would give. */
export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeError';
    this.code = code;
  }
}

/** True when the runtime reports the condition as met. */
export function runtimeConditionMet(s: RuntimeStatus, type: RuntimeCondition['type']): boolean {
  return s.conditions.find((c) => c.type === type)?.status === true;
}

/** Where a pod's container logs live under the agent's data directory (the kubelet's /var/log/pods layout). */
export function podLogDirectory(dataDir: string, pod: { namespace: string; name: string; uid: string }): string {
  return `${dataDir}/agent/pod-logs/${pod.namespace}_${pod.name}_${pod.uid}`;
}

/** A container's log file, relative to its pod's log directory: `<container>/<restartCount>.log`. */
export function containerLogPath(name: string, attempt: number): string {
  return `${name}/${attempt}.log`;
}
