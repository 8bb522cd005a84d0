/**
 * The pod network's host-gw backend (flannel's; the default, see
 * pod-network.ts for the loop that runs it): every node keeps, in its own
 * main routing table, one route per OTHER node,
 *
 *     <node.spec.podCIDR> via <node InternalIP>
 *
 * so a packet for a pod elsewhere leaves straight for the node that hosts
 * it. This needs every node on one L2 LAN: a node whose address is not on a
 * directly connected subnet gets no route and a warning (once); for such
 * networks there is the vxlan backend (vxlan.ts, `--flannel-backend vxlan`).
 *
 * Our routes carry `proto 66` (ROUTE_PROTO), so listing, replacing and
 * deleting only ever touches routes we made (either backend's); a start
 * reconciles away whatever an earlier run left.
 *
 * Pod-to-pod traffic must keep its source address. The CNI bridge plugin's
 * ipMasq masquerades everything outside the pod's own /24, so it is off (see
 * cni-config.ts) and, as flannel, one rule of ours masquerades only what
 * leaves the cluster CIDR: table `ip bramble-net`, postrouting,
 * `ip saddr <clusterCIDR> ip daddr != <clusterCIDR> masquerade`.
 */
import { spawn } from 'node:child_process';
import type { Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import { defaultNft, type NftRunner } from '../proxy/nft.ts';
import { parsePodCIDR } from './cni-config.ts';
import { flannelAnnotations } from './flannel-annotations.ts';
import type { PodNetworkBackend } from './pod-network.ts';

const log = logger('routes');

/** Our routes' protocol number (`ip route … proto 66`, 0x42): marks them as ours. */
export const ROUTE_PROTO = 66;
export const NAT_TABLE = 'bramble-net';

/** Runs `ip <args>` (or `bridge <args>`) and resolves with its stdout; injectable so tests can use `ip -n NS`. */
export type IpRunner = (args: string[]) => Promise<string>;

export function ipCommand(cmd: string[] = ['ip']): IpRunner {
  return (args) =>
    new Promise((resolve, reject) => {
      const child = spawn(cmd[0]!, [...cmd.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd[0]} ${args.join(' ')} exited ${code}: ${err.trim()}`))));
    });
}
export const defaultIp: IpRunner = ipCommand();
export const defaultBridge: IpRunner = ipCommand(['bridge']);

/** One wanted route: a node's pod CIDR via its address. */
export interface PodRoute {
  node: string;
  dst: string;
  via: string;
}

const ipNum = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
/** Whether `ip` is inside `cidr` (IPv4; a bare address is a /32). */
export function inCIDR(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const size = 2 ** (32 - Number(bitsText ?? 32));
  return Math.floor(ipNum(ip) / size) === Math.floor(ipNum(base!) / size);
}
const isIPv4 = (s: unknown): s is string => typeof s === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(s);

/** The routes this node wants: every other node with a pod CIDR and an IPv4 InternalIP. */
export function wantedRoutes(nodes: Obj[], self: string): PodRoute[] {
  const routes: PodRoute[] = [];
  for (const n of nodes) {
    const name = n['metadata']?.name as string;
    const cidr = n['spec']?.podCIDR as string | undefined;
    const addrs = (n['status']?.addresses ?? []) as { type: string; address: string }[];
    const via = addrs.find((a) => a.type === 'InternalIP' && isIPv4(a.address))?.address;
    if (name === self || !cidr || !via) continue;
    try {
      const { network, bits } = parsePodCIDR(cidr);
      routes.push({ node: name, dst: `${network}/${bits}`, via });
    } catch {
      continue; // not IPv4: host-gw here is IPv4 only
    }
  }
  return routes.sort((a, b) => a.dst.localeCompare(b.dst));
}

export interface KernelRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

/** Our routes (either backend's) in the main table, as `ip -json` lists them (dst "10.42.2.0/24"). */
export async function ourRoutes(ip: IpRunner): Promise<KernelRoute[]> {
  const text = await ip(['-json', '-4', 'route', 'show', 'table', 'main', 'proto', String(ROUTE_PROTO)]);
  return (JSON.parse(text || '[]') as KernelRoute[]).map((r) => ({ dst: r.dst.includes('/') ? r.dst : `${r.dst}/32`, gateway: r.gateway, dev: r.dev }));
}

/** The directly connected IPv4 subnets (link-scope routes), where a next hop may be. */
async function connectedSubnets(ip: IpRunner): Promise<string[]> {
  const text = await ip(['-json', '-4', 'route', 'show', 'table', 'main', 'scope', 'link']);
  return (JSON.parse(text || '[]') as KernelRoute[]).map((r) => r.dst).filter((d) => d !== 'default');
}

/** The masquerade rule, replacing the table whole in one transaction. */
export function natScript(clusterCIDR: string): string {
  const { network, bits } = parsePodCIDR(clusterCIDR);
  const cidr = `${network}/${bits}`;
  return [
    `table ip ${NAT_TABLE} {}`,
    `delete table ip ${NAT_TABLE}`,
    `table ip ${NAT_TABLE} {`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    `    # pods keep their address inside the cluster, are masqueraded leaving it`,
    `    ip saddr ${cidr} ip daddr != ${cidr} masquerade`,
    `  }`,
    `}`,
    '',
  ].join('\n');
}

/**
 * Brings the kernel's `proto 66` routes to `wanted`: replaces missing or
 * changed ones, deletes the rest. Routes whose next hop is not on a
 * connected subnet are left out (`unreachable` lists them).
 */
export async function reconcileRoutes(ip: IpRunner, wanted: PodRoute[]): Promise<{ applied: PodRoute[]; unreachable: PodRoute[] }> {
  const [have, connected] = await Promise.all([ourRoutes(ip), connectedSubnets(ip)]);
  const applied: PodRoute[] = [];
  const unreachable: PodRoute[] = [];
  for (const r of wanted) (connected.some((c) => inCIDR(r.via, c)) ? applied : unreachable).push(r);
  const keep = new Set<string>();
  for (const r of applied) {
    keep.add(r.dst);
    if (have.some((h) => h.dst === r.dst && h.gateway === r.via)) continue;
    await ip(['route', 'replace', r.dst, 'via', r.via, 'proto', String(ROUTE_PROTO)]);
    log.info('pod route added', { node: r.node, dst: r.dst, via: r.via });
  }
  for (const h of have) {
    if (keep.has(h.dst)) continue;
    await ip(['route', 'del', h.dst, 'proto', String(ROUTE_PROTO)]);
    log.info('pod route removed', { dst: h.dst, via: h.gateway });
  }
  return { applied, unreachable };
}

/**
 * The host-gw backend of pod-network.ts: nodes whose address is off every
 * connected subnet get no route and one warning.
 */
export function hostGwBackend(o: { ip: IpRunner; nodeName: string; nodeIP?: string }): PodNetworkBackend {
  const warned = new Set<string>(); // "node via" pairs already warned about
  return {
    name: 'host-gw',
    async sync(nodes: Obj[]): Promise<PodRoute[]> {
      const wanted = wantedRoutes(nodes, o.nodeName);
      const { unreachable } = await reconcileRoutes(o.ip, wanted);
      for (const r of unreachable) {
        const key = `${r.node} ${r.via}`;
        if (warned.has(key)) continue;
        warned.add(key);
        log.warn('node is not on a directly connected subnet: no route to its pods (host-gw needs one L2 LAN; see --flannel-backend vxlan)', { node: r.node, address: r.via, podCIDR: r.dst });
      }
      return wanted;
    },
    annotations: () => (o.nodeIP ? flannelAnnotations('host-gw', o.nodeIP) : undefined),
  };
}

/** Removes every route of ours and the masquerade rule (pod-network.ts's cleanup adds flannel.1). Idempotent. */
export async function cleanupPodRoutes(ip: IpRunner = defaultIp, nft: NftRunner = defaultNft): Promise<void> {
  await reconcileRoutes(ip, []);
  await nft(`table ip ${NAT_TABLE} {}\ndelete table ip ${NAT_TABLE}\n`);
}
