/**
 * `bramble agent`: the node agent. Joins a server with its token (or uses a
 * kubeconfig), registers the node and runs the pods bound to it on
 * containerd, or on the `fake` runtime (a simulated node: pods run nowhere).
 * The work is in src/agent/run.ts, shared with the server's embedded agent.
 */
import os from 'node:os';
import { UsageError, type CommandSpec, type FlagValues } from './flags.ts';
import { defaultDataDir } from './server.ts';

export const spec: CommandSpec = {
  name: 'agent',
  summary: 'Run a node agent: registers this node, keeps its Lease and status, and runs the pods bound to it',
  usage: 'bramble agent --server https://SERVER:6443 --token TOKEN [--node-name NAME] [flags]',
  flags: [
    { name: 'server', kind: 'string', arg: 'URL', env: 'BRAMBLE_URL', help: 'Server to join, e.g. https://192.168.1.10:6443', short: 's' },
    { name: 'token', kind: 'string', arg: 'TOKEN', env: 'BRAMBLE_TOKEN', help: 'Join token (the server\'s <data-dir>/server/node-token)', short: 't' },
    { name: 'token-file', kind: 'string', arg: 'FILE', env: 'BRAMBLE_TOKEN_FILE', help: 'File holding the join token' },
    { name: 'data-dir', kind: 'string', arg: 'DIR', default: defaultDataDir, env: 'BRAMBLE_DATA_DIR', help: 'Folder to hold the agent\'s state (credentials, containerd, pod data)', short: 'd' },
    { name: 'runtime', kind: 'string', arg: 'NAME', default: 'containerd', env: 'BRAMBLE_RUNTIME', help: 'Container runtime: containerd, or fake (a simulated node: pods run nowhere)' },
    { name: 'agent-port', kind: 'int', arg: 'PORT', help: 'Port of the agent\'s HTTPS API for the server: logs, exec, port-forward, stats (default: 10250; any free port with --runtime fake)' },
    { name: 'cluster-cidr', kind: 'string', arg: 'CIDR', default: '10.42.0.0/16', help: 'The cluster\'s pod network (the server\'s --cluster-cidr), for the service proxy' },
    { name: 'cluster-domain', kind: 'string', arg: 'DOMAIN', default: 'cluster.local', help: 'Cluster domain served by the node\'s DNS and searched by pods' },
    { name: 'cluster-dns', kind: 'string', arg: 'ADDR', default: '10.43.0.10', help: 'DNS address written into pods\' resolv.conf (the kube-dns Service)' },
    { name: 'cleanup', kind: 'bool', help: 'Remove the rules and routes the agent leaves in the kernel (service proxy, pod routes, the vxlan device flannel.1), then exit' },
    { name: 'cgroup-root', kind: 'string', arg: 'NAME', help: 'Parent cgroup of pod cgroups (default: bramble)' },
    { name: 'container-runtime-endpoint', kind: 'string', arg: 'SOCKET', help: 'Use this existing CRI socket instead of starting containerd' },
    { name: 'kubeconfig', kind: 'string', arg: 'FILE', env: 'BRAMBLE_KUBECONFIG', help: 'Kubeconfig to reach the server with, instead of joining with a token' },
    { name: 'node-name', kind: 'string', arg: 'NAME', env: 'BRAMBLE_NODE_NAME', help: 'Node name (default: the host name)' },
    { name: 'node-label', kind: 'list', arg: 'KEY=VALUE', default: [], help: 'Label to register the node with (repeatable)' },
    { name: 'node-taint', kind: 'list', arg: 'KEY=VALUE:EFFECT', default: [], help: 'Taint to register the node with (repeatable)' },
    { name: 'capacity', kind: 'string', arg: 'LIST', default: 'cpu=4,memory=8Gi,pods=110', help: 'Resources the fake node reports (capacity and allocatable)' },
    { name: 'node-ip', kind: 'string', arg: 'ADDR', help: 'InternalIP of the node (default: the first non-loopback IPv4 address)' },
    { name: 'pod-cidr', kind: 'string', arg: 'CIDR', help: 'Pod range to use if the server allocates none (default: a /24 of 10.128.0.0/9 chosen by node name)' },
    { name: 'pod-cidr-wait', kind: 'string', arg: 'DURATION', default: '30s', help: 'How long to wait for the server to allocate spec.podCIDR before falling back' },
    { name: 'log-level', kind: 'string', arg: 'LEVEL', default: 'info', env: 'BRAMBLE_LOG_LEVEL', help: 'Log level: error, warn, info, debug, trace' },
    { name: 'debug', kind: 'bool', help: 'Shorthand for --log-level debug' },
  ],
};

/** Flags shared by `agent` and `sim` that describe the node(s). */
export async function nodeFlags(values: FlagValues) {
  const { ConfigError, parseCapacity, parseLabels, parseTaints } = await import('../agent/config.ts');
  const { parseDuration } = await import('../server/config.ts');
  try {
    return {
      labels: parseLabels((values['node-label'] as string[] | undefined) ?? []),
      taints: parseTaints((values['node-taint'] as string[] | undefined) ?? []),
      capacity: parseCapacity(String(values['capacity'])),
      podCIDRWaitMs: parseDuration(String(values['pod-cidr-wait'])),
    };
  } catch (e) {
    if (e instanceof ConfigError || e instanceof Error) throw new UsageError(e.message);
    throw e;
  }
}

export async function run(values: FlagValues): Promise<number> {
  if (values['cleanup'] === true) {
    const { cleanupAgentNetwork } = await import('../agent/run.ts');
    for (const what of await cleanupAgentNetwork()) process.stdout.write(`removed ${what}\n`);
    return 0;
  }
  const runtime = String(values['runtime']);
  if (runtime !== 'fake' && runtime !== 'containerd') throw new UsageError(`unknown runtime "${runtime}" (supported: containerd, fake)`);
  const server = values['server'] as string | undefined;
  let token = values['token'] as string | undefined;
  const tokenFile = values['token-file'] as string | undefined;
  if (!token && tokenFile) {
    const fs = await import('node:fs');
    try {
      token = fs.readFileSync(tokenFile, 'utf8').trim();
    } catch (e) {
      throw new UsageError(`cannot read --token-file ${tokenFile}: ${(e as Error).message}`);
    }
  }
  const kubeconfig = values['kubeconfig'] as string | undefined;
  if (server) {
    if (!/^https:\/\/[^/]+/.test(server)) throw new UsageError(`--server must be an https:// URL, like https://192.168.1.10:6443 (got "${server}")`);
    if (!token) throw new UsageError('--server needs --token (or --token-file): the server writes it to <data-dir>/server/node-token');
  } else if (!kubeconfig) {
    throw new UsageError('pass --server URL and --token TOKEN to join a cluster (or --kubeconfig FILE)');
  }
  const flags = await nodeFlags(values);
  const name = String(values['node-name'] ?? os.hostname()).toLowerCase();
  const { parseCIDR } = await import('../agent/runtime/fake/ip-pool.ts');
  const podCIDR = values['pod-cidr'] as string | undefined;
  if (podCIDR) {
    try {
      parseCIDR(podCIDR);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const path = await import('node:path');
  const { startAgent, AgentStartError } = await import('../agent/run.ts');
  const { logger } = await import('../util/log.ts');
  const { version } = await import('./version.ts');
  const log = logger('agent');

  // The client's session and the timers are unref'd; this keeps the process up until a signal.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  }).finally(() => clearInterval(keepAlive));
  let agent;
  try {
    agent = await startAgent({
      nodeName: name,
      dataDir: path.resolve(String(values['data-dir'])),
      runtime,
      server,
      token,
      kubeconfig,
      labels: flags.labels,
      taints: flags.taints,
      internalIP: values['node-ip'] as string | undefined,
      capacity: flags.capacity,
      podCIDR,
      podCIDRWaitMs: flags.podCIDRWaitMs,
      containerRuntimeEndpoint: values['container-runtime-endpoint'] as string | undefined,
      agentPort: values['agent-port'] as number | undefined,
      cgroupRoot: values['cgroup-root'] as string | undefined,
      clusterCIDR: String(values['cluster-cidr']),
      clusterDomain: String(values['cluster-domain']),
      clusterDns: String(values['cluster-dns']),
      version,
    });
  } catch (e) {
    clearInterval(keepAlive);
    if (e instanceof AgentStartError) {
      log.error(e.message);
      return 1;
    }
    throw e;
  }
  // Registration is retried until it works (the server may start later), unless we are told to stop.
  agent.registered.catch((e) => log.error('registration failed', { error: (e as Error).message }));
  const signal = await stopped;
  log.info('stopping node agent; the Node stays registered', { node: name, signal });
  await agent.stop();
  log.debug('stopped');
  return 0;
}
