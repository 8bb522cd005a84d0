/**
 * Container messages: configuration (image, command, environment, mounts,
 * devices; the Linux part is in messages-linux.ts), status and listing,
 * resource updates.
 */
import type { ImageSpec } from './messages-common.ts';
import type { LinuxContainerConfig, LinuxContainerResources } from './messages-linux.ts';
import type { PodSandboxConfig } from './messages-sandbox.ts';

export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  selinuxRelabel: boolean;
  propagation: MountPropagation;
}

export interface Device {
  containerPath: string;
  hostPath: string;
  /** cgroup device permissions: some of `r`, `w`, `m`. */
  permissions: string;
}

export interface ContainerMetadata {
  name: string;
  /** The restart count: 0 for the first container of this name in the sandbox. */
  attempt: number;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface ContainerConfig {
  metadata?: ContainerMetadata;
  image?: ImageSpec;
  /** Replaces the image's entrypoint. */
  command: string[];
  /** Replaces the image's cmd. */
  args: string[];
  workingDir: string;
  envs: KeyValue[];
  mounts: Mount[];
  devices: Device[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Relative to the sandbox's `logDirectory`. */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  linux?: LinuxContainerConfig;
}

export interface CreateContainerRequest {
  podSandboxId: string;
  config?: ContainerConfig;
  /** The sandbox's own config again: the runtime reads e.g. its log directory from it. */
  sandboxConfig?: PodSandboxConfig;
}

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface ContainerFilter {
  id: string;
  state?: { state: ContainerState };
  podSandboxId: string;
  labelSelector: Record<string, string>;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata?: ContainerMetadata;
  image?: ImageSpec;
  /** The resolved image (containerd: its sha256 id). */
  imageRef: string;
  state: ContainerState;
  /** Nanoseconds since the epoch. */
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata?: ContainerMetadata;
  state: ContainerState;
  /** Nanoseconds since the epoch; 0 when not reached. */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image?: ImageSpec;
  imageRef: string;
  /** For exited containers: `Completed`, `Error`, `OOMKilled`. */
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: Mount[];
  logPath: string;
  resources?: { linux?: LinuxContainerResources };
}

export interface ContainerStatusResponse {
  status?: ContainerStatus;
  /** Verbose only: containerd's record (pid, OCI spec…) as JSON. */
  info: Record<string, string>;
}

export interface UpdateContainerResourcesRequest {
  containerId: string;
  linux?: LinuxContainerResources;
  annotations: Record<string, string>;
}

export const containerSchema = `
enum MountPropagation PROPAGATION_PRIVATE=0 PROPAGATION_HOST_TO_CONTAINER=1 PROPAGATION_BIDIRECTIONAL=2
Mount
  containerPath 1 string
  hostPath 2 string
  readonly 3 bool
  selinuxRelabel 4 bool
  propagation 5 MountPropagation
Device
  containerPath 1 string
  hostPath 2 string
  permissions 3 string
ContainerMetadata
  name 1 string
  attempt 2 uint32
KeyValue
  key 1 string
  value 2 string
ContainerConfig
  metadata 1 ContainerMetadata
  image 2 ImageSpec
  command 3 []string
  args 4 []string
  workingDir 5 string
  envs 6 []KeyValue
  mounts 7 []Mount
  devices 8 []Device
  labels 9 {}string
  annotations 10 {}string
  logPath 11 string
  stdin 12 bool
  stdinOnce 13 bool
  tty 14 bool
  linux 15 LinuxContainerConfig
CreateContainerRequest
  podSandboxId 1 string
  config 2 ContainerConfig
  sandboxConfig 3 PodSandboxConfig
CreateContainerResponse
  containerId 1 string
ContainerIdRequest
  containerId 1 string
StopContainerRequest
  containerId 1 string
  timeout 2 int64
enum ContainerState CONTAINER_CREATED=0 CONTAINER_RUNNING=1 CONTAINER_EXITED=2 CONTAINER_UNKNOWN=3
ContainerStateValue
  state 1 ContainerState
ContainerFilter
  id 1 string
  state 2 ContainerStateValue
  podSandboxId 3 string
  labelSelector 4 {}string
ListContainersRequest
  filter 1 ContainerFilter
Container
  id 1 string
  podSandboxId 2 string
  metadata 3 ContainerMetadata
  image 4 ImageSpec
  imageRef 5 string
  state 6 ContainerState
  createdAt 7 int64
  labels 8 {}string
  annotations 9 {}string
ListContainersResponse
  containers 1 []Container
ContainerStatusRequest
  containerId 1 string
  verbose 2 bool
ContainerResources
  linux 1 LinuxContainerResources
ContainerStatus
  id 1 string
  metadata 2 ContainerMetadata
  state 3 ContainerState
  createdAt 4 int64
  startedAt 5 int64
  finishedAt 6 int64
  exitCode 7 int32
  image 8 ImageSpec
  imageRef 9 string
  reason 10 string
  message 11 string
  labels 12 {}string
  annotations 13 {}string
  mounts 14 []Mount
  logPath 15 string
  resources 16 ContainerResources
ContainerStatusResponse
  status 1 ContainerStatus
  info 2 {}string
UpdateContainerResourcesRequest
  containerId 1 string
  linux 2 LinuxContainerResources
  annotations 4 {}string
`;
