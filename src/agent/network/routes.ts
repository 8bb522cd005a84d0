/**
 * The pod network across nodes, as flannel's host-gw backend: every node
 * keeps, in its own main routing table, one route per OTHER node,
 *
 *     <node.spec.podCIDR> via <node InternalIP>
 *
 * so a packet for a pod elsewhere leaves straight for the node that hosts
 * it. This needs every node on one L2 LAN: a node whose address is not on a
 * directly connected subnet gets no route and a warning (once); encapsulation
 * (VXLAN) is a later option.
 *
 * Our routes carry `proto 66` (ROUTE_PROTO), so listing, replacing and
 * deleting only ever touches routes this module made; a start reconciles
 * away whatever an earlier run left. Reconciles run after Node changes
 * (debounced) and every minute, which also repairs routes someone deleted.
 *
 * Pod-to-pod traffic must keep its source address. The CNI bridge plugin's
 * ipMasq masquerades everything outside the pod's own /24, so it is off (see
 * cni-config.ts) and, as flannel, one rule of ours masquerades only what
 * leaves the cluster CIDR: table `ip bramble-net`, postrouting,
 * `ip saddr <clusterCIDR> ip daddr != <clusterCIDR> masquerade`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import { defaultNft, type NftRunner } from '../proxy/nft.ts';
import { parsePodCIDR } from './cni-config.ts';

const log = logger('routes');

/** Our routes' protocol number (`ip route … proto 66`, 0x42): marks them as ours. */
export const ROUTE_PROTO = 66;
export const NAT_TABLE = 'bramble-net';

/** Runs `ip <args>` and resolves with its stdout; injectable so tests can use `ip -n NS`. */
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
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`ip ${args.join(' ')} exited ${code}: ${err.trim()}`))));
    });
}
export const defaultIp: IpRunner = ipCommand();

/** One wanted route: a node's pod CIDR via its address. */
export interface PodRoute {
  node: string;
  dst: string;
  via: string;
}

export interface PodRoutesOptions {
  client: Client;
  /** This node: it gets no route to itself. */
  nodeName: string;
  /** The pod network, e.g. 10.42.0.0/16 (for the masquerade rule). */
  clusterCIDR: string;
  signal: AbortSignal;
  ip?: IpRunner;
  nft?: NftRunner;
  /** Periodic repair interval; default 60 s. */
  resyncMs?: number;
  /** Quiet time after a Node change; default 100 ms. */
  minSyncMs?: number;
  /** Called after each reconcile with the routes wanted (tests). */
  onSync?: (routes: PodRoute[]) => void;
}

export interface PodRoutes {
  /** Resolves after the first reconcile following the Node list. */
  readonly ready: Promise<void>;
  /** Resolves once stopped (signal aborted) and any reconcile ended. Routes stay (as flannel's). */
  readonly stopped: Promise<void>;
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

interface KernelRoute {
  dst: string;
  gateway?: string;
}

/** Our routes in the main table, as `ip -json` lists them (dst "10.42.2.0/24"). */
async function ourRoutes(ip: IpRunner): Promise<KernelRoute[]> {
  const text = await ip(['-json', '-4', 'route', 'show', 'table', 'main', 'proto', String(ROUTE_PROTO)]);
  return (JSON.parse(text || '[]') as KernelRoute[]).map((r) => ({ dst: r.dst.includes('/') ? r.dst : `${r.dst}/32`, gateway: r.gateway }));
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

export function startPodRoutes(opts: PodRoutesOptions): PodRoutes {
  const ip = opts.ip ?? defaultIp;
  const nft = opts.nft ?? defaultNft;
  const resyncMs = opts.resyncMs ?? 60_000;
  const minSyncMs = opts.minSyncMs ?? 100;
  const nodes = new Informer(opts.client, resources.nodes);
  const warned = new Set<string>(); // "node via" pairs already warned about
  let natApplied = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let dirty = false;
  let synced = false;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  const schedule = (delay = minSyncMs) => {
    dirty = true;
    if (!synced || timer || opts.signal.aborted) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (!running) running = loop().finally(() => (running = undefined));
    }, delay);
  };

  const loop = async () => {
    while (dirty && !opts.signal.aborted) {
      dirty = false;
      try {
        if (!natApplied) {
          await nft(natScript(opts.clusterCIDR));
          natApplied = true;
        }
        const wanted = wantedRoutes(nodes.list(), opts.nodeName);
        const { unreachable } = await reconcileRoutes(ip, wanted);
        for (const r of unreachable) {
          const key = `${r.node} ${r.via}`;
          if (warned.has(key)) continue;
          warned.add(key);
          log.warn('node is not on a directly connected subnet: no route to its pods (host-gw needs one L2 LAN)', { node: r.node, address: r.via, podCIDR: r.dst });
        }
        opts.onSync?.(wanted);
        resolveReady();
      } catch (e) {
        // Retried at the next change or repair tick; a half-applied set of routes is put right then.
        natApplied = false;
        log.error('pod route sync failed', { error: (e as Error).message });
      }
    }
  };

  nodes.addHandler({ add: () => schedule(), update: (a, b) => changed(a, b) && schedule(), delete: () => schedule() });
  const run = nodes.run(opts.signal);
  // Forwarding between the LAN and cni0 (the bridge plugin turns it on too, but only once a pod starts
  // here). Only in our own namespace: an injected `ip` means the routes live in another one.
  if (!opts.ip) {
    try {
      fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    } catch (e) {
      log.warn('cannot enable IPv4 forwarding', { error: (e as Error).message });
    }
  }
  void nodes.ready.then(() => {
    synced = true;
    log.info('pod routes starting (host-gw)', { node: opts.nodeName, clusterCIDR: opts.clusterCIDR });
    schedule(0);
  });
  const repair = setInterval(() => schedule(0), resyncMs);
  const stopped = (async () => {
    await run;
    clearInterval(repair);
    if (timer) clearTimeout(timer);
    await running;
  })();
  return { ready, stopped };
}

/** Only a change of pod CIDR or addresses matters (status heartbeats do not). */
function changed(a: Obj, b: Obj): boolean {
  return a['spec']?.podCIDR !== b['spec']?.podCIDR || JSON.stringify(a['status']?.addresses) !== JSON.stringify(b['status']?.addresses);
}

/** Removes every route and rule of ours (`--cleanup`). Idempotent. */
export async function cleanupPodRoutes(ip: IpRunner = defaultIp, nft: NftRunner = defaultNft): Promise<void> {
  await reconcileRoutes(ip, []);
  await nft(`table ip ${NAT_TABLE} {}\ndelete table ip ${NAT_TABLE}\n`);
}
