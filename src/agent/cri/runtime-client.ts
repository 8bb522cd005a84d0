/**
 * Typed client for the CRI RuntimeService (runtime.v1): sandboxes,
 * containers, exec, streaming URLs and stats. One method per RPC; requests
 * are the `In<…>` (all-optional) view of the message, responses come back
 * with proto3 defaults filled.
 *
 * Failures are `GrpcError`s carrying the runtime's status code: NOT_FOUND
 * for an unknown id, DEADLINE_EXCEEDED when the call's deadline passed,
 * UNAVAILABLE when the runtime's socket does not answer. Stop and remove
 * calls are idempotent in containerd (a missing id is success).
 */
import type { CallOptions, GrpcClient } from './grpc.ts';
import { decodeCri, encodeCri } from './proto/index.ts';
import type {
  AttachRequest,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatsFilter,
  ContainerStatusResponse,
  ExecRequest,
  ExecSyncResponse,
  In,
  LinuxContainerResources,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStats,
  PodSandboxStatsFilter,
  PodSandboxStatusResponse,
  StatusResponse,
  VersionResponse,
} from './proto/index.ts';

const service = '/runtime.v1.RuntimeService/';

/** Extra time a call gets beyond the work it asks the runtime to wait for (the kubelet's 2-minute request timeout). */
const slackMs = 120_000;

export class RuntimeServiceClient {
  private readonly grpc: GrpcClient;

  constructor(grpc: GrpcClient) {
    this.grpc = grpc;
  }

  /** The runtime's name and version; doubles as a liveness probe of the socket. */
  version(opts?: CallOptions): Promise<VersionResponse> {
    return this.call('Version', 'VersionRequest', 'VersionResponse', { version: 'v1' }, opts);
  }

  /** RuntimeReady / NetworkReady conditions (NetworkReady is false until a CNI config exists). */
  status(verbose = false, opts?: CallOptions): Promise<StatusResponse> {
    return this.call('Status', 'StatusRequest', 'StatusResponse', { verbose }, opts);
  }

  /** Hands the runtime the node's pod CIDR (containerd renders a CNI conf_template with it). */
  async updateRuntimeConfig(podCidr: string, opts?: CallOptions): Promise<void> {
    await this.call('UpdateRuntimeConfig', 'UpdateRuntimeConfigRequest', 'Empty', { runtimeConfig: { networkConfig: { podCidr } } }, opts);
  }

  /** Creates and starts a sandbox (pause container + network); resolves with its id. */
  async runPodSandbox(config: In<PodSandboxConfig>, runtimeHandler = '', opts?: CallOptions): Promise<string> {
    const r = await this.call<{ podSandboxId: string }>('RunPodSandbox', 'RunPodSandboxRequest', 'RunPodSandboxResponse', { config, runtimeHandler }, opts);
    return r.podSandboxId;
  }

  /** Stops the sandbox's containers (killing them) and tears its network down. */
  async stopPodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    await this.call('StopPodSandbox', 'PodSandboxIdRequest', 'Empty', { podSandboxId }, opts);
  }

  async removePodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    await this.call('RemovePodSandbox', 'PodSandboxIdRequest', 'Empty', { podSandboxId }, opts);
  }

  podSandboxStatus(podSandboxId: string, verbose = false, opts?: CallOptions): Promise<PodSandboxStatusResponse> {
    return this.call('PodSandboxStatus', 'PodSandboxStatusRequest', 'PodSandboxStatusResponse', { podSandboxId, verbose }, opts);
  }

  async listPodSandbox(filter?: In<PodSandboxFilter>, opts?: CallOptions): Promise<PodSandbox[]> {
    const r = await this.call<{ items: PodSandbox[] }>('ListPodSandbox', 'ListPodSandboxRequest', 'ListPodSandboxResponse', { filter }, opts);
    return r.items;
  }

  /**
   * Creates a container in a sandbox; `sandboxConfig` must be the config
   * the sandbox was run with (the runtime takes the log directory, and
   * namespace and cgroup settings, from it). Resolves with the container id.
   */
  async createContainer(podSandboxId: string, config: In<ContainerConfig>, sandboxConfig: In<PodSandboxConfig>, opts?: CallOptions): Promise<string> {
    const r = await this.call<{ containerId: string }>('CreateContainer', 'CreateContainerRequest', 'CreateContainerResponse', { podSandboxId, config, sandboxConfig }, opts);
    return r.containerId;
  }

  async startContainer(containerId: string, opts?: CallOptions): Promise<void> {
    await this.call('StartContainer', 'ContainerIdRequest', 'Empty', { containerId }, opts);
  }

  /** Sends the stop signal, waits up to `timeoutSeconds`, then kills. */
  async stopContainer(containerId: string, timeoutSeconds: number, opts?: CallOptions): Promise<void> {
    await this.call('StopContainer', 'StopContainerRequest', 'Empty', { containerId, timeout: timeoutSeconds }, { timeoutMs: timeoutSeconds * 1000 + slackMs, ...opts });
  }

  async removeContainer(containerId: string, opts?: CallOptions): Promise<void> {
    await this.call('RemoveContainer', 'ContainerIdRequest', 'Empty', { containerId }, opts);
  }

  async listContainers(filter?: In<ContainerFilter>, opts?: CallOptions): Promise<Container[]> {
    const r = await this.call<{ containers: Container[] }>('ListContainers', 'ListContainersRequest', 'ListContainersResponse', { filter }, opts);
    return r.containers;
  }

  containerStatus(containerId: string, verbose = false, opts?: CallOptions): Promise<ContainerStatusResponse> {
    return this.call('ContainerStatus', 'ContainerStatusRequest', 'ContainerStatusResponse', { containerId, verbose }, opts);
  }

  /** Changes a running container's cgroup limits in place. */
  async updateContainerResources(containerId: string, linux: In<LinuxContainerResources>, annotations?: Record<string, string>, opts?: CallOptions): Promise<void> {
    await this.call('UpdateContainerResources', 'UpdateContainerResourcesRequest', 'Empty', { containerId, linux, annotations }, opts);
  }

  /** Makes the runtime reopen the container's log file (after the agent rotated it). */
  async reopenContainerLog(containerId: string, opts?: CallOptions): Promise<void> {
    await this.call('ReopenContainerLog', 'ContainerIdRequest', 'Empty', { containerId }, opts);
  }

  /**
   * Runs a command in the container and collects its output (probes).
   * `timeoutSeconds` bounds the command (0: none); a command that overruns
   * fails with DEADLINE_EXCEEDED.
   */
  execSync(containerId: string, cmd: string[], timeoutSeconds = 0, opts?: CallOptions): Promise<ExecSyncResponse> {
    const timeoutMs = timeoutSeconds > 0 ? timeoutSeconds * 1000 + slackMs : undefined;
    return this.call('ExecSync', 'ExecSyncRequest', 'ExecSyncResponse', { containerId, cmd, timeout: timeoutSeconds }, { timeoutMs, ...opts });
  }

  /** The URL of the runtime's streaming server for an interactive exec. */
  async exec(req: In<ExecRequest>, opts?: CallOptions): Promise<string> {
    return (await this.call<{ url: string }>('Exec', 'ExecRequest', 'StreamingUrlResponse', req, opts)).url;
  }

  /** The URL of the runtime's streaming server to attach to a container's stdio. */
  async attach(req: In<AttachRequest>, opts?: CallOptions): Promise<string> {
    return (await this.call<{ url: string }>('Attach', 'AttachRequest', 'StreamingUrlResponse', req, opts)).url;
  }

  /** The URL of the runtime's streaming server to forward ports into a sandbox. */
  async portForward(podSandboxId: string, ports: number[], opts?: CallOptions): Promise<string> {
    return (await this.call<{ url: string }>('PortForward', 'PortForwardRequest', 'StreamingUrlResponse', { podSandboxId, port: ports }, opts)).url;
  }

  async containerStats(containerId: string, opts?: CallOptions): Promise<ContainerStats | undefined> {
    return (await this.call<{ stats?: ContainerStats }>('ContainerStats', 'ContainerIdRequest', 'ContainerStatsResponse', { containerId }, opts)).stats;
  }

  async listContainerStats(filter?: In<ContainerStatsFilter>, opts?: CallOptions): Promise<ContainerStats[]> {
    return (await this.call<{ stats: ContainerStats[] }>('ListContainerStats', 'ListContainerStatsRequest', 'ListContainerStatsResponse', { filter }, opts)).stats;
  }

  async podSandboxStats(podSandboxId: string, opts?: CallOptions): Promise<PodSandboxStats | undefined> {
    return (await this.call<{ stats?: PodSandboxStats }>('PodSandboxStats', 'PodSandboxIdRequest', 'PodSandboxStatsResponse', { podSandboxId }, opts)).stats;
  }

  async listPodSandboxStats(filter?: In<PodSandboxStatsFilter>, opts?: CallOptions): Promise<PodSandboxStats[]> {
    return (await this.call<{ stats: PodSandboxStats[] }>('ListPodSandboxStats', 'ListPodSandboxStatsRequest', 'ListPodSandboxStatsResponse', { filter }, opts)).stats;
  }

  private async call<T>(method: string, requestType: string, responseType: string, request: object, opts?: CallOptions): Promise<T> {
    const bytes = await this.grpc.unary(service + method, encodeCri(requestType, request), opts);
    return decodeCri<T>(responseType, bytes);
  }
}
