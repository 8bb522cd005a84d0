/**
 * What the proxy programs, computed from Services and EndpointSlices with
 * no kernel in sight: one entry per Service port, with the endpoints each
 * traffic policy may use. The choices follow kube-proxy 1.32
 * (pkg/proxy/topology.go CategorizeEndpoints):
 *
 * - an endpoint is used when `ready` (an absent condition counts as ready);
 *   only when no endpoint of that set is ready do `serving` + `terminating`
 *   ones take over (so connections drain during a rollout's last pod);
 * - "cluster" endpoints are all such endpoints, "local" ones those whose
 *   `nodeName` is this node (for `internalTrafficPolicy`/
 *   `externalTrafficPolicy: Local`);
 * - Services without a ClusterIP (headless, ExternalName) and those claimed
 *   by another proxy (label `service.kubernetes.io/service-proxy-name`) are
 *   left alone. IPv4 only.
 */
import type { Obj } from '../../client/types.ts';

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface Endpoint {
  ip: string;
  port: number;
}

export interface ServicePort {
  /** `namespace/name/protocol/port`: stable, unique, and used in chain names. */
  id: string;
  namespace: string;
  name: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  /** 0 when the Service has no NodePort. */
  nodePort: number;
  /** spec.externalIPs and status.loadBalancer.ingress IPs: treated as external traffic. */
  externalIPs: string[];
  /** sessionAffinity ClientIP: seconds a client sticks to its endpoint; 0 when off. */
  affinitySeconds: number;
  internalLocal: boolean;
  externalLocal: boolean;
  cluster: Endpoint[];
  local: Endpoint[];
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';
const DEFAULT_AFFINITY_SECONDS = 10800;

interface SliceEndpoint {
  ip: string;
  port: number;
  local: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/** The Service ports to program, sorted by id (so equal inputs render equal rules). */
export function buildServicePorts(services: Obj[], slices: Obj[], nodeName: string): ServicePort[] {
  const slicesBySvc = new Map<string, Obj[]>();
  for (const s of slices) {
    const svc = s['metadata']?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s['addressType'] !== 'IPv4') continue;
    const k = `${s['metadata'].namespace}/${svc}`;
    const list = slicesBySvc.get(k) ?? [];
    list.push(s);
    slicesBySvc.set(k, list);
  }

  const out: ServicePort[] = [];
  for (const svc of services) {
    const meta = svc['metadata'] ?? {};
    const spec = svc['spec'] ?? {};
    if (meta.labels?.[PROXY_NAME_LABEL] !== undefined) continue;
    if (spec.type === 'ExternalName') continue;
    const clusterIP: string = spec.clusterIP ?? '';
    if (!isIPv4(clusterIP)) continue; // headless ("None"), unset or IPv6
    const externallyAccessible = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    const externalIPs = [
      ...((spec.externalIPs as string[] | undefined) ?? []),
      ...(((svc['status']?.loadBalancer?.ingress as { ip?: string }[] | undefined) ?? []).map((i) => i.ip ?? '')),
    ].filter(isIPv4);
    const affinitySeconds = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : 0;
    const svcSlices = slicesBySvc.get(`${meta.namespace}/${meta.name}`) ?? [];

    for (const p of (spec.ports as Obj[] | undefined) ?? []) {
      const protocol = String(p['protocol'] ?? 'TCP').toLowerCase() as Protocol;
      if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') continue;
      const eps = sliceEndpoints(svcSlices, p['name'] ?? '', protocol, nodeName);
      out.push({
        id: `${meta.namespace}/${meta.name}/${protocol}/${p['port']}`,
        namespace: meta.namespace,
        name: meta.name,
        protocol,
        clusterIP,
        port: p['port'],
        nodePort: externallyAccessible ? (p['nodePort'] ?? 0) : 0,
        externalIPs,
        affinitySeconds,
        internalLocal: spec.internalTrafficPolicy === 'Local',
        externalLocal: (externallyAccessible || externalIPs.length > 0) && spec.externalTrafficPolicy === 'Local',
        cluster: usable(eps),
        local: usable(eps.filter((e) => e.local)),
      });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The endpoints of one Service port across its slices, one per ip:port. */
function sliceEndpoints(slices: Obj[], portName: string, protocol: Protocol, nodeName: string): SliceEndpoint[] {
  const seen = new Map<string, SliceEndpoint>();
  for (const s of slices) {
    // Slice ports match Service ports by name (both "" for a single unnamed port).
    const sp = ((s['ports'] as Obj[] | undefined) ?? []).find((x) => (x['name'] ?? '') === portName && String(x['protocol'] ?? 'TCP').toLowerCase() === protocol);
    if (!sp || typeof sp['port'] !== 'number') continue;
    for (const e of (s['endpoints'] as Obj[] | undefined) ?? []) {
      const ip = e['addresses']?.[0];
      if (!isIPv4(ip)) continue;
      const c = e['conditions'] ?? {};
      const ready = c.ready !== false; // absent means unknown: consumers treat it as ready
      const ep: SliceEndpoint = {
        ip,
        port: sp['port'],
        local: e['nodeName'] === nodeName,
        ready,
        serving: c.serving ?? ready,
        terminating: c.terminating === true,
      };
      const k = `${ip}:${ep.port}`;
      if (!seen.has(k)) seen.set(k, ep);
    }
  }
  return [...seen.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : ipNum(a.ip) - ipNum(b.ip)));
}

/** Ready endpoints; failing that, the serving ones that are terminating. */
function usable(eps: SliceEndpoint[]): Endpoint[] {
  let use = eps.filter((e) => e.ready && !e.terminating);
  if (use.length === 0) use = eps.filter((e) => e.serving && e.terminating);
  return use.map((e) => ({ ip: e.ip, port: e.port }));
}

export function isIPv4(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function ipNum(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}
