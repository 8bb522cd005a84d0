/**
 * Running one node agent: what `bramble agent` does and what `bramble
 * server` does for its embedded agent, through the same path.
 *
 * 0. With `server`: the API server load balancer (src/agent/server-lb), a
 *    TCP proxy on 127.0.0.1 that every client below dials instead of
 *    `server`, so the agent follows the cluster's servers when one dies.
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
import type { AgentHostOptions, NodeRuntime } from './host.ts';
import type { RunningAgentServer } from './server/server.ts';
import type { StreamingRuntime } from './server/runtime.ts';
import type { FlannelBackend } from '../cluster/join/cluster-config.ts';
import type { AgentLoadBalancer } from './server-lb/agent-lb.ts';

const log = logger('agent');

export type RuntimeKind = 'fake' | 'containerd';

export interface AgentOptions {
  nodeName: string;
  dataDir: string;
  runtime: RuntimeKind;
  /** Join with a token… (reached through the agent's API server load balancer unless `serverLB` is false) */
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
  /** Port of the agent's HTTPS API (kubelet's 10250); default 10250 with containerd, any free port for the fake. */
  agentPort?: number;
  /** The cluster domain (`--cluster-domain`), default cluster.local. */
  clusterDomain?: string;
  /** The DNS address written into pods' resolv.conf (`--cluster-dns`), default 10.43.0.10. */
  clusterDns?: string;
  /** The pod network (the server's --cluster-cidr): the service proxy masquerades what comes from outside it. */
  clusterCIDR?: string;
  /** The pod network backend (the server's --flannel-backend); default: learned from the server (join token), else host-gw. */
  flannelBackend?: FlannelBackend;
  /** Parent cgroup of pod cgroups (kubelet's --cgroup-root); `bramble` by default. */
  cgroupRoot?: string;
  /** A server's embedded agent (control-plane role label). */
  controlPlane?: boolean;
  /** containerd: container log rotation (logs/rotation.ts), the kubelet's containerLogMaxSize in bytes (default 10 MiB) and containerLogMaxFiles (default 5). */
  containerLogMaxSize?: number;
  containerLogMaxFiles?: number;
  /**
   * With `server`: dial the API servers through the agent's load balancer
   * (src/agent/server-lb), default true; false talks to `server` directly.
   */
  serverLB?: boolean;
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
  let lb: AgentLoadBalancer | undefined;
  if (o.server && o.serverLB !== false) {
    const { startAgentLoadBalancer } = await import('./server-lb/agent-lb.ts');
    try {
      lb = await startAgentLoadBalancer({ server: o.server, dataDir: o.dataDir });
    } catch (e) {
      throw new AgentStartError(`cannot start the API server load balancer: ${(e as Error).message}`, { cause: e });
    }
  }
  try {
    return await runAgent(o, lb);
  } catch (e) {
    await lb?.close();
    throw e;
  }
}

/**
 * The agent proper. With a load balancer, everything that talks to the
 * server (joining, the cluster config, every API client) goes through
 * `lb.url`; the serving certificates of all servers carry 127.0.0.1 and
 * `localhost`, so TLS verifies whichever server answers.
 */
async function runAgent(o: AgentOptions, lb: AgentLoadBalancer | undefined): Promise<RunningAgent> {
  const apiURL = lb?.url ?? o.server;
  let http: HttpClient;
  try {
    http = await agentClient({ ...o, server: apiURL });
  } catch (e) {
    // A join error names the URL it dialled: say which server that stands for.
    if (lb && e instanceof AgentStartError) throw new AgentStartError(e.message.replaceAll(lb.url, `${o.server} (through the agent's load balancer)`), { cause: e.cause });
    throw e;
  }
  const { LimitedClient } = await import('./limited-client.ts');
  const { AgentHost } = await import('./host.ts');
  const { fallbackPodCIDR, fakeNodeConfig } = await import('./config.ts');
  const { defaultNodeIP } = await import('./node/host-info.ts');
  const internalIP = o.internalIP ?? defaultNodeIP();

  const { createStatsProvider } = await import('./stats/provider.ts');
  const { criStreamingRuntime, unsupportedStreamingRuntime } = await import('./server/runtime.ts');
  let nodeRuntime: NodeRuntime;
  let config;
  let closeRuntime: () => Promise<void> = async () => undefined;
  let stats;
  let streaming;
  let podSync: AgentHostOptions['podSync'];
  let logRotation: { start(): void; stop(): Promise<void> } | undefined;
  let backend: FlannelBackend = 'host-gw';
  if (o.runtime === 'fake') {
    const { fakeNodeRuntime } = await import('./runtime/fake/index.ts');
    nodeRuntime = fakeNodeRuntime({ version: o.version });
    stats = createStatsProvider({ nodeName: o.nodeName, dataDir: o.dataDir, runtime: nodeRuntime.runtime });
    streaming = unsupportedStreamingRuntime('fake');
    config = fakeNodeConfig({ name: o.nodeName, internalIP, labels: o.labels, taints: o.taints, capacity: o.capacity ?? { cpu: '4', memory: '8Gi', pods: '110' }, runtimeVersion: o.version });
    if (o.controlPlane) config.defaultLabels['node-role.kubernetes.io/control-plane'] = 'true';
  } else {
    // The backend is needed before containerd: vxlan shrinks the pods' MTU in the CNI config.
    backend = o.flannelBackend ?? (await learnBackend(o, apiURL));
    const mtu = backend === 'vxlan' ? await vxlanPodMTU(internalIP) : undefined;
    const opened = await openRealRuntime(o, mtu);
    nodeRuntime = opened;
    closeRuntime = () => opened.close();
    stats = createStatsProvider({ nodeName: o.nodeName, dataDir: o.dataDir, cri: opened.cri.runtime });
    streaming = criStreamingRuntime(opened.cri.runtime);
    const { clientLookup } = await import('./env/lookup.ts');
    const path = await import('node:path');
    // Real pods get volumes (under <data-dir>/agent/pods) and probes; the fake and the simulator do without.
    const { defaultDns } = await import('./pods/pod-config.ts');
    const dns = { ...defaultDns, clusterDNS: [o.clusterDns ?? '10.43.0.10'], clusterDomain: o.clusterDomain ?? 'cluster.local' };
    podSync = { lookup: clientLookup(http), podsDir: path.join(o.dataDir, 'agent', 'pods'), probes: {}, dns };
    // Container log rotation (the kubelet's container log manager): every 10 s, logs over the size limit are rotated.
    const { ContainerLogManager } = await import('./logs/rotation.ts');
    logRotation = new ContainerLogManager({ runtime: nodeRuntime.runtime, maxSizeBytes: o.containerLogMaxSize, maxFiles: o.containerLogMaxFiles });
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

  // The agent's own HTTPS port (logs, exec, attach, port-forward, stats) for
  // the API server only: it needs the cluster's client CA, which joining saves.
  const server = await startStreamingServer(o, internalIP, streaming, () => stats.summary());
  config.daemonPort = server?.port;

  const host = new AgentHost({
    client: new LimitedClient(http, 16),
    heartbeatClient: http,
    eventClient: new LimitedClient(http, 4),
    nodes: [{ config, fallbackPodCIDR: o.podCIDR ?? fallbackPodCIDR(o.nodeName) }],
    runtimeFor: () => nodeRuntime,
    podFieldSelector: `spec.nodeName=${o.nodeName}`,
    nodeSelector: { fieldSelector: `metadata.name=${o.nodeName}` },
    podCIDRWaitMs: o.podCIDRWaitMs,
    podSync,
  });
  log.info('starting node agent', { node: o.nodeName, runtime: o.runtime, server: o.server ?? http.server, ...(lb ? { via: lb.url } : {}) });
  logRotation?.start(); // containerd only (see above)
  const registered = host.start().then(() => log.info('node registered; agent running', { node: o.nodeName, internalIP }));
  // Services in the kernel (nftables), for real nodes: simulated ones have no packets to steer.
  const proxyStop = new AbortController();
  let proxy: Promise<unknown> = Promise.resolve();
  // The load balancer learns the other API servers from the cluster (the default/kubernetes EndpointSlice).
  const following = lb?.follow(http, proxyStop.signal).catch((e: unknown) => log.error('API server list not followed; the agent knows only the servers it started with', { error: (e as Error).message }));
  if (o.runtime === 'containerd') {
    proxy = startProxy(o, http, internalIP, proxyStop.signal);
    // Cluster DNS on this node's address: the kube-dns Service (10.43.0.10, internalTrafficPolicy Local)
    // lists every node's address, so each node's pods ask their own node (src/controllers/cluster-dns).
    void startDns(o, http, internalIP, proxyStop.signal);
    // The built-in ingress controller: Ingresses of class bramble on this node's ports 80 and 443 (src/agent/ingress).
    void startIngress(http, internalIP, proxyStop.signal);
    // TCP routes of the ingress: ConfigMap kube-system/bramble-tcp-services and Service annotations → node ports (src/agent/tcp-routes).
    void startTcpRoutes(o, http, internalIP, proxyStop.signal);
    // Pods on other nodes: a route per node's podCIDR, via its address (host-gw) or through flannel.1 (vxlan); src/agent/network/.
    void startRoutes(o, http, internalIP, backend, proxyStop.signal);
    // Load-balancer pool addresses this node announces (ARP), as MetalLB layer 2 (src/agent/network/lb-announce.ts).
    void startLBAnnounce(o, http, internalIP, proxyStop.signal);
  }
  return {
    nodeName: o.nodeName,
    registered,
    async stop() {
      // The proxy's table stays in the kernel: Services keep working while the agent is down.
      proxyStop.abort();
      await proxy;
      await following;
      await host.stop();
      http.close();
      await lb?.close();
      await server?.close();
      await logRotation?.stop(); // before the runtime it calls goes away
      await closeRuntime();
    },
  };
}

/** containerd: our own supervised one, or an existing CRI socket (`--container-runtime-endpoint`). */
async function openRealRuntime(o: AgentOptions, mtu: number | undefined) {
  const { openContainerdRuntime } = await import('./runtime/cri/containerd-runtime.ts');
  try {
    return await openContainerdRuntime({ dataDir: o.dataDir, endpoint: o.containerRuntimeEndpoint, cgroupRoot: o.cgroupRoot, mtu });
  } catch (e) {
    throw new AgentStartError(`cannot start the container runtime: ${(e as Error).message}`, { cause: e });
  }
}

async function startStreamingServer(o: AgentOptions, internalIP: string, runtime: StreamingRuntime, statsSummary: () => Promise<unknown>): Promise<RunningAgentServer | undefined> {
  const fs = await import('node:fs/promises');
  const { agentFiles } = await import('../cluster/join/join.ts');
  const clientCA = await fs.readFile(agentFiles(o.dataDir).clientCa, 'utf8').catch(() => undefined);
  if (!clientCA) {
    log.warn('no cluster client CA (the agent did not join with a token): logs, exec, port-forward and kubectl top are unavailable for this node');
    return undefined;
  }
  const { ensureAgentServingCert } = await import('./server/tls.ts');
  const { startAgentServer, DEFAULT_AGENT_PORT } = await import('./server/server.ts');
  const pair = await ensureAgentServingCert(o.dataDir, { dnsNames: [os.hostname(), o.nodeName], ipAddresses: [internalIP, '127.0.0.1'] });
  const port = o.agentPort ?? (o.runtime === 'fake' ? 0 : DEFAULT_AGENT_PORT);
  try {
    const s = await startAgentServer({ port, cert: pair.certPem, key: pair.keyPem, clientCA, runtime, statsSummary });
    log.info('agent API listening', { port: s.port });
    return s;
  } catch (e) {
    throw new AgentStartError(`cannot listen on the agent port ${port}: ${(e as Error).message} (another agent on this machine? use --agent-port)`, { cause: e });
  }
}

async function startProxy(o: AgentOptions, client: HttpClient, nodeIP: string, signal: AbortSignal): Promise<void> {
  const fs = await import('node:fs/promises');
  // Bridged pod-to-pod traffic must pass netfilter for Service DNAT to apply to it (kube-proxy needs the same).
  await fs.writeFile('/proc/sys/net/bridge/bridge-nf-call-iptables', '1').catch(() => log.debug('bridge-nf-call-iptables not available (br_netfilter not loaded)'));
  try {
    const { startServiceProxy } = await import('./proxy/proxy.ts');
    const p = startServiceProxy({ client, nodeName: o.nodeName, nodeIPs: [nodeIP], clusterCIDR: o.clusterCIDR ?? '10.42.0.0/16', signal });
    p.ready.catch((e: unknown) => log.error('service proxy failed', { error: (e as Error).message }));
    await p.stopped.catch((e: unknown) => log.error('service proxy stopped with an error', { error: (e as Error).message }));
  } catch (e) {
    log.error('service proxy did not start; Services will not answer on this node', { error: (e as Error).message });
  }
}

/**
 * The cluster's pod network backend, as k3s agents learn the server's
 * config: fetched with the join token on every start (the credential is
 * reused without asking the server), so one `--flannel-backend` on the
 * server decides for every board. An agent on a kubeconfig has no token
 * to ask with and uses host-gw.
 */
async function learnBackend(o: AgentOptions, apiURL: string | undefined): Promise<FlannelBackend> {
  const { DEFAULT_FLANNEL_BACKEND, fetchClusterConfig } = await import('../cluster/join/cluster-config.ts');
  if (!o.server || !apiURL || !o.token) {
    log.info('no join token to ask the server with: pod network backend host-gw', { backend: DEFAULT_FLANNEL_BACKEND });
    return DEFAULT_FLANNEL_BACKEND;
  }
  const fs = await import('node:fs/promises');
  const { agentFiles } = await import('../cluster/join/join.ts');
  // Without a saved answer (the first start of an upgraded agent) the server must answer; k3s agents wait
  // for it too. A minute, then a start error: better no node than one on the wrong backend.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const caPem = await fs.readFile(agentFiles(o.dataDir).ca, 'utf8');
      const cfg = await fetchClusterConfig({ server: apiURL.replace(/\/+$/, ''), token: o.token, caPem, dataDir: o.dataDir });
      log.info('pod network backend from the server', { backend: cfg.flannelBackend });
      return cfg.flannelBackend;
    } catch (e) {
      if (Date.now() > deadline) throw new AgentStartError(`cannot learn the cluster's pod network backend from ${o.server}: ${(e as Error).message}`, { cause: e });
      log.warn('waiting for the server\'s cluster config', { server: o.server, error: (e as Error).message });
      await new Promise((r) => setTimeout(r, 5_000));
    }
  }
}

/** Pods' MTU under vxlan: the node interface's less the 50 bytes of encapsulation, as flannel. */
async function vxlanPodMTU(nodeIP: string): Promise<number | undefined> {
  const { defaultIp } = await import('./network/routes.ts');
  const { parentOf, VXLAN_OVERHEAD } = await import('./network/vxlan.ts');
  try {
    return (await parentOf(defaultIp, nodeIP)).mtu - VXLAN_OVERHEAD;
  } catch (e) {
    log.warn('cannot find the node interface\'s MTU: pods keep the default MTU (large packets across nodes may be dropped)', { error: (e as Error).message });
    return undefined;
  }
}

async function startRoutes(o: AgentOptions, client: HttpClient, nodeIP: string, backend: FlannelBackend, signal: AbortSignal): Promise<void> {
  try {
    const { startPodNetwork } = await import('./network/pod-network.ts');
    const r = startPodNetwork({ client, nodeName: o.nodeName, nodeIP, backend, clusterCIDR: o.clusterCIDR ?? '10.42.0.0/16', signal });
    await r.stopped;
  } catch (e) {
    log.error('pod network did not start; pods on other nodes are unreachable from here', { backend, error: (e as Error).message });
  }
}

async function startLBAnnounce(o: AgentOptions, client: HttpClient, nodeIP: string, signal: AbortSignal): Promise<void> {
  try {
    const { startLBAnnounce: start } = await import('./network/lb-announce.ts');
    await start({ client, nodeName: o.nodeName, nodeIP, signal }).stopped;
  } catch (e) {
    log.error('load-balancer announcement did not start; pool addresses are not answered from this node', { error: (e as Error).message });
  }
}

async function startDns(o: AgentOptions, client: HttpClient, nodeIP: string, signal: AbortSignal): Promise<void> {
  try {
    const { startClusterDns } = await import('./dns/server.ts');
    await startClusterDns({ client, listen: [{ host: nodeIP, port: 53 }], domain: o.clusterDomain ?? 'cluster.local', signal });
    log.info('cluster DNS listening', { address: `${nodeIP}:53` });
  } catch (e) {
    log.error('cluster DNS did not start; pods on this node cannot resolve names', { address: `${nodeIP}:53`, error: (e as Error).message });
  }
}

/**
 * The built-in ingress serves (binds the node's ports 80 and 443) only while
 * an IngressClass of its controller exists: `bramble server --disable
 * ingress` removes the class, which frees the ports on every node for
 * another ingress controller, as k3s's `--disable traefik` does.
 */
async function startIngress(client: HttpClient, nodeIP: string, signal: AbortSignal): Promise<void> {
  const { Informer } = await import('../client/informer.ts');
  const { INGRESS_CONTROLLER, ingressClasses } = await import('../controllers/ingress/ingress.ts');
  const { startIngressController } = await import('./ingress/controller.ts');
  const classes = new Informer(client, ingressClasses);
  // Starts and stops run one after another, so a restart never races the
  // previous listener for the ports.
  let serving: { close(): Promise<void> } | undefined;
  let wantedBefore = false;
  let queue = Promise.resolve();
  const follow = () => {
    const wanted = !signal.aborted && classes.list().some((c) => c['spec']?.controller === INGRESS_CONTROLLER);
    if (wanted === wantedBefore) return;
    wantedBefore = wanted;
    queue = queue.then(async () => {
      if (wanted && !serving) {
        try {
          serving = await startIngressController({ client, http: [{ host: nodeIP, port: 80 }], https: [{ host: nodeIP, port: 443 }] });
          log.info('ingress controller listening', { http: `${nodeIP}:80`, https: `${nodeIP}:443` });
        } catch (e) {
          log.error('ingress controller did not start; Ingresses will not be served on this node', { address: nodeIP, error: (e as Error).message });
        }
      } else if (!wanted && serving) {
        await serving.close();
        serving = undefined;
        if (!signal.aborted) log.info('no IngressClass of the built-in controller (bramble.io/ingress): ports 80/443 released');
      }
    });
  };
  signal.addEventListener('abort', follow, { once: true });
  classes.addHandler({ add: follow, update: follow, delete: follow });
  await classes.run(signal);
}

async function startTcpRoutes(o: AgentOptions, client: HttpClient, nodeIP: string, signal: AbortSignal): Promise<void> {
  try {
    const { startTcpRoutes: start } = await import('./tcp-routes/controller.ts');
    const { DEFAULT_RESERVED } = await import('./tcp-routes/routes.ts');
    // Ports this node's own listeners hold: the defaults plus the agent and API ports actually in use.
    const reserved = new Map(DEFAULT_RESERVED);
    if (o.agentPort) reserved.set(o.agentPort, 'the agent API');
    // The real API port (`--server`'s), not the load balancer's the client dials.
    const apiPort = Number(new URL(o.server ?? client.server).port || 443);
    if (apiPort) reserved.set(apiPort, 'the API server');
    const r = start({ client, host: nodeIP, nodeName: o.nodeName, build: { reserved }, signal });
    await r.synced;
    log.info('TCP routes running', { address: nodeIP, ports: [...r.table().routes.keys()] });
  } catch (e) {
    log.error('TCP routes did not start; TCP ports of the ingress will not be served on this node', { address: nodeIP, error: (e as Error).message });
  }
}

/**
 * `bramble agent --cleanup`: removes what the agent leaves in the kernel on
 * purpose while it is stopped (the service proxy's table, pod routes, the
 * vxlan device flannel.1 and the masquerade rule), as before an uninstall. Containers are not touched.
 */
export async function cleanupAgentNetwork(): Promise<string[]> {
  const done: string[] = [];
  const { cleanupServiceProxy } = await import('./proxy/proxy.ts');
  const { cleanupPodNetwork } = await import('./network/pod-network.ts');
  for (const [what, fn] of [
    ['service proxy rules (nftables table bramble-proxy)', () => cleanupServiceProxy()],
    ['pod routes, the vxlan device flannel.1 and the masquerade rule (nftables table bramble-net)', () => cleanupPodNetwork()],
  ] as const) {
    try {
      await fn();
      done.push(what);
    } catch (e) {
      log.warn('cleanup step failed', { what, error: (e as Error).message });
    }
  }
  return done;
}

/** The node name an agent uses by default: the host name, lower-cased (as k3s). */
export function defaultNodeName(): string {
  return os.hostname().toLowerCase();
}
