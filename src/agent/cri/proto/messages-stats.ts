/**
 * Resource usage messages: per-container and per-sandbox statistics
 * (what the kubelet's summary API and `kubectl top` are built from).
 */
import type { UInt64Value } from './messages-common.ts';
import type { ContainerMetadata } from './messages-container.ts';
import type { FilesystemUsage } from './messages-image.ts';
import type { PodSandboxMetadata } from './messages-sandbox.ts';

export interface CpuUsage {
  /** Nanoseconds since the epoch. */
  timestamp: number;
  /** Cumulative CPU time, nanoseconds. */
  usageCoreNanoSeconds?: UInt64Value;
  /** Recent rate (nanocores); containerd computes it between two collections. */
  usageNanoCores?: UInt64Value;
}

export interface MemoryUsage {
  timestamp: number;
  /** What the kubelet evicts by: usage minus inactive file pages. */
  workingSetBytes?: UInt64Value;
  availableBytes?: UInt64Value;
  usageBytes?: UInt64Value;
  rssBytes?: UInt64Value;
  pageFaults?: UInt64Value;
  majorPageFaults?: UInt64Value;
}

export interface ContainerAttributes {
  id: string;
  metadata?: ContainerMetadata;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStats {
  attributes?: ContainerAttributes;
  cpu?: CpuUsage;
  memory?: MemoryUsage;
  writableLayer?: FilesystemUsage;
}

export interface ContainerStatsFilter {
  id: string;
  podSandboxId: string;
  labelSelector: Record<string, string>;
}

export interface NetworkInterfaceUsage {
  name: string;
  rxBytes?: UInt64Value;
  rxErrors?: UInt64Value;
  txBytes?: UInt64Value;
  txErrors?: UInt64Value;
}

export interface NetworkUsage {
  timestamp: number;
  defaultInterface?: NetworkInterfaceUsage;
  interfaces: NetworkInterfaceUsage[];
}

export interface LinuxPodSandboxStats {
  cpu?: CpuUsage;
  memory?: MemoryUsage;
  network?: NetworkUsage;
  process?: { timestamp: number; processCount?: UInt64Value };
  containers: ContainerStats[];
}

export interface PodSandboxStats {
  attributes?: { id: string; metadata?: PodSandboxMetadata; labels: Record<string, string>; annotations: Record<string, string> };
  linux?: LinuxPodSandboxStats;
}

export interface PodSandboxStatsFilter {
  id: string;
  labelSelector: Record<string, string>;
}

export const statsSchema = `
CpuUsage
  timestamp 1 int64
  usageCoreNanoSeconds 2 UInt64Value
  usageNanoCores 3 UInt64Value
MemoryUsage
  timestamp 1 int64
  workingSetBytes 2 UInt64Value
  availableBytes 3 UInt64Value
  usageBytes 4 UInt64Value
  rssBytes 5 UInt64Value
  pageFaults 6 UInt64Value
  majorPageFaults 7 UInt64Value
ContainerAttributes
  id 1 string
  metadata 2 ContainerMetadata
  labels 3 {}string
  annotations 4 {}string
ContainerStats
  attributes 1 ContainerAttributes
  cpu 2 CpuUsage
  memory 3 MemoryUsage
  writableLayer 4 FilesystemUsage
ContainerStatsResponse
  stats 1 ContainerStats
ContainerStatsFilter
  id 1 string
  podSandboxId 2 string
  labelSelector 3 {}string
ListContainerStatsRequest
  filter 1 ContainerStatsFilter
ListContainerStatsResponse
  stats 1 []ContainerStats
NetworkInterfaceUsage
  name 1 string
  rxBytes 2 UInt64Value
  rxErrors 3 UInt64Value
  txBytes 4 UInt64Value
  txErrors 5 UInt64Value
NetworkUsage
  timestamp 1 int64
  defaultInterface 2 NetworkInterfaceUsage
  interfaces 3 []NetworkInterfaceUsage
ProcessUsage
  timestamp 1 int64
  processCount 2 UInt64Value
LinuxPodSandboxStats
  cpu 1 CpuUsage
  memory 2 MemoryUsage
  network 3 NetworkUsage
  process 4 ProcessUsage
  containers 5 []ContainerStats
PodSandboxAttributes
  id 1 string
  metadata 2 PodSandboxMetadata
  labels 3 {}string
  annotations 4 {}string
PodSandboxStats
  attributes 1 PodSandboxAttributes
  linux 2 LinuxPodSandboxStats
PodSandboxStatsResponse
  stats 1 PodSandboxStats
PodSandboxStatsFilter
  id 1 string
  labelSelector 2 {}string
ListPodSandboxStatsRequest
  filter 1 PodSandboxStatsFilter
ListPodSandboxStatsResponse
  stats 1 []PodSandboxStats
`;
