/**
 * The Linux part of a container's configuration: cgroup resources and
 * the security context (user, capabilities, read-only root…).
 */
import type { Int64Value, NamespaceOption, SecurityProfile, SELinuxOption } from './messages-common.ts';

export interface HugepageLimit {
  pageSize: string;
  limit: number;
}

/**
 * cgroup limits. Zero means "not set" for every field (the runtime keeps
 * its default), which is why a memory limit of 0 cannot be requested.
 */
export interface LinuxContainerResources {
  /** CFS period in microseconds (100000 usually). */
  cpuPeriod: number;
  /** CFS quota in microseconds per period: millicores × period / 1000. */
  cpuQuota: number;
  /** Relative weight: millicores × 1024 / 1000, at least 2. */
  cpuShares: number;
  memoryLimitInBytes: number;
  oomScoreAdj: number;
  cpusetCpus: string;
  cpusetMems: string;
  hugepageLimits: HugepageLimit[];
  /** cgroup v2 key/values written as they are. */
  unified: Record<string, string>;
  memorySwapLimitInBytes: number;
}

export interface Capability {
  addCapabilities: string[];
  dropCapabilities: string[];
}

export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged: boolean;
  namespaceOptions?: NamespaceOption;
  selinuxOptions?: SELinuxOption;
  /** Absent: the image's user. Present with 0: root. */
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  runAsUsername: string;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  noNewPrivs: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}

export interface LinuxContainerConfig {
  resources?: LinuxContainerResources;
  securityContext?: LinuxContainerSecurityContext;
}

export const linuxSchema = `
HugepageLimit
  pageSize 1 string
  limit 2 uint64
LinuxContainerResources
  cpuPeriod 1 int64
  cpuQuota 2 int64
  cpuShares 3 int64
  memoryLimitInBytes 4 int64
  oomScoreAdj 5 int64
  cpusetCpus 6 string
  cpusetMems 7 string
  hugepageLimits 8 []HugepageLimit
  unified 9 {}string
  memorySwapLimitInBytes 10 int64
Capability
  addCapabilities 1 []string
  dropCapabilities 2 []string
LinuxContainerSecurityContext
  capabilities 1 Capability
  privileged 2 bool
  namespaceOptions 3 NamespaceOption
  selinuxOptions 4 SELinuxOption
  runAsUser 5 Int64Value
  runAsUsername 6 string
  readonlyRootfs 7 bool
  supplementalGroups 8 []int64
  noNewPrivs 11 bool
  runAsGroup 12 Int64Value
  maskedPaths 13 []string
  readonlyPaths 14 []string
  seccomp 15 SecurityProfile
  apparmor 16 SecurityProfile
LinuxContainerConfig
  resources 1 LinuxContainerResources
  securityContext 2 LinuxContainerSecurityContext
`;
