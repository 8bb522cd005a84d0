/**
 * Runtime-wide CRI messages: version, status conditions and the runtime
 * configuration the kubelet pushes (the node's pod CIDR).
 */

export interface VersionRequest {
  /** The CRI version the client speaks. */
  version: string;
}

export interface VersionResponse {
  /** The runtime's CRI implementation version (`0.1.0` for containerd). */
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  /** `v1` for runtime.v1. */
  runtimeApiVersion: string;
}

export interface StatusRequest {
  /** Ask for the runtime's extra debug info (containerd: its CRI config as JSON). */
  verbose: boolean;
}

/** `RuntimeReady` and `NetworkReady`; the runtime may add its own types. */
export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatus {
  conditions: RuntimeCondition[];
}

export interface RuntimeHandler {
  name: string;
}

export interface StatusResponse {
  status?: RuntimeStatus;
  /** Verbose only: free-form JSON strings by key. */
  info: Record<string, string>;
  /** Newer runtimes only. */
  runtimeHandlers: RuntimeHandler[];
}

export interface UpdateRuntimeConfigRequest {
  runtimeConfig?: { networkConfig?: { podCidr: string } };
}

export const runtimeSchema = `
VersionRequest
  version 1 string
VersionResponse
  version 1 string
  runtimeName 2 string
  runtimeVersion 3 string
  runtimeApiVersion 4 string
StatusRequest
  verbose 1 bool
RuntimeCondition
  type 1 string
  status 2 bool
  reason 3 string
  message 4 string
RuntimeStatus
  conditions 1 []RuntimeCondition
RuntimeHandler
  name 1 string
StatusResponse
  status 1 RuntimeStatus
  info 2 {}string
  runtimeHandlers 3 []RuntimeHandler
NetworkConfig
  podCidr 1 string
RuntimeConfig
  networkConfig 1 NetworkConfig
UpdateRuntimeConfigRequest
  runtimeConfig 1 RuntimeConfig
`;
