/**
 * `bramble server`: the control plane. Flags follow k3s names where k3s has them.
 */
import os from 'node:os';
import path from 'node:path';
import { UsageError, type CommandSpec, type FlagValues } from './flags.ts';
import { parsePool, PoolError } from '../controllers/servicelb/pool.ts';
import { FLANNEL_BACKENDS, isFlannelBackend, type FlannelBackend } from '../cluster/join/cluster-config.ts';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const home = os.homedir();

export const defaultDataDir = isRoot ? '/var/lib/bramble' : path.join(home, '.bramble');
export const defaultKubeconfig = isRoot ? '/etc/bramble/bramble.yaml' : path.join(home, '.bramble', 'bramble.yaml');

export const spec: CommandSpec = {
  name: 'server',
  summary: 'Run the bramble control plane: Kubernetes API server on an embedded SQLite store, or on etcd shared by several servers (HA)',
  usage: 'bramble server [flags]',
  flags: [
    { name: 'data-dir', kind: 'string', arg: 'DIR', default: defaultDataDir, env: 'BRAMBLE_DATA_DIR', help: 'Folder to hold state', short: 'd' },
    { name: 'bind-address', kind: 'string', arg: 'ADDR', default: '0.0.0.0', help: 'Address the API server listens on' },
    { name: 'https-listen-port', kind: 'int', arg: 'PORT', default: 6443, help: 'HTTPS port of the API server' },
    { name: 'advertise-address', kind: 'string', arg: 'ADDR', help: 'Address advertised to clients and agents (default: the first non-loopback address)' },
    { name: 'tls-san', kind: 'list', arg: 'NAME', default: [], help: 'Extra hostname or IP for the serving certificate (repeatable)' },
    { name: 'write-kubeconfig', kind: 'string', arg: 'FILE', default: defaultKubeconfig, env: 'BRAMBLE_KUBECONFIG_OUTPUT', help: 'Write the admin kubeconfig to this file once the API answers', short: 'o' },
    { name: 'write-kubeconfig-mode', kind: 'string', arg: 'MODE', default: '0600', env: 'BRAMBLE_KUBECONFIG_MODE', help: 'File mode of the written kubeconfig (octal)' },
    { name: 'token', kind: 'string', arg: 'TOKEN', env: 'BRAMBLE_TOKEN', help: 'Shared secret agents join with (default: generated; see <data-dir>/server/node-token)', short: 't' },
    { name: 'token-file', kind: 'string', arg: 'FILE', env: 'BRAMBLE_TOKEN_FILE', help: 'File holding the token (instead of --token)' },
    { name: 'cluster-init', kind: 'bool', env: 'BRAMBLE_CLUSTER_INIT', help: 'Start a new HA cluster: keep state in an etcd member this server runs (etcd from the distribution) instead of SQLite, so more servers can join with --server' },
    { name: 'server', kind: 'string', arg: 'URL', env: 'BRAMBLE_URL', help: 'Join the HA cluster of this server (https://IP:6443) as another server: fetch the cluster CAs with --token, add an etcd member (needs a full K10 token to pin the CA)', short: 's' },
    { name: 'disable-agent', kind: 'bool', help: 'Do not run the embedded agent (this board runs the control plane only)' },
    { name: 'agent-runtime', kind: 'string', arg: 'NAME', default: 'containerd', help: 'Runtime of the embedded agent: containerd, or fake (a simulated node)' },
    { name: 'node-name', kind: 'string', arg: 'NAME', env: 'BRAMBLE_NODE_NAME', help: 'Node name of the embedded agent (default: the host name)' },
    { name: 'node-label', kind: 'list', arg: 'KEY=VALUE', default: [], help: 'Label to register the embedded agent\'s node with (repeatable)' },
    { name: 'node-taint', kind: 'list', arg: 'KEY=VALUE:EFFECT', default: [], help: 'Taint to register the embedded agent\'s node with (repeatable)' },
    { name: 'node-ip', kind: 'string', arg: 'ADDR', help: 'InternalIP of the embedded agent\'s node (default: the advertise address)' },
    { name: 'agent-port', kind: 'int', arg: 'PORT', help: 'Port of the embedded agent\'s HTTPS API: logs, exec, port-forward, stats (default: 10250; any free port with --agent-runtime fake)' },
    { name: 'cgroup-root', kind: 'string', arg: 'NAME', help: 'Parent cgroup of pod cgroups (default: bramble)' },
    { name: 'container-runtime-endpoint', kind: 'string', arg: 'SOCKET', help: 'Embedded agent: use this existing CRI socket instead of starting containerd' },
    { name: 'compaction-interval', kind: 'string', arg: 'DURATION', default: '5m', help: 'How often the store discards history older than one interval' },
    { name: 'service-cidr', kind: 'string', arg: 'CIDR', default: '10.43.0.0/16', help: 'IPv4 range for Service cluster IPs' },
    { name: 'cluster-cidr', kind: 'string', arg: 'CIDR', default: '10.42.0.0/16', help: 'IPv4 range for pod IPs (a /24 per node)' },
    { name: 'flannel-backend', kind: 'string', arg: 'NAME', default: 'host-gw', help: 'Pod network between nodes, for every node of the cluster (agents learn it when they join): host-gw (routes via each node\'s address; nodes on one L2 LAN) or vxlan (encapsulated in UDP 8472 over flannel.1; nodes anywhere they reach each other)' },
    { name: 'service-node-port-range', kind: 'string', arg: 'RANGE', default: '30000-32767', help: 'Port range for NodePort Services' },
    { name: 'lb-pool', kind: 'list', arg: 'RANGE', default: [], help: 'LoadBalancer address pool: A-B or CIDR, repeatable (default: Services get the nodes\' addresses)' },
    { name: 'node-monitor-grace-period', kind: 'string', arg: 'DURATION', default: '40s', help: 'How long a node may miss heartbeats before it is marked NotReady' },
    { name: 'default-not-ready-toleration-seconds', kind: 'int', arg: 'N', default: 300, help: 'tolerationSeconds of the not-ready toleration added to every pod' },
    { name: 'default-unreachable-toleration-seconds', kind: 'int', arg: 'N', default: 300, help: 'tolerationSeconds of the unreachable toleration added to every pod' },
    { name: 'disable', kind: 'list', arg: 'NAME', default: [], help: 'Do not run these components (controller names, scheduler); repeatable' },
    { name: 'log-level', kind: 'string', arg: 'LEVEL', default: 'info', env: 'BRAMBLE_LOG_LEVEL', help: 'Log level: error, warn, info, debug, trace' },
    { name: 'debug', kind: 'bool', help: 'Shorthand for --log-level debug' },
  ],
};

async function embeddedAgent(values: FlagValues) {
  const runtime = String(values['agent-runtime']);
  if (runtime !== 'containerd' && runtime !== 'fake') throw new UsageError(`unknown --agent-runtime "${runtime}" (supported: containerd, fake)`);
  const { ConfigError, parseLabels, parseTaints } = await import('../agent/config.ts');
  try {
    return {
      runtime: runtime as 'containerd' | 'fake',
      nodeName: String(values['node-name'] ?? os.hostname()).toLowerCase(),
      labels: parseLabels((values['node-label'] as string[] | undefined) ?? []),
      taints: parseTaints((values['node-taint'] as string[] | undefined) ?? []),
      nodeIP: values['node-ip'] as string | undefined,
      containerRuntimeEndpoint: values['container-runtime-endpoint'] as string | undefined,
      agentPort: values['agent-port'] as number | undefined,
      cgroupRoot: values['cgroup-root'] as string | undefined,
    };
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
}

export async function run(values: FlagValues): Promise<number> {
  const { startServer } = await import('../server/start.ts');
  const { defaultAdvertiseAddress, parseDuration } = await import('../server/config.ts');
  const { version } = await import('./version.ts');
  const bindAddress = String(values['bind-address']);
  const compactionIntervalMs = parseFlagDuration(String(values['compaction-interval']), parseDuration);
  const port = Number(values['https-listen-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --https-listen-port ${port}`);
  const mode = String(values['write-kubeconfig-mode']);
  if (!/^0?[0-7]{3}$/.test(mode)) throw new UsageError(`invalid --write-kubeconfig-mode "${mode}" (octal, e.g. 0600)`);
  let token = (values['token'] as string | undefined) || undefined;
  const tokenFile = values['token-file'] as string | undefined;
  if (!token && tokenFile) {
    try {
      token = (await import('node:fs')).readFileSync(tokenFile, 'utf8').trim();
    } catch (e) {
      throw new UsageError(`cannot read --token-file ${tokenFile}: ${(e as Error).message}`);
    }
  }
  const joinServer = values['server'] as string | undefined;
  if (joinServer !== undefined) {
    if (!/^https:\/\/[^/]+/.test(joinServer)) throw new UsageError(`--server must be an https:// URL, like https://192.168.1.10:6443 (got "${joinServer}")`);
    if (!token) throw new UsageError('--server needs --token (or --token-file): the first server writes it to <data-dir>/server/token');
    if (values['cluster-init'] === true) throw new UsageError('--cluster-init starts a new cluster and --server joins one: give one of them');
  }
  const cp = await startServer(
    {
      dataDir: path.resolve(String(values['data-dir'])),
      bindAddress,
      port,
      advertiseAddress: (values['advertise-address'] as string | undefined) ?? defaultAdvertiseAddress(bindAddress),
      tlsSANs: (values['tls-san'] as string[] | undefined) ?? [],
      kubeconfigPath: path.resolve(String(values['write-kubeconfig'])),
      kubeconfigMode: mode,
      disableAgent: values['disable-agent'] === true,
      agent: await embeddedAgent(values),
      compactionIntervalMs,
      disable: (values['disable'] as string[] | undefined) ?? [],
      token,
      clusterInit: values['cluster-init'] === true,
      joinServer,
      flannelBackend: flannelBackend(values),
      controllers: {
        serviceCIDR: String(values['service-cidr']),
        clusterCIDR: String(values['cluster-cidr']),
        nodePortRange: parsePortRange(String(values['service-node-port-range'])),
        nodeMonitorGracePeriodMs: parseFlagDuration(String(values['node-monitor-grace-period']), parseDuration),
        defaultNotReadyTolerationSeconds: Number(values['default-not-ready-toleration-seconds']),
        defaultUnreachableTolerationSeconds: Number(values['default-unreachable-toleration-seconds']),
        apiServerAddresses: [(values['advertise-address'] as string | undefined) ?? defaultAdvertiseAddress(bindAddress)],
        apiServerPort: port,
        lbPools: lbPools(values),
      },
    },
    version,
  );
  // Runs until SIGTERM/SIGINT, then shuts down cleanly (exit 0); exits 1 if its etcd member dies.
  const reason = await Promise.race([
    new Promise<undefined>((resolve) => {
      const stop = () => resolve(undefined);
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    }),
    cp.fatal,
  ]);
  if (reason) (await import('../util/log.ts')).logger('server').error('stopping', { reason });
  await cp.stop();
  return reason ? 1 : 0;
}

function parseFlagDuration(value: string, parse: (s: string) => number): number {
  try {
    return parse(value);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function lbPools(values: FlagValues): string[] {
  const pools = (values['lb-pool'] as string[] | undefined) ?? [];
  try {
    parsePool(pools);
  } catch (e) {
    if (e instanceof PoolError) throw new UsageError(`invalid --lb-pool: ${e.message}`);
    throw e;
  }
  return pools;
}

function flannelBackend(values: FlagValues): FlannelBackend {
  const v = String(values['flannel-backend']);
  if (!isFlannelBackend(v)) throw new UsageError(`unknown --flannel-backend "${v}" (supported: ${FLANNEL_BACKENDS.join(', ')})`);
  return v;
}

function parsePortRange(value: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(value);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw new UsageError(`invalid port range "${value}" (e.g. 30000-32767)`);
  return [lo, hi];
}
