/**
 * The `servicelb` controller: addresses for `type: LoadBalancer` Services
 * (those without `spec.loadBalancerClass`). Two modes:
 *
 * - **Nodes** (the default, as k3s ServiceLB): `status.loadBalancer.ingress`
 *   lists the InternalIPs of the Ready nodes — only those labelled
 *   `svccontroller.bramble.io/enablelb=true` when any node has that label.
 *   The service proxy on each node forwards `ingressIP:port` to the
 *   endpoints (src/agent/proxy treats ingress IPs as external addresses).
 * - **Pool** (as MetalLB layer 2), when `bramble server --lb-pool` is set and
 *   the Service is not annotated `svccontroller.bramble.io/mode: nodes`: one
 *   address from the pool — `spec.loadBalancerIP` when it is in the pool and
 *   free (otherwise a Warning event and no address), else the lowest free
 *   one; an address a Service already has is kept. The annotation
 *   `svccontroller.bramble.io/announce-node` names the one node that answers
 *   ARP for it (src/agent/network/lb-announce.ts): the current one while it
 *   stays Ready and eligible, else the eligible node ranked first by a hash
 *   of node name and address (MetalLB's choice, spreading addresses). With
 *   `externalTrafficPolicy: Local` only nodes with a ready endpoint of the
 *   Service are eligible (MetalLB announces from those only).
 *
 * A Service that stops being a LoadBalancer loses its ingress and annotation.
 */
import { agentEndpoint, isNodeReady, nodeInternalIP } from '../../api/node-status.ts';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { EventRecorder } from '../../client/events.ts';
import type { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { INGRESS_CONTROLLER, ingressClasses } from '../ingress/ingress.ts';
import { METALLB_CONFIGMAP, METALLB_NAMESPACE, MetalLBConfigError, parseMetalLBConfig } from './metallb-config.ts';
import { firstFree, parsePool, poolOf, type NamedPool } from './pool.ts';
import { AnnouncerLiveness } from './liveness.ts';

const log = logger('servicelb-controller');

export const ENABLELB_LABEL = 'svccontroller.bramble.io/enablelb';
export const ANNOUNCE_ANNOTATION = 'svccontroller.bramble.io/announce-node';
export const MODE_ANNOTATION = 'svccontroller.bramble.io/mode';
/** MetalLB's annotations, so Services written for MetalLB keep working. */
export const POOL_ANNOTATION = 'metallb.universe.tf/address-pool';
export const IPS_ANNOTATION = 'metallb.universe.tf/loadBalancerIPs';
const resyncMs = 60_000;

const isLB = (s: Obj) => s['spec']?.type === 'LoadBalancer' && !s['spec']?.loadBalancerClass;
const ingressIPs = (s: Obj): string[] => ((s['status']?.loadBalancer?.ingress as Obj[] | undefined) ?? []).map((i) => i['ip']).filter((ip): ip is string => typeof ip === 'string');
const byName = (a: Obj, b: Obj) => String(a['metadata'].name).localeCompare(String(b['metadata'].name));

/** Ready nodes with an InternalIP that may carry LoadBalancer traffic, by name. */
export function eligibleNodes(nodes: Obj[]): Obj[] {
  const labelled = nodes.some((n) => n['metadata']?.labels?.[ENABLELB_LABEL] !== undefined);
  return nodes
    .filter((n) => isNodeReady(n) && nodeInternalIP(n) && (!labelled || n['metadata']?.labels?.[ENABLELB_LABEL] === 'true'))
    .sort(byName);
}

/** The announcing node: `current` while a candidate, else the candidate ranked first by hash(node, address). */
export function chooseAnnouncer(candidates: string[], ip: string, current?: string): string | undefined {
  if (current && candidates.includes(current)) return current;
  const rank = (n: string) => createHash('sha256').update(`${n}#${ip}`).digest('hex');
  return [...candidates].sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : a.localeCompare(b)))[0];
}

export class ServiceLBController implements Controller {
  readonly name = 'servicelb';
  readonly queue: WorkQueue<string>;
  private readonly client: Client;
  private readonly services: Informer;
  private readonly nodes: Informer;
  private readonly slices: Informer;
  private readonly recorder: EventRecorder;
  /** `--lb-pool` ranges, as the pool named "default". */
  private readonly flagPools: NamedPool[];
  /** Pools from MetalLB's ConfigMap: the last configuration that could be read. */
  private configPools: NamedPool[] = [];
  private readonly configMaps: Informer;
  private readonly ingressClasses: Informer;
  /** Probes of the announcing nodes' agents (when the server gave a probe). */
  private readonly liveness: AnnouncerLiveness | undefined;
  /** Port clashes already reported, so a resync does not repeat the event. */
  private readonly warnedClash = new Set<string>();
  /** Pool addresses this process has given out, by Service key (the cache may lag our own writes). */
  private readonly assigned = new Map<string, string>();

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.queue = new WorkQueue({ clock: ctx.clock });
    const flagRanges = parsePool(ctx.config.lbPools ?? []);
    this.flagPools = flagRanges.length ? [{ name: 'default', ranges: flagRanges, autoAssign: true }] : [];
    this.recorder = ctx.recorder('service-lb-controller');
    this.services = ctx.informers.informer(resources.services);
    this.nodes = ctx.informers.informer(resources.nodes);
    this.slices = ctx.informers.informer(resources.endpointslices);
    // Only the one ConfigMap MetalLB reads, not every ConfigMap of the cluster.
    this.ingressClasses = ctx.informers.informer(ingressClasses);
    this.configMaps = ctx.informers.informer(resources.configmaps, { namespace: METALLB_NAMESPACE, fieldSelector: `metadata.name=${METALLB_CONFIGMAP}` });
    const key = (o: Obj) => `${o['metadata'].namespace}/${o['metadata'].name}`;
    this.services.addHandler({
      add: (o) => this.queue.add(key(o)),
      update: (old, o) => {
        this.queue.add(key(o));
        // Ports it held on the nodes may be free now: Services waiting for them try again.
        if (isLB(old) && (!isLB(o) || !isDeepStrictEqual(old['spec']?.ports, o['spec']?.ports))) {
          for (const s of this.services.list()) if (isLB(s) && !ingressIPs(s).length) this.queue.add(key(s));
        }
      },
      delete: (o) => {
        this.assigned.delete(key(o));
        this.queue.add(key(o));
        // Its address is free again: Services still waiting for one try now.
        for (const s of this.services.list()) if (isLB(s) && !ingressIPs(s).length) this.queue.add(key(s));
      },
    });
    // Readiness, address and the enablelb label matter; heartbeats do not.
    const nodeKey = (n: Obj) => `${nodeInternalIP(n) ?? ''}/${isNodeReady(n)}/${n['metadata']?.labels?.[ENABLELB_LABEL] ?? '-'}`;
    const all = () => {
      for (const s of this.services.list()) if (isLB(s) || ingressIPs(s).length) this.queue.add(key(s));
    };
    this.nodes.addHandler({ add: all, update: (o, n) => nodeKey(o) !== nodeKey(n) && all(), delete: all });
    this.ingressClasses.addHandler({ add: all, update: all, delete: all });
    const probe = ctx.config.agentProbe;
    this.liveness = probe && new AnnouncerLiveness({
      probe,
      targets: () => this.announcers(),
      keep: (name) => {
        const n = this.nodes.getByName('', name);
        return n !== undefined && isNodeReady(n);
      },
      changed: all,
    });
    const svcOfSlice = (s: Obj) => {
      const name = s['metadata']?.labels?.['kubernetes.io/service-name'];
      const svc = name && this.services.getByName(s['metadata'].namespace, name);
      if (svc && isLB(svc) && svc['spec']?.externalTrafficPolicy === 'Local') this.queue.add(key(svc));
    };
    this.slices.addHandler({ add: svcOfSlice, update: (_, s) => svcOfSlice(s), delete: svcOfSlice });
    const configChanged = (cm: Obj | undefined) => {
      this.readConfig(cm);
      for (const s of this.services.list()) if (isLB(s) || ingressIPs(s).length) this.queue.add(key(s));
    };
    this.configMaps.addHandler({
      add: (cm) => configChanged(cm),
      update: (old, cm) => !isDeepStrictEqual(old['data'], cm['data']) && configChanged(cm),
      delete: () => configChanged(undefined),
    });
  }

  private pools(): NamedPool[] {
    return [...this.flagPools, ...this.configPools];
  }

  /** Takes MetalLB's ConfigMap (undefined: deleted); a document that cannot be read leaves the last good pools in place. */
  private readConfig(cm: Obj | undefined): void {
    if (!cm) {
      if (this.configPools.length) log.info('MetalLB ConfigMap deleted: its address pools are gone');
      this.configPools = [];
      return;
    }
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', ...cm };
    try {
      const { pools, skipped } = parseMetalLBConfig(cm['data']);
      for (const why of skipped) {
        log.warn('MetalLB address pool ignored', { reason: why });
        this.recorder.event(ref, 'Warning', 'InvalidConfiguration', `address pool ignored: ${why}`);
      }
      this.configPools = pools;
      log.info('MetalLB address pools', { pools: pools.map((p) => p.name).join(',') || '(none)' });
      this.recorder.event(ref, 'Normal', 'ConfigLoaded', `${pools.length} address pool(s): ${pools.map((p) => p.name).join(', ') || 'none'}`);
    } catch (e) {
      if (!(e instanceof MetalLBConfigError)) throw e;
      log.warn('MetalLB configuration rejected; the previous pools stay', { error: e.message });
      this.recorder.event(ref, 'Warning', 'InvalidConfiguration', `configuration rejected, the previous one stays in force: ${e.message}`);
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    if (this.flagPools.length) log.info('load-balancer address pool', { ranges: this.flagPools[0]!.ranges.length });
    this.liveness?.start(signal);
    await runWorkers(this.queue, 1, (key) => this.reconcile(key), (key, err, retry) =>
      log.warn('sync failed', { service: key, err: err instanceof Error ? err.message : String(err), retry }),
    );
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = key.split('/') as [string, string];
    const svc = this.services.getByName(ns, name);
    if (!svc) return {};
    if (!isLB(svc)) {
      if (ingressIPs(svc).length) await this.writeStatus(svc, []);
      if (svc['metadata']?.annotations?.[ANNOUNCE_ANNOTATION] !== undefined) await this.writeAnnouncer(svc, undefined);
      this.assigned.delete(key);
      return {};
    }
    const eligible = eligibleNodes(this.nodes.list());
    if (this.nodeMode(svc)) {
      this.assigned.delete(key);
      const clash = this.portInUse(svc);
      if (clash) {
        // As k3s, whose svclb pods cannot bind a taken host port: no address, and why.
        if (ingressIPs(svc).length || !this.warnedClash.has(`${key}#${clash}`)) this.event(svc, 'Warning', 'PortInUse', `port ${clash}; the Service gets no node address until it is free`);
        this.warnedClash.add(`${key}#${clash}`);
        await this.writeStatus(svc, []);
        return { requeueAfterMs: resyncMs };
      }
      const ips = eligible.map((n) => nodeInternalIP(n)!);
      await this.writeStatus(svc, ips);
      if (svc['metadata']?.annotations?.[ANNOUNCE_ANNOTATION] !== undefined) await this.writeAnnouncer(svc, undefined);
      return { requeueAfterMs: resyncMs };
    }
    const ip = this.allocate(key, svc);
    if (!ip) {
      this.assigned.delete(key);
      await this.writeStatus(svc, []);
      if (svc['metadata']?.annotations?.[ANNOUNCE_ANNOTATION] !== undefined) await this.writeAnnouncer(svc, undefined);
      return { requeueAfterMs: resyncMs };
    }
    this.assigned.set(key, ip);
    // A node whose agent stopped answering is out at once, well before it turns NotReady.
    let candidates = eligible.map((n) => String(n['metadata'].name)).filter((n) => !this.liveness?.isDown(n));
    if (svc['spec']?.externalTrafficPolicy === 'Local') {
      const withEndpoints = this.nodesWithReadyEndpoints(svc);
      candidates = candidates.filter((n) => withEndpoints.has(n));
    }
    const current = svc['metadata']?.annotations?.[ANNOUNCE_ANNOTATION] as string | undefined;
    const announcer = chooseAnnouncer(candidates, ip, current);
    if (announcer !== current) {
      log.info('announcing node', { service: key, address: ip, node: announcer ?? '(none)', previous: current ?? '(none)' });
      if (announcer) this.event(svc, 'Normal', 'nodeAssigned', `announcing from node "${announcer}" with protocol "layer2"`);
      else this.event(svc, 'Warning', 'NoAnnouncingNode', `no Ready node can announce ${ip}`);
      await this.writeAnnouncer(svc, announcer);
    }
    await this.writeStatus(svc, [ip]);
    return { requeueAfterMs: resyncMs };
  }

  /** The nodes announcing some pool address now, with their agents' address and port. */
  private announcers(): Map<string, { address: string; port: number }> {
    const out = new Map<string, { address: string; port: number }>();
    for (const s of this.services.list()) {
      const name = s['metadata']?.annotations?.[ANNOUNCE_ANNOTATION] as string | undefined;
      if (!name || out.has(name)) continue;
      const node = this.nodes.getByName('', name);
      const t = node && isNodeReady(node) ? agentEndpoint(node) : undefined;
      if (t) out.set(name, t);
    }
    return out;
  }

  private nodeMode(svc: Obj): boolean {
    return !this.pools().length || svc['metadata']?.annotations?.[MODE_ANNOTATION] === 'nodes';
  }

  /**
   * In node mode a LoadBalancer port is taken on every node: by the built-in
   * ingress (TCP 80 and 443, while an IngressClass of its controller
   * exists), or by an older node-mode LoadBalancer Service. What holds the
   * first clashing port, or undefined.
   */
  private portInUse(svc: Obj): string | undefined {
    const ports = (s: Obj) => ((s['spec']?.ports as Obj[] | undefined) ?? []).map((p) => `${p['port']}/${p['protocol'] ?? 'TCP'}`);
    const mine = ports(svc);
    if (this.ingressClasses.list().some((c) => c['spec']?.controller === INGRESS_CONTROLLER)) {
      const taken = mine.find((p) => p === '80/TCP' || p === '443/TCP');
      if (taken) return `${taken} is used on the nodes by the built-in ingress (start the server with --disable ingress to free it)`;
    }
    const older = (a: Obj, b: Obj) => {
      const ta = String(a['metadata']?.creationTimestamp ?? '');
      const tb = String(b['metadata']?.creationTimestamp ?? '');
      return ta !== tb ? ta < tb : `${a['metadata'].namespace}/${a['metadata'].name}` < `${b['metadata'].namespace}/${b['metadata'].name}`;
    };
    for (const other of this.services.list()) {
      if (other === svc || !isLB(other) || !this.nodeMode(other) || !older(other, svc)) continue;
      if (other['metadata']?.uid === svc['metadata']?.uid) continue;
      const theirs = new Set(ports(other));
      const taken = mine.find((p) => theirs.has(p));
      if (taken) return `${taken} is used on the nodes by Service ${other['metadata'].namespace}/${other['metadata'].name}`;
    }
    return undefined;
  }

  /**
   * The Service's pool address: kept, requested (`spec.loadBalancerIP`, or
   * MetalLB's loadBalancerIPs annotation) or the lowest free of the
   * auto-assign pools (of the one pool named by MetalLB's address-pool
   * annotation, if any); undefined with an event when there is none.
   */
  private allocate(key: string, svc: Obj): string | undefined {
    const pools = this.pools();
    const fail = (why: string) => void this.event(svc, 'Warning', 'AllocationFailed', `Failed to allocate IP for "${key}": ${why}`);
    const poolName = svc['metadata']?.annotations?.[POOL_ANNOTATION] as string | undefined;
    const named = poolName === undefined ? undefined : pools.find((p) => p.name === poolName);
    if (poolName !== undefined && !named) return fail(`unknown pool "${poolName}"`);
    const allowed = (ip: string) => {
      const p = poolOf(pools, ip);
      return p !== undefined && (!named || p === named);
    };
    const used = new Set<string>();
    for (const s of this.services.list()) {
      const k = `${s['metadata'].namespace}/${s['metadata'].name}`;
      if (k !== key && isLB(s)) for (const ip of ingressIPs(s)) if (poolOf(pools, ip)) used.add(ip);
    }
    for (const [k, ip] of this.assigned) if (k !== key) used.add(ip);
    const wanted = (svc['spec']?.loadBalancerIP as string | undefined) || String(svc['metadata']?.annotations?.[IPS_ANNOTATION] ?? '').split(',')[0]!.trim() || undefined;
    if (wanted) {
      if (!allowed(wanted)) return fail(`loadBalancerIP ${wanted} is not in the address pool${named ? ` "${named.name}"` : ''}`);
      if (used.has(wanted)) return fail(`loadBalancerIP ${wanted} is already in use by another Service`);
      if (this.assigned.get(key) !== wanted) this.event(svc, 'Normal', 'IPAllocated', `Assigned IP ["${wanted}"]`);
      return wanted;
    }
    const kept = this.assigned.get(key) ?? ingressIPs(svc).find((ip) => poolOf(pools, ip));
    if (kept && allowed(kept) && !used.has(kept)) return kept;
    let ip: string | undefined;
    for (const p of named ? [named] : pools.filter((p) => p.autoAssign)) if ((ip = firstFree(p.ranges, used))) break;
    if (!ip) return fail(named ? `no available IPs in pool "${named.name}"` : 'no available IPs in the address pool');
    this.event(svc, 'Normal', 'IPAllocated', `Assigned IP ["${ip}"]`);
    return ip;
  }

  private nodesWithReadyEndpoints(svc: Obj): Set<string> {
    const out = new Set<string>();
    for (const s of this.slices.list()) {
      if (s['metadata']?.namespace !== svc['metadata'].namespace || s['metadata']?.labels?.['kubernetes.io/service-name'] !== svc['metadata'].name) continue;
      for (const e of (s['endpoints'] as Obj[] | undefined) ?? []) if (e['nodeName'] && e['conditions']?.ready !== false) out.add(e['nodeName']);
    }
    return out;
  }

  private async writeStatus(svc: Obj, ips: string[]): Promise<void> {
    const ingress = ips.map((ip) => ({ ip, ipMode: 'VIP' }));
    const cur = (svc['status']?.loadBalancer?.ingress as Obj[] | undefined) ?? [];
    if (isDeepStrictEqual(cur.map((i) => i['ip']), ips)) return;
    await this.client.patch(resources.services, svc['metadata'].namespace, svc['metadata'].name, 'merge', { status: { loadBalancer: { ingress } } }, { subresource: 'status' });
  }

  private async writeAnnouncer(svc: Obj, node: string | undefined): Promise<void> {
    await this.client.patch(resources.services, svc['metadata'].namespace, svc['metadata'].name, 'merge', { metadata: { annotations: { [ANNOUNCE_ANNOTATION]: node ?? null } } });
  }

  private event(svc: Obj, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event({ apiVersion: 'v1', kind: 'Service', ...svc }, type, reason, message);
  }
}

export const serviceLBControllerFactory = (ctx: ControllerContext): Controller => new ServiceLBController(ctx);
