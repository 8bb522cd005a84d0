/**
 * The Service proxy: kube-proxy's nftables mode for one node. Watches
 * Services and EndpointSlices, and after each burst of changes (debounced,
 * as kube-proxy's minSyncPeriod) renders the proxy's table and applies it in
 * one `nft -f` transaction. A render equal to the last one applied is
 * skipped. A failed apply is retried with back-off, and the next attempt
 * replaces the table whole.
 *
 * The table outlives the process: an agent restart leaves Services working
 * until the new process re-syncs; `cleanupServiceProxy()` removes it. Every
 * `checkIntervalMs` the proxy checks its table is still there and rebuilds
 * it when something removed it behind its back (`nft flush ruleset`). After
 * each sync, conntrack entries of UDP flows to endpoints no longer used are
 * deleted (conntrack.ts).
 */
import { Informer } from '../../client/informer.ts';
import { resources, type Client } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import { conntrackArgs, defaultConntrack, staleUdpFlows, type ConntrackRunner } from './conntrack.ts';
import { buildServicePorts, type ServicePort } from './model.ts';
import { defaultNft, type NftRunner } from './nft.ts';
import { cleanupScript, presenceScript, renderRuleset, transaction, type Ruleset } from './ruleset.ts';

const log = logger('proxy');

export interface SyncStats {
  /** When the sync started applying (ms, Date.now()). */
  at: number;
  /** How long rendering plus `nft` took, in ms. */
  ms: number;
  /** Service ports programmed. */
  servicePorts: number;
}

export interface ServiceProxyOptions {
  client: Client;
  /** This node's name: endpoints with this nodeName are local. */
  nodeName: string;
  /**
   * The node's addresses (for logs). NodePorts answer on every local
   * address (`fib daddr type local`), as kube-proxy's default
   * nodePortAddresses.
   */
  nodeIPs: string[];
  /** The pod network, e.g. 10.42.0.0/16. */
  clusterCIDR: string;
  signal: AbortSignal;
  /** How to apply nft scripts; default `nft -f -` in this namespace. */
  nft?: NftRunner;
  /** How to delete conntrack entries; default `conntrack` in this namespace. */
  conntrack?: ConntrackRunner;
  /** How often the table's presence is checked; default 15 s. */
  checkIntervalMs?: number;
  /** Quiet time after a change before syncing; default 100 ms. */
  minSyncMs?: number;
  /** Called after each applied sync (tests, metrics). */
  onSync?: (s: SyncStats) => void;
}

export interface ServiceProxy {
  /** Resolves after the first sync that followed both informers' initial lists. */
  readonly ready: Promise<void>;
  /** Resolves once stopped (signal aborted) and any sync in progress ended. */
  readonly stopped: Promise<void>;
}

export function startServiceProxy(opts: ServiceProxyOptions): ServiceProxy {
  const nft = opts.nft ?? defaultNft;
  const minSyncMs = opts.minSyncMs ?? 100;
  const services = new Informer(opts.client, resources.services);
  const slices = new Informer(opts.client, resources.endpointslices);

  const conntrack = opts.conntrack ?? defaultConntrack;
  let applied: Ruleset | undefined; // what the kernel has, as far as this process knows
  let appliedPorts: ServicePort[] | undefined; // undefined until this process's first sync
  let conntrackMissing = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let dirty = false;
  let failures = 0;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  let informersSynced = false;

  const schedule = (delay = minSyncMs) => {
    dirty = true;
    if (!informersSynced || timer || opts.signal.aborted) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (running) return; // the running sync re-schedules itself when done
      running = syncLoop().finally(() => (running = undefined));
    }, delay);
  };

  const syncLoop = async () => {
    while (dirty && !opts.signal.aborted) {
      dirty = false;
      const at = Date.now();
      const ports = buildServicePorts(services.list(), slices.list(), opts.nodeName);
      const next = renderRuleset(ports, { clusterCIDR: opts.clusterCIDR });
      if (applied && applied.text === next.text) {
        resolveReady();
        continue;
      }
      try {
        await nft(transaction(applied, next));
        applied = next;
        failures = 0;
        // The first sync cannot know which flows earlier runs left: it leaves them.
        if (appliedPorts) await flushStaleFlows(appliedPorts, ports);
        appliedPorts = ports;
        const stats = { at, ms: Date.now() - at, servicePorts: ports.length };
        log.debug('synced', { servicePorts: stats.servicePorts, ms: stats.ms });
        opts.onSync?.(stats);
        resolveReady();
      } catch (e) {
        applied = undefined; // unknown state: the next attempt replaces the table
        failures++;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 6));
        log.error('nft sync failed', { err: e instanceof Error ? e.message : String(e), retryMs: delay });
        timer = setTimeout(() => {
          timer = undefined;
          schedule(0);
        }, delay);
        return;
      }
    }
  };

  const flushStaleFlows = async (prev: ServicePort[], next: ServicePort[]) => {
    if (conntrackMissing) return;
    for (const f of staleUdpFlows(prev, next)) {
      try {
        await conntrack(conntrackArgs(f));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          conntrackMissing = true;
          log.warn('conntrack not installed: UDP clients may keep sending to removed endpoints until their flows expire');
          return;
        }
        log.warn('conntrack delete failed', { err: (e as Error).message });
      }
    }
  };

  // The table can vanish behind our back; then the next sync must rebuild it whole.
  const check = setInterval(() => {
    if (!applied || running || opts.signal.aborted) return;
    nft(presenceScript()).catch(() => {
      if (!applied || opts.signal.aborted) return;
      log.warn('the service proxy table is gone (flushed by someone else?): rebuilding it');
      applied = undefined;
      schedule(0);
    });
  }, opts.checkIntervalMs ?? 15_000);
  check.unref();

  const handler = { add: () => schedule(), update: () => schedule(), delete: () => schedule() };
  services.addHandler(handler);
  slices.addHandler(handler);
  const runs = [services.run(opts.signal), slices.run(opts.signal)];
  void Promise.all([services.ready, slices.ready]).then(() => {
    informersSynced = true;
    log.info('service proxy starting', { node: opts.nodeName, nodeIPs: opts.nodeIPs.join(','), clusterCIDR: opts.clusterCIDR });
    schedule(0);
  });

  const stopped = (async () => {
    await Promise.all(runs);
    clearInterval(check);
    if (timer) clearTimeout(timer);
    await running;
  })();
  return { ready, stopped };
}

/** Deletes the proxy's table (`bramble agent --cleanup`). Idempotent. */
export async function cleanupServiceProxy(nft: NftRunner = defaultNft): Promise<void> {
  await nft(cleanupScript());
}
