/**
 * The Service IP and node port repair loop (`service-ip-repair`), after
 * upstream's ipallocator and portallocator repair controllers. The
 * allocator itself cannot drift (it reads the stored Services), but stored
 * Services can hold values allocation would refuse today: after
 * `--service-cidr` or `--service-node-port-range` changed, or written
 * before allocation existed. At start and every `intervalMs` this loop
 * - records upstream's Warning events on such Services
 *   (ClusterIPOutOfRange, ClusterIPAlreadyAllocated, PortOutOfRange,
 *   PortAlreadyAllocated: "please recreate service"), and
 * - gives Services stored without a cluster IP or node ports the ones
 *   their type needs, by an unchanged update that admission allocates for.
 */
import { isApiError } from '../../api/errors.ts';
import type { Informer } from '../../client/informer.ts';
import type { EventRecorder } from '../../client/events.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../../controllers/manager.ts';
import { kubernetesServiceKey } from './allocator.ts';
import { offsetOf, parseServiceRange, type ServiceRange } from './cidr.ts';
import { allocatesNodePorts, isHeadless, needsClusterIP, needsNodePorts } from './service-fields.ts';

const log = logger('service-ip-repair');

/** Upstream repairs every 3 minutes. */
export const repairIntervalMs = 3 * 60_000;

export interface Finding {
  svc: Obj;
  reason: 'ClusterIPOutOfRange' | 'ClusterIPAlreadyAllocated' | 'PortOutOfRange' | 'PortAlreadyAllocated';
  message: string;
}

const keyOf = (o: Obj) => `${o['metadata']?.namespace}/${o['metadata']?.name}`;

/** The kubernetes Service first (the first address is its), then oldest first. */
const byAge = (a: Obj, b: Obj) => {
  if ((keyOf(a) === kubernetesServiceKey) !== (keyOf(b) === kubernetesServiceKey)) return keyOf(a) === kubernetesServiceKey ? -1 : 1;
  const ta = a['metadata']?.creationTimestamp ?? '';
  const tb = b['metadata']?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0;
};

/** What is wrong with the stored Services; the oldest holder of a value keeps it, later ones are reported. */
export function findProblems(services: Obj[], range: ServiceRange, ports: readonly [number, number]): Finding[] {
  const out: Finding[] = [];
  const ipOwner = new Map<string, Obj>();
  const portOwner = new Map<number, Obj>();
  const [lo, hi] = ports;
  for (const svc of [...services].sort(byAge)) {
    const spec = svc['spec'] ?? {};
    if (needsClusterIP(spec) && !isHeadless(spec)) {
      for (const ip of (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) as string[]) {
        if (ip.includes(':')) continue;
        if (offsetOf(range, ip) === undefined) {
          out.push({ svc, reason: 'ClusterIPOutOfRange', message: `Cluster IP [IPv4]:${ip} is not within the service CIDR ${range.cidr}; please recreate service` });
          continue;
        }
        if (ipOwner.has(ip)) out.push({ svc, reason: 'ClusterIPAlreadyAllocated', message: `Cluster IP [IPv4]:${ip} was assigned to multiple services; please recreate service` });
        else ipOwner.set(ip, svc);
      }
    }
    const held = new Set<number>();
    for (const p of (spec.ports ?? []) as Obj[]) if (p?.nodePort) held.add(p.nodePort);
    if (spec.healthCheckNodePort) held.add(spec.healthCheckNodePort);
    for (const port of held) {
      if (port < lo || port > hi) out.push({ svc, reason: 'PortOutOfRange', message: `Port ${port} is not within the port range ${lo}-${hi}; please recreate service` });
      else if (portOwner.has(port)) out.push({ svc, reason: 'PortAlreadyAllocated', message: `Port ${port} was assigned to multiple services; please recreate service` });
      else portOwner.set(port, svc);
    }
  }
  return out;
}

/** A Service whose type needs a cluster IP or node ports it does not have. */
export function lacksAllocation(svc: Obj): boolean {
  const spec = svc['spec'] ?? {};
  if (needsClusterIP(spec) && !spec.clusterIP && !(spec.clusterIPs ?? []).length) return true;
  return needsNodePorts(spec) && allocatesNodePorts(spec) && ((spec.ports ?? []) as Obj[]).some((p) => !p?.nodePort);
}

export class ServiceIPRepair implements Controller {
  readonly name = 'service-ip-repair';
  readonly queue: WorkQueue<string>;
  private readonly client: Client;
  private readonly recorder: EventRecorder;
  private readonly services: Informer;
  private readonly range: ServiceRange;
  private readonly ports: readonly [number, number];
  private readonly intervalMs: number;

  constructor(ctx: ControllerContext, opts: { intervalMs?: number } = {}) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('ipallocator-repair-controller');
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.services = ctx.informers.informer(resources.services);
    this.range = parseServiceRange(ctx.config.serviceCIDR);
    this.ports = ctx.config.nodePortRange;
    this.intervalMs = opts.intervalMs ?? repairIntervalMs;
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    this.queue.add('all');
    await runWorkers(this.queue, 1, () => this.reconcile(), (_k, err, retry) =>
      log.warn('repair failed', { err: err instanceof Error ? err.message : String(err), retry }),
    );
  }

  async reconcile(): Promise<ReconcileResult> {
    const services = this.services.list();
    for (const f of findProblems(services, this.range, this.ports)) this.recorder.event(f.svc, 'Warning', f.reason, f.message);
    for (const svc of services.filter(lacksAllocation)) {
      const m = svc['metadata'];
      log.info('allocating for a Service stored without its cluster IP or node ports', { service: `${m.namespace}/${m.name}` });
      try {
        await this.client.update(resources.services, m.namespace, structuredClone(svc));
      } catch (e) {
        // Gone, changed meanwhile (the next round looks again), or refused: report and go on.
        if (!isApiError(e, 'NotFound') && !isApiError(e, 'Conflict')) log.warn('could not allocate', { service: `${m.namespace}/${m.name}`, err: (e as Error).message });
      }
    }
    return { requeueAfterMs: this.intervalMs };
  }
}

export const serviceIPRepairFactory = (ctx: ControllerContext): Controller => new ServiceIPRepair(ctx);
