/**
 * Running one node agent: what `bramble agent` does and what `bramble
 * server` does for its embedded agent, through the same path.
 *
 * 1. Credentials: with `server` + `token`, join (src/cluster/join: verify
 *    the CA against the token, then get a `system:node:<name>` client
 *    certificate, reused on later starts); with `kubeconfig`, use it as is.
 * 2. Runtime: `fake` (simulated node) or `containerd` (a supervised
 *    containerd over CRI, or an existing CRI socket).
 * 3. The AgentHost (register, Lease, status, pod sync) over that client,
 *    with the host's real capacity for real runtimes.
 *
 * Every step is a value or a coded error; the caller decides how to exit.
 */
import os from 'node:os';
import type { HttpClient } from '../client/http.ts';
import type { Obj } from '../client/types.ts';
import { logger } from '../util/log.ts';
import type { NodeRuntime } from './host.ts';

const log = logger('agent');

export type RuntimeKind = 'fake' | 'containerd';

export interface AgentOptions {
  nodeName: string;
  dataDir: string;
  runtime: RuntimeKind;
  /** Join with a token… */
  server?: string;
  token?: string;
  /** …or use a kubeconfig. */
  kubeconfig?: string;
  labels: Record<string, string>;
  taints: Obj[];
  internalIP?: string;
  /** Fake runtime: what the node reports. */
  capacity?: Record<string, string>;
  podCIDR?: string;
  podCIDRWaitMs: number;
  /** containerd: an existing CRI socket instead of a supervised containerd. */
  containerRuntimeEndpoint?: string;
  /** A server's embedded agent (control-plane role label). */
  controlPlane?: boolean;
  version: string;
}

export class AgentStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentStartError';
  }
}

export interface RunningAgent {
  nodeName: string;
  /** Resolves once the Node is registered (registration is retried until then). */
  registered: Promise<void>;
  stop(): Promise<void>;
}

/** The agent's API client: joined with the token, or from the kubeconfig. */
export async function agentClient(o: Pick<AgentOptions, 'server' | 'token' | 'kubeconfig' | 'nodeName' | 'dataDir'>): Promise<HttpClient> {
  const { HttpClient } = await import('../client/http.ts');
  if (o.server) {
    if (!o.token) throw new AgentStartError('--token is required with --server (the node-token file on the server: <data-dir>/server/node-token)');
    const { joinCluster, JoinError } = await import('../cluster/join/join.ts');
    try {
      const creds = await joinCluster({ server: o.server.replace(/\/+$/, ''), token: o.token, nodeName: o.nodeName, dataDir: o.dataDir });
      return new HttpClient(creds, `system:node:${o.nodeName}`);
    } catch (e) {
      if (e instanceof JoinError) throw new AgentStartError(e.message, { cause: e });
      throw e;
    }
  }
  if (o.kubeconfig) return HttpClient.fromKubeconfig(o.kubeconfig);
  throw new AgentStartError('nothing to join with: pass --server URL and --token TOKEN (or --kubeconfig FILE)');
}

export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const http = await agentClient(o);
  const { LimitedClient } = await import('./limited-client.ts');
  const { AgentHost } = await import('./host.ts');
  const { fallbackPodCIDR, fakeNodeConfig } = await import('./config.ts');
  const { defaultNodeIP } = await import('./node/host-info.ts');
  const internalIP = o.internalIP ?? defaultNodeIP();

  let nodeRuntime: NodeRuntime;
  let config;
  let closeRuntime: () => Promise<void> = async () => undefined;
  if (o.runtime === 'fake') {
    const { fakeNodeRuntime } = await import('./runtime/fake/index.ts');
    nodeRuntime = fakeNodeRuntime({ version: o.version });
    config = fakeNodeConfig({ name: o.nodeName, internalIP, labels: o.labels, taints: o.taints, capacity: o.capacity ?? { cpu: '4', memory: '8Gi', pods: '110' }, runtimeVersion: o.version });
    if (o.controlPlane) config.defaultLabels['node-role.kubernetes.io/control-plane'] = 'true';
  } else {
    const opened = await openRealRuntime(o);
    nodeRuntime = opened.nodeRuntime;
    closeRuntime = opened.close;
    const { hostNodeConfig } = await import('./node/host-config.ts');
    const v = await nodeRuntime.runtime.version();
    config = hostNodeConfig({
      name: o.nodeName,
      internalIP,
      labels: o.labels,
      taints: o.taints,
      dataDir: o.dataDir,
      containerRuntimeVersion: `${v.runtimeName}://${v.runtimeVersion}`,
      controlPlane: o.controlPlane,
    });
  }

  const host = new AgentHost({
    client: new LimitedClient(http, 16),
    heartbeatClient: http,
    eventClient: new LimitedClient(http, 4),
    nodes: [{ config, fallbackPodCIDR: o.podCIDR ?? fallbackPodCIDR(o.nodeName) }],
    runtimeFor: () => nodeRuntime,
    podFieldSelector: `spec.nodeName=${o.nodeName}`,
    nodeSelector: { fieldSelector: `metadata.name=${o.nodeName}` },
    podCIDRWaitMs: o.podCIDRWaitMs,
  });
  log.info('starting node agent', { node: o.nodeName, runtime: o.runtime, server: http.server });
  const registered = host.start().then(() => log.info('node registered; agent running', { node: o.nodeName, internalIP }));
  return {
    nodeName: o.nodeName,
    registered,
    async stop() {
      await host.stop();
      http.close();
      await closeRuntime();
    },
  };
}

/** The containerd runtime (wired in once src/agent/runtime/cri lands). */
async function openRealRuntime(o: AgentOptions): Promise<{ nodeRuntime: NodeRuntime; close(): Promise<void> }> {
  void o;
  throw new AgentStartError('the containerd runtime is not built into this release yet; use --runtime fake');
}

/** The node name an agent uses by default: the host name, lower-cased (as k3s). */
export function defaultNodeName(): string {
  return os.hostname().toLowerCase();
}
