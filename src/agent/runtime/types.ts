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
}

export interface ImageRef {
  /** The resolved image id (what pod status reports as imageID). */
  ref: string;
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
  pullImage(image: string): Promise<ImageRef>;

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

  /** Subscribes to container events; returns the unsubscribe function. */
  onContainerEvent(handler: (e: ContainerEvent) => void): () => void;
}

export type RuntimeErrorCode = 'NotFound' | 'InvalidArgument' | 'FailedPrecondition' | 'Unavailable' | 'Internal';

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
