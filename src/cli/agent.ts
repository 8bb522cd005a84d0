/**
 * `bramble agent`: the node agent. This release has the `fake` runtime
 * only (a simulated node: pods run nowhere), and joins with the admin
 * kubeconfig; containerd over CRI and token joins come in a later release.
 */
import os from 'node:os';
import { UsageError, type CommandSpec, type FlagValues } from './flags.ts';

export const spec: CommandSpec = {
  name: 'agent',
  summary: 'Run a node agent: registers this node, keeps its Lease and status, and runs the pods bound to it',
  usage: 'bramble agent --runtime fake --kubeconfig FILE [--node-name NAME] [flags]',
  flags: [
    { name: 'runtime', kind: 'string', arg: 'NAME', default: 'fake', env: 'BRAMBLE_RUNTIME', help: 'Container runtime: fake (simulated node; containerd arrives in a later release)' },
    { name: 'kubeconfig', kind: 'string', arg: 'FILE', env: 'BRAMBLE_KUBECONFIG', help: 'Kubeconfig to reach the server with (for now the admin kubeconfig)' },
    { name: 'server', kind: 'string', arg: 'URL', env: 'BRAMBLE_URL', help: 'Server to join with a token (not supported yet: use --kubeconfig)' },
    { name: 'token', kind: 'string', arg: 'TOKEN', env: 'BRAMBLE_TOKEN', help: 'Join token (not supported yet: use --kubeconfig)' },
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
  if (values['server'] !== undefined || values['token'] !== undefined) {
    throw new UsageError('joining with --server/--token is not supported yet; pass the admin kubeconfig with --kubeconfig');
  }
  if (values['runtime'] !== 'fake') throw new UsageError(`runtime "${String(values['runtime'])}" is not supported yet (supported: fake)`);
  const kubeconfig = values['kubeconfig'];
  if (typeof kubeconfig !== 'string' || !kubeconfig) throw new UsageError('--kubeconfig is required');
  const flags = await nodeFlags(values);
  const name = String(values['node-name'] ?? os.hostname()).toLowerCase();
  const { fakeNodeConfig, fallbackPodCIDR } = await import('../agent/config.ts');
  const { defaultNodeIP } = await import('../agent/node/host-info.ts');
  const { parseCIDR } = await import('../agent/runtime/fake/ip-pool.ts');
  const podCIDR = values['pod-cidr'] as string | undefined;
  if (podCIDR) {
    try {
      parseCIDR(podCIDR);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const { HttpClient } = await import('../client/http.ts');
  const { LimitedClient } = await import('../agent/limited-client.ts');
  const { AgentHost } = await import('../agent/host.ts');
  const { fakeNodeRuntime } = await import('../agent/runtime/fake/index.ts');
  const { logger } = await import('../util/log.ts');
  const { version } = await import('./version.ts');
  const log = logger('agent');

  const http = HttpClient.fromKubeconfig(kubeconfig);
  const config = fakeNodeConfig({ name, internalIP: String(values['node-ip'] ?? defaultNodeIP()), ...flags, runtimeVersion: version });
  const host = new AgentHost({
    client: new LimitedClient(http, 16),
    heartbeatClient: http,
    eventClient: new LimitedClient(http, 4),
    nodes: [{ config, fallbackPodCIDR: podCIDR ?? fallbackPodCIDR(name) }],
    runtimeFor: () => fakeNodeRuntime({ version }),
    podFieldSelector: `spec.nodeName=${name}`,
    nodeSelector: { fieldSelector: `metadata.name=${name}` },
    podCIDRWaitMs: flags.podCIDRWaitMs,
  });
  // The client's session and the timers are unref'd; this keeps the process up until a signal.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  }).finally(() => clearInterval(keepAlive));
  log.info('starting node agent', { node: name, runtime: 'fake' });
  // Registration is retried until it works (the server may start later), unless we are told to stop.
  const started = await Promise.race([host.start(), stopped.then(() => undefined)]);
  if (started) log.info('node registered; agent running', { node: name, internalIP: config.internalIP });
  const signal = await stopped;
  log.info('stopping node agent; the Node stays registered', { node: name, signal });
  await host.stop();
  http.close();
  log.debug('stopped');
  return 0;
}
