/**
 * The node's pod network as a CNI config list, written once the node's
 * pod CIDR is known (the kubelet hands it to the runtime with
 * UpdateRuntimeConfig; containerd 1.6 only renders configs from a
 * template, so the agent writes the file itself, as k3s does):
 *
 *   loopback   the pod's `lo`
 *   bridge     `cni0` on the host, the pod CIDR's first address as the pods'
 *              gateway (isGateway), hairpin so a pod reaches itself through
 *              a Service address; host-local IPAM hands out the node's /24
 *              with a default route. No ipMasq: the plugin would masquerade
 *              everything outside this node's /24, pods on other nodes
 *              included; routes.ts masquerades only what leaves the
 *              cluster CIDR (as flannel)
 *   portmap    hostPort mappings (containerd passes `portMappings` as a
 *              runtime capability)
 *
 * The host reaches every pod IP directly over the bridge's connected route.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CNI_NETWORK_NAME = 'bramble';
/** containerd loads the first file in the directory by name; ours sorts early. */
export const CNI_CONF_FILE = '10-bramble.conflist';

export interface CniNetworkOptions {
  /** The node's spec.podCIDR (an IPv4 CIDR). */
  podCIDR: string;
  /** The host bridge; default `cni0`. */
  bridge?: string;
  /** Where host-local records its allocations; default CNI's /var/lib/cni/networks. */
  ipamDataDir?: string;
  /** Link MTU for the bridge and pod interfaces; default the plugin's (1500). */
  mtu?: number;
}

export class NetworkConfigError extends Error {
  readonly code = 'INVALID_POD_CIDR';
  constructor(message: string) {
    super(message);
    this.name = 'NetworkConfigError';
  }
}

/** Checks an IPv4 CIDR and returns it normalised to its network address. */
export function parsePodCIDR(cidr: string): { network: string; bits: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || bits < 8 || bits > 30) {
    throw new NetworkConfigError(`pod CIDR ${JSON.stringify(cidr)} is not an IPv4 CIDR between /8 and /30`);
  }
  const n = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const base = Math.floor(n / size) * size;
  const network = [24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.');
  return { network, bits };
}

/** The CNI config list for a pod CIDR (a plain object, JSON-serialisable). */
export function renderCniConfig(o: CniNetworkOptions): Record<string, unknown> {
  const { network, bits } = parsePodCIDR(o.podCIDR);
  const ipam: Record<string, unknown> = {
    type: 'host-local',
    ranges: [[{ subnet: `${network}/${bits}` }]],
    routes: [{ dst: '0.0.0.0/0' }],
  };
  if (o.ipamDataDir) ipam['dataDir'] = o.ipamDataDir;
  const bridge: Record<string, unknown> = {
    type: 'bridge',
    bridge: o.bridge ?? 'cni0',
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ipam,
  };
  if (o.mtu) bridge['mtu'] = o.mtu;
  return {
    cniVersion: '0.4.0',
    name: CNI_NETWORK_NAME,
    plugins: [{ type: 'loopback' }, bridge, { type: 'portmap', capabilities: { portMappings: true }, snat: true }],
  };
}

/**
 * Writes the config list into `confDir` (atomically: containerd watches the
 * directory and must never read half a file). Returns false when the file
 * already held exactly this config.
 */
export function writeCniConfig(confDir: string, o: CniNetworkOptions): boolean {
  const text = JSON.stringify(renderCniConfig(o), null, 2) + '\n';
  const file = path.join(confDir, CNI_CONF_FILE);
  try {
    if (fs.readFileSync(file, 'utf8') === text) return false;
  } catch {
    // absent: write it
  }
  fs.mkdirSync(confDir, { recursive: true });
  fs.writeFileSync(file + '.tmp', text, { mode: 0o644 });
  fs.renameSync(file + '.tmp', file);
  return true;
}
