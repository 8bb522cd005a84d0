/**
 * The `kubernetes-service` controller: the `default/kubernetes` Service that
 * in-cluster clients reach the API server through, and its Endpoints and
 * EndpointSlice, as upstream's controlplane does for one server (the
 * "kubernetes service" controller plus the endpoint reconciler):
 *
 * - the Service has the first address of the service range and one port,
 *   `https` 443 → the API server's port; if someone changes its ports or
 *   type, they are put back; if it is deleted, it is created again;
 * - its Endpoints (labelled `endpointslice.kubernetes.io/skip-mirror`, so
 *   no mirroring controller copies them) and its EndpointSlice (not managed
 *   by the EndpointSlice controller: the Service has no selector) list the
 *   API server addresses.
 *
 * With several servers (HA, `apiServerIdentityLeases`), the addresses are
 * those advertised by the unexpired API server identity Leases (see
 * src/server/apiserver-lease.ts) plus this server's own, sorted, as
 * upstream's Lease endpoint reconciler lists every live API server; the
 * controller looks again when the soonest Lease would expire.
 *
 * Addresses that Endpoints validation refuses (loopback, link-local) are
 * left out with a warning, as a server bound to 127.0.0.1 has no address
 * pods could use.
 */
import { isDeepStrictEqual } from 'node:util';
import { isApiError } from '../../api/errors.ts';
import { validateNonSpecialIP } from '../../api/validation/service.ts';
import { root } from '../../api/field-errors.ts';
import type { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import { ipAt, parseIPv4, parseServiceRange } from '../../admission/service-ip/cidr.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import type { Clock } from '../../client/clock.ts';
import { apiServerLeaseNamespace, apiServerLeaseSelector, liveAPIServers } from '../../server/apiserver-lease.ts';

const log = logger('kubernetes-service-controller');

const NAMESPACE = 'default';
const NAME = 'kubernetes';
const KEY = `${NAMESPACE}/${NAME}`;
/** A safety net: the informers normally trigger every repair. */
const resyncMs = 60_000;

const serviceLabels = { component: 'apiserver', provider: 'kubernetes' };

/** The API server addresses Endpoints may hold. */
export function usableAddresses(addresses: readonly string[]): string[] {
  return addresses.filter((a) => parseIPv4(a) !== undefined && validateNonSpecialIP(a, root('ip')).length === 0);
}

export function desiredService(serviceCIDR: string, apiServerPort: number): Obj {
  const ip = ipAt(parseServiceRange(serviceCIDR), 0);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: NAME, namespace: NAMESPACE, labels: serviceLabels },
    spec: {
      type: 'ClusterIP',
      clusterIP: ip,
      clusterIPs: [ip],
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: apiServerPort }],
      sessionAffinity: 'None',
    },
  };
}

/** Upstream puts back the ports and type of the kubernetes Service; nothing else. */
function servicePortsRight(svc: Obj, want: Obj): boolean {
  const ports: Obj[] = svc['spec']?.ports ?? [];
  const p = ports[0];
  const w = want['spec'].ports[0];
  return (
    ports.length === 1 &&
    p?.name === w.name &&
    p?.port === w.port &&
    p?.protocol === w.protocol &&
    p?.targetPort === w.targetPort &&
    svc['spec']?.type === 'ClusterIP'
  );
}

export function desiredSubsets(addresses: string[], port: number): Obj[] {
  if (addresses.length === 0) return [];
  return [{ addresses: addresses.map((ip) => ({ ip })), ports: [{ name: 'https', port, protocol: 'TCP' }] }];
}

export function desiredSlice(addresses: string[], port: number): Obj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: NAME, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': NAME } },
    addressType: 'IPv4',
    endpoints: addresses.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: addresses.length ? [{ name: 'https', port, protocol: 'TCP' }] : [],
  };
}

/** Order-insensitive: stored objects need not keep our key order. */
const same = (a: unknown, b: unknown) => isDeepStrictEqual(a ?? null, b ?? null);

export class KubernetesServiceController implements Controller {
  readonly name = 'kubernetes-service';
  readonly queue: WorkQueue<string>;
  private readonly client: Client;
  private readonly services: Informer;
  private readonly endpoints: Informer;
  private readonly slices: Informer;
  private readonly service: Obj;
  private readonly ownAddresses: string[];
  private readonly port: number;
  private readonly clock: Clock;
  /** HA: the API server identity Leases. */
  private readonly leases?: Informer;
  /** The soonest expiry of a live identity Lease seen by the last sync. */
  private nextExpiry?: number;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.port = ctx.config.apiServerPort;
    this.service = desiredService(ctx.config.serviceCIDR, this.port);
    this.clock = ctx.clock;
    this.ownAddresses = usableAddresses(ctx.config.apiServerAddresses);
    const dropped = ctx.config.apiServerAddresses.filter((a) => !this.ownAddresses.includes(a));
    if (dropped.length) log.warn('API server addresses left out of the kubernetes Endpoints (not usable by pods)', { addresses: dropped.join(',') });
    this.services = ctx.informers.informer(resources.services);
    this.endpoints = ctx.informers.informer(resources.endpoints);
    this.slices = ctx.informers.informer(resources.endpointslices);
    const mine = (o: Obj) => o['metadata']?.namespace === NAMESPACE && o['metadata']?.name === NAME;
    const handler = { add: (o: Obj) => mine(o) && this.queue.add(KEY), update: (_: Obj, o: Obj) => mine(o) && this.queue.add(KEY), delete: (o: Obj) => mine(o) && this.queue.add(KEY) };
    for (const inf of [this.services, this.endpoints, this.slices]) inf.addHandler(handler);
    if (ctx.config.apiServerIdentityLeases) {
      this.leases = ctx.informers.informer(resources.leases, { namespace: apiServerLeaseNamespace, labelSelector: apiServerLeaseSelector });
      const any = () => this.queue.add(KEY);
      this.leases.addHandler({ add: any, update: any, delete: any });
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    this.queue.add(KEY);
    await runWorkers(this.queue, 1, () => this.reconcile(), (_key, err, retry) =>
      log.warn('sync failed', { err: err instanceof Error ? err.message : String(err), retry }),
    );
  }

  async reconcile(): Promise<ReconcileResult> {
    const addresses = this.addresses();
    await this.reconcileService();
    await this.reconcileEndpoints(addresses);
    await this.reconcileSlice(addresses);
    const now = this.clock.now();
    // A Lease expiring writes nothing, so no informer event: look again just after it would.
    const untilExpiry = this.nextExpiry === undefined ? resyncMs : Math.max(0, this.nextExpiry - now) + 100;
    return { requeueAfterMs: Math.min(resyncMs, untilExpiry) };
  }

  /** This server's addresses, plus (HA) those of every live API server, sorted. */
  private addresses(): string[] {
    if (!this.leases) return this.ownAddresses;
    const live = liveAPIServers(this.leases.list(), this.clock.now());
    this.nextExpiry = live.nextExpiry;
    const other = live.servers.filter((s) => {
      // Endpoints name one port for all servers, as upstream's reconciler assumes they share it.
      if (s.port === this.port) return true;
      log.warn('an API server advertises another port than ours; left out of the kubernetes Endpoints', { address: s.address, port: s.port });
      return false;
    });
    const all = new Set([...this.ownAddresses, ...usableAddresses(other.map((s) => s.address))]);
    return [...all].sort((a, b) => (parseIPv4(a) ?? 0) - (parseIPv4(b) ?? 0));
  }

  private async reconcileService(): Promise<void> {
    const cur = this.services.getByName(NAMESPACE, NAME);
    if (!cur) {
      await this.createIgnoringExists(resources.services, this.service);
      return;
    }
    if (cur['spec']?.clusterIP !== this.service['spec'].clusterIP) {
      log.warn('the kubernetes Service has another cluster IP than the first of the service range; leaving it', { clusterIP: cur['spec']?.clusterIP });
    }
    if (servicePortsRight(cur, this.service)) return;
    const next = structuredClone(cur);
    next['spec'].ports = this.service['spec'].ports;
    next['spec'].type = 'ClusterIP';
    await this.client.update(resources.services, NAMESPACE, next);
  }

  private async reconcileEndpoints(addresses: string[]): Promise<void> {
    const subsets = desiredSubsets(addresses, this.port);
    const labels = { 'endpointslice.kubernetes.io/skip-mirror': 'true' };
    const cur = this.endpoints.getByName(NAMESPACE, NAME);
    if (!cur) {
      await this.createIgnoringExists(resources.endpoints, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: NAME, namespace: NAMESPACE, labels }, subsets });
      return;
    }
    if (same(cur['subsets'] ?? [], subsets) && cur['metadata'].labels?.['endpointslice.kubernetes.io/skip-mirror'] === 'true') return;
    const next = structuredClone(cur);
    next['subsets'] = subsets;
    next['metadata'].labels = { ...(next['metadata'].labels ?? {}), ...labels };
    await this.client.update(resources.endpoints, NAMESPACE, next);
  }

  private async reconcileSlice(addresses: string[]): Promise<void> {
    const want = desiredSlice(addresses, this.port);
    const cur = this.slices.getByName(NAMESPACE, NAME);
    if (!cur) {
      await this.createIgnoringExists(resources.endpointslices, want);
      return;
    }
    const right =
      cur['addressType'] === want['addressType'] &&
      same(cur['endpoints'] ?? [], want['endpoints']) &&
      same(cur['ports'] ?? [], want['ports']) &&
      cur['metadata'].labels?.['kubernetes.io/service-name'] === NAME;
    if (right) return;
    const next = structuredClone(cur);
    next['endpoints'] = want['endpoints'];
    next['ports'] = want['ports'];
    next['metadata'].labels = { ...(next['metadata'].labels ?? {}), ...want['metadata'].labels };
    if (cur['addressType'] !== want['addressType']) {
      // addressType is immutable: replace the slice.
      await this.client.delete(resources.endpointslices, NAMESPACE, NAME, { preconditions: { uid: cur['metadata'].uid } });
      await this.createIgnoringExists(resources.endpointslices, want);
      return;
    }
    await this.client.update(resources.endpointslices, NAMESPACE, next);
  }

  /** The informer may not have seen our own create yet; a 409 then just means the next sync compares. */
  private async createIgnoringExists(r: (typeof resources)[keyof typeof resources], obj: Obj): Promise<void> {
    try {
      await this.client.create(r, NAMESPACE, obj);
    } catch (e) {
      if (!isApiError(e, 'AlreadyExists')) throw e;
      this.queue.addAfter(KEY, 100);
    }
  }
}

export const kubernetesServiceControllerFactory = (ctx: ControllerContext): Controller => new KubernetesServiceController(ctx);
