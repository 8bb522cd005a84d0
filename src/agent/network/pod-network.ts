/**
 * The pod network across nodes (flannel's job): one loop that watches the
 * Nodes and hands their list to the backend chosen cluster-wide with the
 * server's `--flannel-backend`:
 *
 *   host-gw  routes.ts  a route per node's podCIDR via its address (one LAN)
 *   vxlan    vxlan.ts   a route per node's podCIDR through flannel.1 (UDP)
 *
 * Reconciles run after Node changes that matter (pod CIDR, addresses,
 * flannel annotations; debounced) and every minute, which also repairs what
 * someone deleted. Each reconcile changes only differences, so the periodic
 * one is cheap. After a reconcile the node publishes its flannel annotations
 * (flannel-annotations.ts) on its own Node when they differ.
 *
 * Common to both backends: pod-to-pod traffic keeps its source address,
 * traffic leaving the cluster CIDR is masqueraded (routes.ts `natScript`),
 * IPv4 forwarding is on.
 */
import * as fs from 'node:fs';
import { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import type { FlannelBackend } from '../../cluster/join/cluster-config.ts';
import { logger } from '../../util/log.ts';
import { defaultNft, type NftRunner } from '../proxy/nft.ts';
import { currentFlannelAnnotations, FLANNEL_ANNOTATIONS } from './flannel-annotations.ts';
import { cleanupPodRoutes, defaultBridge, defaultIp, hostGwBackend, natScript, type IpRunner, type PodRoute } from './routes.ts';
import { deleteVxlanDevice, vxlanBackend } from './vxlan.ts';

const log = logger('pod-network');

/** One way of reaching other nodes' pods. */
export interface PodNetworkBackend {
  readonly name: FlannelBackend;
  /** Brings the kernel to what the Node list asks for; returns the routes wanted. */
  sync(nodes: Obj[]): Promise<PodRoute[]>;
  /** The flannel annotations this node publishes on its Node (undefined: none). */
  annotations(): Record<string, string> | undefined;
}

export interface PodNetworkOptions {
  client: Client;
  /** This node: it gets no route to itself. */
  nodeName: string;
  /** This node's InternalIP: vxlan's tunnel address, the public-ip annotation. Required for vxlan. */
  nodeIP?: string;
  backend?: FlannelBackend;
  /** The pod network, e.g. 10.42.0.0/16 (for the masquerade rule). */
  clusterCIDR: string;
  signal: AbortSignal;
  ip?: IpRunner;
  bridge?: IpRunner;
  nft?: NftRunner;
  /** Periodic repair interval; default 60 s. */
  resyncMs?: number;
  /** Quiet time after a Node change; default 100 ms. */
  minSyncMs?: number;
  /** Called after each reconcile with the routes wanted (tests). */
  onSync?: (routes: PodRoute[]) => void;
}

export interface PodNetwork {
  /** Resolves after the first reconcile following the Node list. */
  readonly ready: Promise<void>;
  /** Resolves once stopped (signal aborted) and any reconcile ended. Routes and devices stay (as flannel's). */
  readonly stopped: Promise<void>;
}

export function startPodNetwork(opts: PodNetworkOptions): PodNetwork {
  const ip = opts.ip ?? defaultIp;
  const nft = opts.nft ?? defaultNft;
  const resyncMs = opts.resyncMs ?? 60_000;
  const minSyncMs = opts.minSyncMs ?? 100;
  const kind = opts.backend ?? 'host-gw';
  if (kind === 'vxlan' && !opts.nodeIP) throw new Error('the vxlan backend needs the node IP');
  const backend = kind === 'vxlan' ? vxlanBackend({ ip, bridge: opts.bridge ?? defaultBridge, nodeName: opts.nodeName, nodeIP: opts.nodeIP! }) : hostGwBackend({ ip, nodeName: opts.nodeName, nodeIP: opts.nodeIP });
  const nodes = new Informer(opts.client, resources.nodes);
  let natApplied = false;
  let leftoversGone = false;
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

  const publish = async (list: Obj[]) => {
    const want = backend.annotations();
    const self = list.find((n) => n['metadata']?.name === opts.nodeName);
    if (!want || !self) return; // not registered yet: its add event brings us back
    const have = currentFlannelAnnotations(self);
    if (FLANNEL_ANNOTATIONS.every((k) => have[k] === want[k])) return;
    await opts.client.patch(resources.nodes, '', opts.nodeName, 'merge', { metadata: { annotations: want } });
    log.info('flannel annotations published', { node: opts.nodeName, ...want });
  };

  const loop = async () => {
    while (dirty && !opts.signal.aborted) {
      dirty = false;
      try {
        if (!natApplied) {
          await nft(natScript(opts.clusterCIDR));
          natApplied = true;
        }
        if (!leftoversGone) {
          await removeOtherBackend(backend.name, ip);
          leftoversGone = true;
        }
        const list = nodes.list();
        const wanted = await backend.sync(list);
        await publish(list);
        opts.onSync?.(wanted);
        resolveReady();
      } catch (e) {
        // Retried at the next change or repair tick; a half-applied state is put right then.
        natApplied = false;
        log.error('pod network sync failed', { backend: backend.name, error: (e as Error).message });
      }
    }
  };

  nodes.addHandler({ add: () => schedule(), update: (a, b) => changed(a, b) && schedule(), delete: () => schedule() });
  const run = nodes.run(opts.signal);
  // Forwarding between the LAN (or flannel.1) and cni0 (the bridge plugin turns it on too, but only once a
  // pod starts here). Only in our own namespace: an injected `ip` means the network lives in another one.
  if (!opts.ip) {
    try {
      fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    } catch (e) {
      log.warn('cannot enable IPv4 forwarding', { error: (e as Error).message });
    }
  }
  void nodes.ready.then(() => {
    synced = true;
    log.info('pod network starting', { backend: backend.name, node: opts.nodeName, clusterCIDR: opts.clusterCIDR });
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

/**
 * What an earlier run on the other backend left (the backend changed
 * between restarts). vxlan needs nothing here: its route reconcile replaces
 * every `proto 66` route, host-gw's included. host-gw removes flannel.1,
 * whose routes, neighbours and forwarding entries go with it.
 */
export async function removeOtherBackend(kind: FlannelBackend, ip: IpRunner): Promise<void> {
  if (kind === 'host-gw' && (await deleteVxlanDevice(ip))) log.info('removed the vxlan device of an earlier run on vxlan');
}

/** `bramble agent --cleanup`: every route of ours, flannel.1 and the masquerade rule. Idempotent. */
export async function cleanupPodNetwork(ip: IpRunner = defaultIp, nft: NftRunner = defaultNft): Promise<void> {
  await deleteVxlanDevice(ip);
  await cleanupPodRoutes(ip, nft);
}

/** Only a change of pod CIDR, addresses or flannel annotations matters (status heartbeats do not). */
function changed(a: Obj, b: Obj): boolean {
  const ann = (n: Obj) => JSON.stringify(currentFlannelAnnotations(n));
  return a['spec']?.podCIDR !== b['spec']?.podCIDR || JSON.stringify(a['status']?.addresses) !== JSON.stringify(b['status']?.addresses) || ann(a) !== ann(b);
}
