/**
 * The pod network across nodes, as flannel's vxlan backend: for nodes that
 * do not share one L2 segment (host-gw's next hop must be on a connected
 * subnet), pod traffic to another node is wrapped in UDP and sent to that
 * node's address, whatever routers lie between.
 *
 * On each node, one device (flannel's names and numbers, so packet captures
 * and tools read the same as on k3s):
 *
 *   flannel.1   vxlan VNI 1, UDP dstport 8472 (the Linux vxlan port, not
 *               IANA's 4789), local = the node's IP, nolearning (entries
 *               are programmed from the API, never learned from traffic),
 *               MTU = parent MTU − 50 (the outer IPv4 + UDP + VXLAN + inner
 *               Ethernet headers), address = <podCIDR network>/32. That
 *               address is what the node itself speaks from to pods
 *               elsewhere, so their answers come back through the tunnel.
 *
 * and for every other node that publishes vxlan backend-data (its VtepMAC,
 * flannel-annotations.ts) three kernel entries:
 *
 *   route   <its podCIDR> via <its podCIDR network address> dev flannel.1
 *           onlink proto 66  — the "gateway" is the peer's flannel.1
 *           address, reachable on the device without a connected subnet
 *   neigh   <its podCIDR network address> lladdr <VtepMAC> permanent — so
 *           the kernel never ARPs over the tunnel
 *   fdb     <VtepMAC> dst <its public IP> self permanent — which node's
 *           address the frame for that MAC is tunnelled to
 *
 * What to program is a pure function of the Node list (`vxlanPeers`,
 * `vxlanDevice`), unit-tested apart from the `ip`/`bridge` commands that
 * apply it. Like host-gw (routes.ts), applying lists what the kernel has and
 * changes only the differences; entries of nodes that are gone are removed.
 * Routes share host-gw's `proto 66`, so switching backends replaces the
 * other's routes; deleting flannel.1 takes its routes, neighbours and
 * forwarding entries with it.
 */
import { createHash } from 'node:crypto';
import type { Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import { parsePodCIDR } from './cni-config.ts';
import { flannelAnnotations, readVxlanData } from './flannel-annotations.ts';
import type { PodNetworkBackend } from './pod-network.ts';
import { ourRoutes, ROUTE_PROTO, type IpRunner, type PodRoute } from './routes.ts';

const log = logger('vxlan');

export const VXLAN_DEVICE = 'flannel.1';
export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers. */
export const VXLAN_OVERHEAD = 50;

/** Another node's tunnel end, as this node must program it. */
export interface VxlanPeer {
  node: string;
  /** Its pod CIDR, normalised: the route's destination. */
  podCIDR: string;
  /** Its flannel.1 address (the pod CIDR's network address): the route's gateway and the neighbour entry's address. */
  vtepIP: string;
  vtepMAC: string;
  /** Where its tunnel packets go (public-ip annotation, else its InternalIP). */
  publicIP: string;
}

/** This node's flannel.1 as it should be. */
export interface VxlanDeviceSpec {
  name: string;
  vni: number;
  port: number;
  local: string;
  /** The interface holding `local`: encapsulated packets leave by it. */
  parent: string;
  mtu: number;
  mac: string;
  /** `<podCIDR network>/32`; absent while the node has no pod CIDR. */
  address?: string;
}

const isIPv4 = (s: unknown): s is string => typeof s === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(s);

/**
 * A MAC for flannel.1 derived from the node's IP (locally administered,
 * unicast). A stable MAC means a recreated device (a reboot) matches what
 * the other nodes already programmed, so they need no update before
 * traffic flows again; a kernel-random one would change every time.
 */
export function vtepMAC(nodeIP: string): string {
  const h = createHash('sha256').update(`bramble-vtep/${nodeIP}`).digest();
  h[0] = (h[0]! & 0xfe) | 0x02;
  return [...h.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function vxlanDevice(o: { nodeIP: string; parent: string; parentMTU: number; podCIDR?: string }): VxlanDeviceSpec {
  let address: string | undefined;
  if (o.podCIDR) {
    try {
      address = `${parsePodCIDR(o.podCIDR).network}/32`;
    } catch {
      address = undefined; // not IPv4: vxlan here is IPv4 only
    }
  }
  return { name: VXLAN_DEVICE, vni: VXLAN_VNI, port: VXLAN_PORT, local: o.nodeIP, parent: o.parent, mtu: o.parentMTU - VXLAN_OVERHEAD, mac: vtepMAC(o.nodeIP), address };
}

/** The peers this node programs: every other node with an IPv4 pod CIDR, vxlan backend-data of our VNI and an address. */
export function vxlanPeers(nodes: Obj[], self: string): VxlanPeer[] {
  const peers: VxlanPeer[] = [];
  for (const n of nodes) {
    const name = n['metadata']?.name as string;
    if (name === self) continue;
    const data = readVxlanData(n);
    const cidr = n['spec']?.podCIDR as string | undefined;
    if (!data || data.VNI !== VXLAN_VNI || !cidr) continue;
    const annotated = n['metadata']?.annotations?.['flannel.alpha.coreos.com/public-ip'];
    const addrs = (n['status']?.addresses ?? []) as { type: string; address: string }[];
    const publicIP = isIPv4(annotated) ? annotated : addrs.find((a) => a.type === 'InternalIP' && isIPv4(a.address))?.address;
    if (!publicIP) continue;
    try {
      const { network, bits } = parsePodCIDR(cidr);
      peers.push({ node: name, podCIDR: `${network}/${bits}`, vtepIP: network, vtepMAC: data.VtepMAC, publicIP });
    } catch {
      continue;
    }
  }
  return peers.sort((a, b) => a.podCIDR.localeCompare(b.podCIDR));
}

// ---- the kernel side: `ip` and `bridge` ----

interface LinkInfo {
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number; learning?: boolean; link?: string } };
}

async function showDevice(ip: IpRunner): Promise<LinkInfo | undefined> {
  try {
    return (JSON.parse(await ip(['-json', '-d', 'link', 'show', 'dev', VXLAN_DEVICE])) as LinkInfo[])[0];
  } catch {
    return undefined; // absent
  }
}

/** The interface holding `nodeIP` and its MTU: the tunnel's parent. */
export async function parentOf(ip: IpRunner, nodeIP: string): Promise<{ parent: string; mtu: number }> {
  const links = JSON.parse(await ip(['-json', '-4', 'addr', 'show'])) as { ifname: string; mtu: number; addr_info?: { local: string }[] }[];
  const l = links.find((x) => x.ifname !== VXLAN_DEVICE && (x.addr_info ?? []).some((a) => a.local === nodeIP));
  if (!l) throw new Error(`no interface holds the node IP ${nodeIP}: cannot create ${VXLAN_DEVICE}`);
  return { parent: l.ifname, mtu: l.mtu };
}

/**
 * Creates flannel.1 or brings it to `want`. A device whose VNI, port, local
 * address, learning or parent differ is recreated (the kernel cannot change
 * those in place); MTU and MAC are set in place.
 */
export async function ensureVxlanDevice(ip: IpRunner, want: VxlanDeviceSpec): Promise<void> {
  let have = await showDevice(ip);
  const d = have?.linkinfo?.info_data;
  if (have && (have.linkinfo?.info_kind !== 'vxlan' || d?.id !== want.vni || d?.port !== want.port || d?.local !== want.local || d?.learning !== false || (d?.link !== undefined && d.link !== want.parent))) {
    log.info('recreating the vxlan device (its settings changed)', { device: want.name, had: d });
    await ip(['link', 'del', want.name]);
    have = undefined;
  }
  if (!have) {
    await ip(['link', 'add', want.name, 'address', want.mac, 'mtu', String(want.mtu), 'type', 'vxlan', 'id', String(want.vni), 'local', want.local, 'dev', want.parent, 'dstport', String(want.port), 'nolearning']);
    log.info('vxlan device created', { device: want.name, vni: want.vni, local: want.local, parent: want.parent, mtu: want.mtu, mac: want.mac });
    have = await showDevice(ip);
  }
  if (have && (have.mtu !== want.mtu || have.address !== want.mac)) await ip(['link', 'set', 'dev', want.name, 'mtu', String(want.mtu), 'address', want.mac]);
  const addrs = (JSON.parse(await ip(['-json', '-4', 'addr', 'show', 'dev', want.name])) as { addr_info?: { local: string; prefixlen: number }[] }[])[0]?.addr_info ?? [];
  for (const a of addrs) if (`${a.local}/${a.prefixlen}` !== want.address) await ip(['addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', want.name]);
  if (want.address && !addrs.some((a) => `${a.local}/${a.prefixlen}` === want.address)) await ip(['addr', 'add', want.address, 'dev', want.name]);
  if (!have?.flags.includes('UP')) await ip(['link', 'set', 'dev', want.name, 'up']);
}

/** Removes flannel.1 (and with it its routes, neighbours and forwarding entries). Returns whether it existed. */
export async function deleteVxlanDevice(ip: IpRunner): Promise<boolean> {
  if (!(await showDevice(ip))) return false;
  await ip(['link', 'del', VXLAN_DEVICE]);
  log.info('vxlan device removed', { device: VXLAN_DEVICE });
  return true;
}

/**
 * Brings routes (all of `proto 66`: host-gw's go too), neighbours and
 * forwarding entries on flannel.1 to `peers`, changing only differences.
 * `bridge` runs the iproute2 `bridge` command (forwarding entries).
 */
export async function reconcileVxlanPeers(ip: IpRunner, bridge: IpRunner, peers: VxlanPeer[]): Promise<void> {
  const dev = VXLAN_DEVICE;
  // Forwarding entries first, then neighbours, then routes: a route is only used once the MAC it resolves to has a destination.
  const fdb = (JSON.parse((await bridge(['-json', 'fdb', 'show', 'dev', dev])) || '[]') as { mac: string; dst?: string }[]).filter((f) => f.dst);
  for (const f of fdb) {
    if (peers.some((p) => p.vtepMAC === f.mac && p.publicIP === f.dst)) continue;
    await bridge(['fdb', 'del', f.mac, 'dev', dev, 'dst', f.dst!, 'self']);
    log.info('vxlan forwarding entry removed', { mac: f.mac, dst: f.dst });
  }
  for (const p of peers) {
    if (fdb.some((f) => f.mac === p.vtepMAC && f.dst === p.publicIP)) continue;
    await bridge(['fdb', 'replace', p.vtepMAC, 'dev', dev, 'dst', p.publicIP, 'self', 'permanent']);
    log.info('vxlan forwarding entry added', { node: p.node, mac: p.vtepMAC, dst: p.publicIP });
  }

  const neigh = JSON.parse((await ip(['-json', '-4', 'neigh', 'show', 'dev', dev])) || '[]') as { dst: string; lladdr?: string; state?: string[] }[];
  for (const n of neigh) {
    if (peers.some((p) => p.vtepIP === n.dst && p.vtepMAC === n.lladdr && n.state?.includes('PERMANENT'))) continue;
    await ip(['neigh', 'del', n.dst, 'dev', dev]);
  }
  for (const p of peers) {
    if (neigh.some((n) => n.dst === p.vtepIP && n.lladdr === p.vtepMAC && n.state?.includes('PERMANENT'))) continue;
    await ip(['neigh', 'replace', p.vtepIP, 'lladdr', p.vtepMAC, 'dev', dev, 'nud', 'permanent']);
  }

  const routes = await ourRoutes(ip);
  for (const p of peers) {
    if (routes.some((r) => r.dst === p.podCIDR && r.gateway === p.vtepIP && r.dev === dev)) continue;
    await ip(['route', 'replace', p.podCIDR, 'via', p.vtepIP, 'dev', dev, 'onlink', 'proto', String(ROUTE_PROTO)]);
    log.info('pod route added (vxlan)', { node: p.node, dst: p.podCIDR, via: p.vtepIP, dev });
  }
  for (const r of routes) {
    if (peers.some((p) => p.podCIDR === r.dst)) continue;
    await ip(['route', 'del', r.dst, 'proto', String(ROUTE_PROTO)]);
    log.info('pod route removed', { dst: r.dst, via: r.gateway, dev: r.dev });
  }
}

/** The vxlan backend of pod-network.ts: device, then peers; publishes its VtepMAC. */
export function vxlanBackend(o: { ip: IpRunner; bridge: IpRunner; nodeName: string; nodeIP: string }): PodNetworkBackend {
  return {
    name: 'vxlan',
    async sync(nodes: Obj[]): Promise<PodRoute[]> {
      const self = nodes.find((n) => n['metadata']?.name === o.nodeName);
      const { parent, mtu } = await parentOf(o.ip, o.nodeIP);
      await ensureVxlanDevice(o.ip, vxlanDevice({ nodeIP: o.nodeIP, parent, parentMTU: mtu, podCIDR: self?.['spec']?.podCIDR }));
      const peers = vxlanPeers(nodes, o.nodeName);
      await reconcileVxlanPeers(o.ip, o.bridge, peers);
      return peers.map((p) => ({ node: p.node, dst: p.podCIDR, via: p.vtepIP }));
    },
    annotations: () => flannelAnnotations('vxlan', o.nodeIP, { VNI: VXLAN_VNI, VtepMAC: vtepMAC(o.nodeIP) }),
  };
}
