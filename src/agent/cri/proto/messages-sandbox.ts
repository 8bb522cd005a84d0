/**
 * Pod sandbox messages: the configuration a sandbox is created from, its
 * status and listing, and the port-forward streaming request.
 */
import type { Int64Value, NamespaceOption, SecurityProfile, SELinuxOption } from './messages-common.ts';
import type { ContainerStatus } from './messages-container.ts';
import type { LinuxContainerResources } from './messages-linux.ts';

/** The pod a sandbox belongs to (what the runtime labels it with). */
export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  /** Bumped each time the same pod's sandbox is re-created. */
  attempt: number;
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** A hostPort mapping (the runtime's CNI portmap plugin applies it). */
export interface PortMapping {
  protocol: Protocol;
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

export interface LinuxSandboxSecurityContext {
  /** Host network/PID/IPC: mode NODE; otherwise POD. */
  namespaceOptions?: NamespaceOption;
  selinuxOptions?: SELinuxOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  privileged: boolean;
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}

export interface LinuxPodSandboxConfig {
  /** The pod-level cgroup (cgroupfs path, or a systemd slice with the systemd driver). */
  cgroupParent: string;
  securityContext?: LinuxSandboxSecurityContext;
  sysctls: Record<string, string>;
  overhead?: LinuxContainerResources;
  resources?: LinuxContainerResources;
}

export interface PodSandboxConfig {
  metadata?: PodSandboxMetadata;
  hostname: string;
  /** Where container logs go: each container's `logPath` is relative to it. */
  logDirectory: string;
  dnsConfig?: DNSConfig;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux?: LinuxPodSandboxConfig;
}

export interface RunPodSandboxRequest {
  config?: PodSandboxConfig;
  /** A RuntimeClass handler (`runc` by default). */
  runtimeHandler: string;
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandboxNetworkStatus {
  ip: string;
  additionalIps: { ip: string }[];
}

export interface PodSandboxStatus {
  id: string;
  metadata?: PodSandboxMetadata;
  state: PodSandboxState;
  /** Nanoseconds since the epoch. */
  createdAt: number;
  network?: PodSandboxNetworkStatus;
  linux?: { namespaces?: { options?: NamespaceOption } };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface PodSandboxStatusResponse {
  status?: PodSandboxStatus;
  /** Verbose only: containerd puts its sandbox record here as JSON. */
  info: Record<string, string>;
  /** Newer runtimes only (evented PLEG). */
  containersStatuses: ContainerStatus[];
  timestamp: number;
}

export interface PodSandboxFilter {
  id: string;
  state?: { state: PodSandboxState };
  /** Every pair must match the sandbox's labels. */
  labelSelector: Record<string, string>;
}

export interface PodSandbox {
  id: string;
  metadata?: PodSandboxMetadata;
  state: PodSandboxState;
  /** Nanoseconds since the epoch. */
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export const sandboxSchema = `
PodSandboxMetadata
  name 1 string
  uid 2 string
  namespace 3 string
  attempt 4 uint32
DNSConfig
  servers 1 []string
  searches 2 []string
  options 3 []string
enum Protocol TCP=0 UDP=1 SCTP=2
PortMapping
  protocol 1 Protocol
  containerPort 2 int32
  hostPort 3 int32
  hostIp 4 string
LinuxSandboxSecurityContext
  namespaceOptions 1 NamespaceOption
  selinuxOptions 2 SELinuxOption
  runAsUser 3 Int64Value
  readonlyRootfs 4 bool
  supplementalGroups 5 []int64
  privileged 6 bool
  runAsGroup 8 Int64Value
  seccomp 9 SecurityProfile
  apparmor 10 SecurityProfile
LinuxPodSandboxConfig
  cgroupParent 1 string
  securityContext 2 LinuxSandboxSecurityContext
  sysctls 3 {}string
  overhead 4 LinuxContainerResources
  resources 5 LinuxContainerResources
PodSandboxConfig
  metadata 1 PodSandboxMetadata
  hostname 2 string
  logDirectory 3 string
  dnsConfig 4 DNSConfig
  portMappings 5 []PortMapping
  labels 6 {}string
  annotations 7 {}string
  linux 8 LinuxPodSandboxConfig
RunPodSandboxRequest
  config 1 PodSandboxConfig
  runtimeHandler 2 string
RunPodSandboxResponse
  podSandboxId 1 string
PodSandboxIdRequest
  podSandboxId 1 string
PodSandboxStatusRequest
  podSandboxId 1 string
  verbose 2 bool
PodIP
  ip 1 string
PodSandboxNetworkStatus
  ip 1 string
  additionalIps 2 []PodIP
SandboxNamespace
  options 2 NamespaceOption
LinuxPodSandboxStatus
  namespaces 1 SandboxNamespace
enum PodSandboxState SANDBOX_READY=0 SANDBOX_NOTREADY=1
PodSandboxStatus
  id 1 string
  metadata 2 PodSandboxMetadata
  state 3 PodSandboxState
  createdAt 4 int64
  network 5 PodSandboxNetworkStatus
  linux 6 LinuxPodSandboxStatus
  labels 7 {}string
  annotations 8 {}string
  runtimeHandler 9 string
PodSandboxStatusResponse
  status 1 PodSandboxStatus
  info 2 {}string
  containersStatuses 3 []ContainerStatus
  timestamp 4 int64
PodSandboxStateValue
  state 1 PodSandboxState
PodSandboxFilter
  id 1 string
  state 2 PodSandboxStateValue
  labelSelector 3 {}string
ListPodSandboxRequest
  filter 1 PodSandboxFilter
PodSandbox
  id 1 string
  metadata 2 PodSandboxMetadata
  state 3 PodSandboxState
  createdAt 4 int64
  labels 5 {}string
  annotations 6 {}string
  runtimeHandler 7 string
ListPodSandboxResponse
  items 1 []PodSandbox
PortForwardRequest
  podSandboxId 1 string
  port 2 []int32
StreamingUrlResponse
  url 1 string
`;
