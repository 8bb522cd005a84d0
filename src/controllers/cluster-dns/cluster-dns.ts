/**
 * The `cluster-dns` controller: the `kube-system/kube-dns` Service that pods'
 * resolv.conf points at (the tenth address of the service range, 10.43.0.10
 * by default, as k3s), and its EndpointSlice.
 *
 * Every agent runs a DNS server on its own node address (src/agent/dns), so
 * instead of a CoreDNS Deployment the Service has no selector and
 * `internalTrafficPolicy: Local`; its EndpointSlice lists one endpoint per
 * node — the node's InternalIP, port 53 over UDP and TCP, `nodeName` set,
 * ready while the node is Ready — and each node's service proxy sends
 * lookups only to the DNS server of its own node. A board cut off from the
 * others keeps resolving names.
 */
import { isNodeReady, nodeInternalIP } from '../../api/node-status.ts';
import { isDeepStrictEqual } from 'node:util';
import { isApiError } from '../../api/errors.ts';
import { ipAt, parseServiceRange } from '../../admission/service-ip/cidr.ts';
import type { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';

const log = logger('cluster-dns-controller');

export const DNS_NAMESPACE = 'kube-system';
export const DNS_SERVICE = 'kube-dns';
const KEY = `${DNS_NAMESPACE}/${DNS_SERVICE}`;
const resyncMs = 60_000;
const ports = [
  { name: 'dns', port: 53, protocol: 'UDP' },
  { name: 'dns-tcp', port: 53, protocol: 'TCP' },
];

/** The cluster DNS address: the tenth of the service range (10.43.0.10). */
export function clusterDnsIP(serviceCIDR: string): string {
  return ipAt(parseServiceRange(serviceCIDR), 9);
}

export function desiredDnsService(serviceCIDR: string): Obj {
  const ip = clusterDnsIP(serviceCIDR);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: DNS_SERVICE,
      namespace: DNS_NAMESPACE,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS', 'kubernetes.io/cluster-service': 'true' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: ip,
      clusterIPs: [ip],
      ports: ports.map((p) => ({ ...p, targetPort: 53 })),
      internalTrafficPolicy: 'Local',
      sessionAffinity: 'None',
    },
  };
}


/** One endpoint per node with an IPv4 InternalIP, sorted by node name. */
export function desiredDnsEndpoints(nodes: Obj[]): Obj[] {
  return nodes
    .filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(nodeInternalIP(n) ?? ''))
    .sort((a, b) => String(a['metadata'].name).localeCompare(String(b['metadata'].name)))
    .map((n) => {
      const ready = isNodeReady(n);
      return { addresses: [nodeInternalIP(n)!], conditions: { ready, serving: ready, terminating: false }, nodeName: n['metadata'].name };
    });
}

export class ClusterDnsController implements Controller {
  readonly name = 'cluster-dns';
  readonly queue: WorkQueue<string>;
  private readonly client: Client;
  private readonly services: Informer;
  private readonly slices: Informer;
  private readonly nodes: Informer;
  private readonly service: Obj;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.service = desiredDnsService(ctx.config.serviceCIDR);
    this.services = ctx.informers.informer(resources.services);
    this.slices = ctx.informers.informer(resources.endpointslices);
    this.nodes = ctx.informers.informer(resources.nodes);
    const mine = (o: Obj) => o['metadata']?.namespace === DNS_NAMESPACE && (o['metadata']?.name === DNS_SERVICE || o['metadata']?.labels?.['kubernetes.io/service-name'] === DNS_SERVICE);
    const handler = { add: (o: Obj) => mine(o) && this.queue.add(KEY), update: (_: Obj, o: Obj) => mine(o) && this.queue.add(KEY), delete: (o: Obj) => mine(o) && this.queue.add(KEY) };
    this.services.addHandler(handler);
    this.slices.addHandler(handler);
    // Only what the slice shows matters: address and readiness (heartbeats change neither).
    const nodeKey = (n: Obj) => `${nodeInternalIP(n) ?? ''}/${isNodeReady(n)}`;
    this.nodes.addHandler({
      add: () => this.queue.add(KEY),
      update: (o, n) => nodeKey(o) !== nodeKey(n) && this.queue.add(KEY),
      delete: () => this.queue.add(KEY),
    });
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
    await this.reconcileService();
    await this.reconcileSlice();
    return { requeueAfterMs: resyncMs };
  }

  private async reconcileService(): Promise<void> {
    const cur = this.services.getByName(DNS_NAMESPACE, DNS_SERVICE);
    if (!cur) {
      try {
        await this.client.create(resources.services, DNS_NAMESPACE, this.service);
      } catch (e) {
        if (isApiError(e, 'AlreadyExists')) return;
        // Someone holds 10.43.0.10: say so; pods' resolv.conf points there regardless.
        log.error('cannot create the kube-dns Service', { clusterIP: this.service['spec'].clusterIP, err: (e as Error).message });
        throw e;
      }
    }
  }

  private async reconcileSlice(): Promise<void> {
    const endpoints = desiredDnsEndpoints(this.nodes.list());
    const want: Obj = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: DNS_SERVICE,
        namespace: DNS_NAMESPACE,
        labels: { 'kubernetes.io/service-name': DNS_SERVICE, 'endpointslice.kubernetes.io/managed-by': 'cluster-dns.bramble.io' },
      },
      addressType: 'IPv4',
      endpoints,
      ports: endpoints.length ? ports : [],
    };
    const cur = this.slices.getByName(DNS_NAMESPACE, DNS_SERVICE);
    if (!cur) {
      try {
        await this.client.create(resources.endpointslices, DNS_NAMESPACE, want);
      } catch (e) {
        if (!isApiError(e, 'AlreadyExists')) throw e;
        this.queue.addAfter(KEY, 100);
      }
      return;
    }
    if (isDeepStrictEqual(cur['endpoints'] ?? [], want['endpoints']) && isDeepStrictEqual(cur['ports'] ?? [], want['ports'])) return;
    await this.client.update(resources.endpointslices, DNS_NAMESPACE, { ...cur, endpoints: want['endpoints'], ports: want['ports'] });
  }
}

export const clusterDnsControllerFactory = (ctx: ControllerContext): Controller => new ClusterDnsController(ctx);
