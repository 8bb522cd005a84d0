/**
 * Layer-2 announcement of load-balancer pool addresses (MetalLB's speaker,
 * layer 2 mode): for every Service whose annotation
 * `svccontroller.bramble.io/announce-node` names this node (set by the
 * servicelb controller, src/controllers/servicelb), the node holds the
 * Service's `status.loadBalancer.ingress` address on the LAN interface
 * that carries its InternalIP —
 *
 *     ip addr add <A>/32 dev <iface> label <iface>:lb
 *
 * so the kernel answers ARP for it — and sends gratuitous ARP
 * (`arping -U -c 2 -I <iface> <A>`, when arping is installed) so neighbours
 * whose cache still points at the previous node switch at once. The label
 * marks the addresses as ours: those no longer announced here are deleted,
 * at every sync (also after a restart) and when the agent stops. The
 * service proxy then forwards `A:port` to the Service's endpoints.
 */
import { spawn } from 'node:child_process';
import { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import { defaultIp, type IpRunner } from './routes.ts';

const log = logger('lb-announce');

export const ANNOUNCE_ANNOTATION = 'svccontroller.bramble.io/announce-node';
const LABEL_SUFFIX = ':lb';

/** The pool addresses this node must hold, sorted. */
export function announcedAddresses(services: Obj[], nodeName: string): string[] {
  const out = new Set<string>();
  for (const s of services) {
    if (s['spec']?.type !== 'LoadBalancer' || s['metadata']?.annotations?.[ANNOUNCE_ANNOTATION] !== nodeName) continue;
    for (const i of (s['status']?.loadBalancer?.ingress as Obj[] | undefined) ?? []) if (typeof i['ip'] === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(i['ip'])) out.add(i['ip']);
  }
  return [...out].sort();
}

/** Runs arping; resolves false when it is missing or fails (announcement still works, neighbours just learn later). */
export type Arping = (iface: string, ip: string) => Promise<boolean>;
export const defaultArping: Arping = (iface, ip) =>
  new Promise((resolve) => {
    const child = spawn('arping', ['-U', '-c', '2', '-w', '3', '-I', iface, ip], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });

export interface LBAnnounceOptions {
  client: Client;
  nodeName: string;
  nodeIP: string;
  signal: AbortSignal;
  ip?: IpRunner;
  arping?: Arping;
  minSyncMs?: number;
  resyncMs?: number;
}

/** The interface holding `addr`, and the addresses on it with our label. */
async function ifaceState(ip: IpRunner, addr: string): Promise<{ iface: string; ours: string[] } | undefined> {
  const links = JSON.parse((await ip(['-j', '-4', 'addr', 'show'])) || '[]') as { ifname: string; addr_info?: { local: string; label?: string; prefixlen: number }[] }[];
  const link = links.find((l) => l.addr_info?.some((a) => a.local === addr));
  if (!link) return undefined;
  const ours = (link.addr_info ?? []).filter((a) => a.label === link.ifname + LABEL_SUFFIX && a.prefixlen === 32).map((a) => a.local);
  return { iface: link.ifname, ours };
}

export async function reconcileAnnouncements(ip: IpRunner, arping: Arping, nodeIP: string, wanted: string[]): Promise<{ added: string[]; removed: string[] }> {
  const st = await ifaceState(ip, nodeIP);
  if (!st) throw new Error(`no interface holds the node address ${nodeIP}`);
  const label = (st.iface + LABEL_SUFFIX).slice(0, 15);
  const added = wanted.filter((a) => !st.ours.includes(a));
  const removed = st.ours.filter((a) => !wanted.includes(a));
  for (const a of removed) {
    await ip(['addr', 'del', `${a}/32`, 'dev', st.iface]);
    log.info('stopped announcing', { address: a, iface: st.iface });
  }
  for (const a of added) {
    await ip(['addr', 'add', `${a}/32`, 'dev', st.iface, 'label', label]);
    log.info('announcing', { address: a, iface: st.iface });
    void arping(st.iface, a).then((ok) => ok || log.debug('gratuitous ARP not sent (arping missing or failed)', { address: a }));
  }
  return { added, removed };
}

export function startLBAnnounce(o: LBAnnounceOptions): { stopped: Promise<void> } {
  const ip = o.ip ?? defaultIp;
  const arping = o.arping ?? defaultArping;
  const services = new Informer(o.client, resources.services);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let dirty = false;
  let synced = false;
  const loop = async () => {
    while (dirty && !o.signal.aborted) {
      dirty = false;
      try {
        await reconcileAnnouncements(ip, arping, o.nodeIP, announcedAddresses(services.list(), o.nodeName));
      } catch (e) {
        log.error('load-balancer announcement sync failed', { error: (e as Error).message });
      }
    }
  };
  const schedule = (delay = o.minSyncMs ?? 50) => {
    dirty = true;
    if (!synced || timer || o.signal.aborted) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (!running) running = loop().finally(() => (running = undefined));
    }, delay);
  };
  services.addHandler({ add: () => schedule(), update: () => schedule(), delete: () => schedule() });
  const run = services.run(o.signal);
  void services.ready.then(() => {
    synced = true;
    schedule(0);
  });
  const repair = setInterval(() => schedule(0), o.resyncMs ?? 30_000);
  const stopped = (async () => {
    await run.catch(() => undefined);
    clearInterval(repair);
    if (timer) clearTimeout(timer);
    await running;
    // Stop answering for addresses: another node takes them over.
    await reconcileAnnouncements(ip, arping, o.nodeIP, []).catch((e: unknown) => log.warn('could not withdraw load-balancer addresses', { error: (e as Error).message }));
  })();
  return { stopped };
}
