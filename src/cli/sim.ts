/**
 * `bramble sim`: many simulated nodes (fake runtime) in one process, for
 * control-plane scale tests, in the manner of kwok. All nodes share one
 * HTTP/2 session, one Node watch and one pod watch; registration is
 * staggered (bounded concurrency, progress every second), Lease renewals
 * and status checks are spread over their intervals with jitter.
 */
import { UsageError, type CommandSpec, type FlagValues } from './flags.ts';

export const spec: CommandSpec = {
  name: 'sim',
  summary: 'Simulate N nodes on the fake runtime in one process (scale tests): they register, heartbeat and run the pods bound to them',
  usage: 'bramble sim --kubeconfig FILE --nodes N [--prefix sim-] [flags]',
  flags: [
    { name: 'kubeconfig', kind: 'string', arg: 'FILE', env: 'BRAMBLE_KUBECONFIG', help: 'Kubeconfig to reach the server with (the admin kubeconfig)' },
    { name: 'nodes', kind: 'int', arg: 'N', default: 1, help: 'How many nodes to simulate' },
    { name: 'prefix', kind: 'string', arg: 'PREFIX', default: 'sim-', help: 'Node names are PREFIX0, PREFIX1, …' },
    { name: 'node-label', kind: 'list', arg: 'KEY=VALUE', default: [], help: 'Label every node registers with (repeatable)' },
    { name: 'node-taint', kind: 'list', arg: 'KEY=VALUE:EFFECT', default: [], help: 'Taint every node registers with (repeatable)' },
    { name: 'capacity', kind: 'string', arg: 'LIST', default: 'cpu=4,memory=8Gi,pods=110', help: 'Resources each node reports (capacity and allocatable)' },
    { name: 'pod-cidr-wait', kind: 'string', arg: 'DURATION', default: '30s', help: 'How long a node waits for spec.podCIDR before using a fallback range' },
    { name: 'start-concurrency', kind: 'int', arg: 'N', default: 32, help: 'Nodes registering at once' },
    { name: 'workers', kind: 'int', arg: 'N', default: 32, help: 'Pod sync workers' },
    { name: 'max-in-flight', kind: 'int', arg: 'N', default: 64, help: 'Requests in flight at once, heartbeats excepted' },
    { name: 'pod-events', kind: 'bool', default: true, help: 'Record the kubelet\'s pod events (Pulled, Created, Started, Killing…); --pod-events=false leaves them out, as kwok does' },
    { name: 'node-events', kind: 'bool', help: "Post the kubelet's start-up events for every node (5 per node)" },
    { name: 'log-level', kind: 'string', arg: 'LEVEL', default: 'info', env: 'BRAMBLE_LOG_LEVEL', help: 'Log level: error, warn, info, debug, trace' },
    { name: 'debug', kind: 'bool', help: 'Shorthand for --log-level debug' },
  ],
};

export async function run(values: FlagValues): Promise<number> {
  const kubeconfig = values['kubeconfig'];
  if (typeof kubeconfig !== 'string' || !kubeconfig) throw new UsageError('--kubeconfig is required');
  const count = Number(values['nodes']);
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new UsageError('--nodes must be between 1 and 100000');
  const prefix = String(values['prefix']);
  if (!/^[a-z0-9]([-a-z0-9.]*)?$/.test(prefix)) throw new UsageError(`invalid --prefix "${prefix}" (lower-case letters, digits, '-' and '.')`);
  for (const f of ['start-concurrency', 'workers', 'max-in-flight']) {
    if (!(Number(values[f]) >= 1)) throw new UsageError(`--${f} must be at least 1`);
  }
  const { nodeFlags } = await import('./agent.ts');
  const flags = await nodeFlags(values);
  const { fakeNodeConfig, fallbackPodCIDR, simNodeIP } = await import('../agent/config.ts');
  const { fakeNodeLabel } = await import('../agent/node/node-object.ts');
  const { HttpClient } = await import('../client/http.ts');
  const { LimitedClient } = await import('../agent/limited-client.ts');
  const { AgentHost } = await import('../agent/host.ts');
  const { fakeNodeRuntime } = await import('../agent/runtime/fake/index.ts');
  const { startProgress } = await import('../agent/progress.ts');
  const { logger } = await import('../util/log.ts');
  const { version } = await import('./version.ts');
  const log = logger('sim');

  const http = HttpClient.fromKubeconfig(kubeconfig);
  const nodes = Array.from({ length: count }, (_, i) => ({
    config: fakeNodeConfig({ name: `${prefix}${i}`, internalIP: simNodeIP(i), ...flags, runtimeVersion: version }),
    fallbackPodCIDR: fallbackPodCIDR(i),
  }));
  const client = new LimitedClient(http, Number(values['max-in-flight']));
  // Events are best effort: a quarter of the lanes, so pod status writes never queue behind them.
  const eventClient = new LimitedClient(http, Math.max(1, Math.floor(Number(values['max-in-flight']) / 4)));
  const host = new AgentHost({
    client,
    heartbeatClient: http,
    eventClient,
    podEvents: values['pod-events'] !== false,
    nodes,
    runtimeFor: () => fakeNodeRuntime({ version }),
    // One watch for every simulated node: all bound pods (the host ignores other nodes' pods).
    podFieldSelector: 'spec.nodeName!=',
    nodeSelector: { labelSelector: `${fakeNodeLabel.key}=${fakeNodeLabel.value}` },
    workers: Number(values['workers']),
    registerConcurrency: Number(values['start-concurrency']),
    podCIDRWaitMs: flags.podCIDRWaitMs,
    nodeEvents: values['node-events'] === true,
    spread: true,
  });
  // The client's session and the timers are unref'd; this keeps the process up until a signal.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  }).finally(() => clearInterval(keepAlive));
  log.info('starting simulated nodes', { nodes: count, first: nodes[0]!.config.name, last: nodes[count - 1]!.config.name });
  const progress = startProgress(host, client, count, log);
  const started = await Promise.race([host.start(), stopped.then(() => undefined)]);
  progress.registered(started);
  const signal = await stopped;
  progress.stop();
  log.info('stopping the simulation; Nodes stay registered', { signal });
  await host.stop();
  http.close();
  return 0;
}
