/**
 * The routing table of the built-in ingress controller, built from
 * networking.k8s.io/v1 Ingresses, Services and EndpointSlices (pure: no I/O).
 *
 * - Which Ingresses: `spec.ingressClassName: bramble`, the legacy annotation
 *   `kubernetes.io/ingress.class: bramble`, or no class at all (bramble is the
 *   cluster's default IngressClass).
 * - Hosts: exact (case-insensitive), `*.example.com` matches exactly one
 *   more label (`a.example.com`, not `example.com` nor `a.b.example.com`);
 *   exact hosts win over wildcards, which win over rules without a host.
 * - Paths: Exact, Prefix (by `/`-separated elements: `/foo` matches `/foo`
 *   and `/foo/bar`, not `/foobar`), ImplementationSpecific treated as Prefix.
 *   The longest path wins; at equal length Exact beats Prefix.
 * - No matching rule: the Ingress's `defaultBackend` (the first one, by
 *   namespace/name), else none (the proxy answers 404).
 * - Canary (ingress-nginx): an Ingress annotated
 *   `nginx.ingress.kubernetes.io/canary: "true"` with `canary-weight: N`
 *   (0–100, or of `canary-weight-total`) takes N% of requests for the
 *   host+path of a main Ingress; a canary without a main one is ignored.
 * - Backends: a Service port by number or name, resolved to ready endpoint
 *   pod IPs and target ports from the EndpointSlices (straight to pods).
 */
import type { Obj } from '../../client/types.ts';

export const CLASS_NAME = 'bramble';
const CANARY = 'nginx.ingress.kubernetes.io/canary';
const CANARY_WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
const CANARY_TOTAL = 'nginx.ingress.kubernetes.io/canary-weight-total';

export type PathType = 'Exact' | 'Prefix';

export interface Endpoint {
  ip: string;
  port: number;
}

/** One backend: a Service port in a namespace, and where it leads now. */
export interface Backend {
  namespace: string;
  service: string;
  /** The Service port as the Ingress named it (number or name). */
  port: number | string;
  endpoints: Endpoint[];
  /** Which Ingress sent us here (namespace/name). */
  ingress: string;
}

export interface Route {
  path: string;
  pathType: PathType;
  backend: Backend;
  /** A canary backend and its share of requests (0..1). */
  canary?: { backend: Backend; weight: number };
}

export interface HostRoutes {
  routes: Route[];
}

export interface Match {
  backend: Backend;
  route?: Route;
}

export function isOurs(ing: Obj): boolean {
  const cls = ing['spec']?.ingressClassName ?? ing['metadata']?.annotations?.['kubernetes.io/ingress.class'];
  return cls === undefined || cls === null || cls === '' || cls === CLASS_NAME;
}

function isCanary(ing: Obj): boolean {
  return ing['metadata']?.annotations?.[CANARY] === 'true';
}

function canaryWeight(ing: Obj): number {
  const a = ing['metadata']?.annotations ?? {};
  const total = Number(a[CANARY_TOTAL] ?? 100) || 100;
  const w = Number(a[CANARY_WEIGHT] ?? 0);
  if (!Number.isFinite(w) || w <= 0) return 0;
  return Math.min(w / total, 1);
}

/** Lower-cased host without a trailing dot or port. */
export function normalizeHost(h: string | undefined): string {
  if (!h) return '';
  let host = h.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && host.indexOf(':') === colon) host = host.slice(0, colon);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** Does `path` match a Prefix route `prefix` by path elements? */
export function prefixMatches(prefix: string, path: string): boolean {
  const p = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (p === '/' || p === '') return true;
  // As path.startsWith(p + '/') without building that string per request.
  return path === p || (path.length > p.length && path.charCodeAt(p.length) === 47 && path.startsWith(p));
}

function pathMatches(r: Route, path: string): boolean {
  return r.pathType === 'Exact' ? path === r.path : prefixMatches(r.path, path);
}

/** Length used for longest-match ordering (a trailing slash of a prefix does not count). */
function matchLength(r: Route): number {
  return r.pathType === 'Prefix' && r.path.length > 1 && r.path.endsWith('/') ? r.path.length - 1 : r.path.length;
}

/** Looks up ready endpoints of a Service port. */
export class EndpointIndex {
  private readonly services = new Map<string, Obj>();
  /** namespace/service → slices by name */
  private readonly slices = new Map<string, Map<string, Obj>>();

  setService(s: Obj): void {
    this.services.set(`${s['metadata'].namespace}/${s['metadata'].name}`, s);
  }
  deleteService(s: Obj): void {
    this.services.delete(`${s['metadata'].namespace}/${s['metadata'].name}`);
  }
  setSlice(s: Obj): void {
    const svc = s['metadata']?.labels?.['kubernetes.io/service-name'];
    if (!svc) return;
    const key = `${s['metadata'].namespace}/${svc}`;
    let m = this.slices.get(key);
    if (!m) this.slices.set(key, (m = new Map()));
    m.set(s['metadata'].name, s);
  }
  deleteSlice(s: Obj): void {
    const svc = s['metadata']?.labels?.['kubernetes.io/service-name'];
    const m = svc ? this.slices.get(`${s['metadata'].namespace}/${svc}`) : undefined;
    m?.delete(s['metadata'].name);
  }

  /** Ready pod endpoints for Service port `port` (number or name), deduplicated. */
  resolve(namespace: string, service: string, port: number | string): Endpoint[] {
    const svc = this.services.get(`${namespace}/${service}`);
    if (!svc) return [];
    const sp = (svc['spec']?.ports ?? []).find((p: Obj) => (typeof port === 'number' ? p.port === port : p.name === port));
    if (!sp) return [];
    const portName = sp.name ?? '';
    const out: Endpoint[] = [];
    const seen = new Set<string>();
    for (const slice of this.slices.get(`${namespace}/${service}`)?.values() ?? []) {
      if (slice['addressType'] && slice['addressType'] !== 'IPv4' && slice['addressType'] !== 'IPv6') continue;
      const ep = (slice['ports'] ?? []).find((p: Obj) => (p.name ?? '') === portName);
      if (!ep?.port) continue;
      for (const e of slice['endpoints'] ?? []) {
        if (e.conditions?.ready === false) continue;
        for (const ip of e.addresses ?? []) {
          const k = `${ip}:${ep.port}`;
          if (seen.has(k)) continue;
          seen.add(k);
          out.push({ ip, port: ep.port });
        }
      }
    }
    return out;
  }
}

function backendOf(ns: string, ingress: string, b: Obj | undefined, eps: EndpointIndex): Backend | undefined {
  const svc = b?.service;
  if (!svc?.name) return undefined;
  const port: number | string | undefined = svc.port?.number ?? svc.port?.name;
  if (port === undefined) return undefined;
  return { namespace: ns, service: svc.name, port, endpoints: eps.resolve(ns, svc.name, port), ingress };
}

export class RoutingTable {
  /** exact host → routes; '*.suffix' → routes; '' → rules without a host */
  readonly hosts = new Map<string, HostRoutes>();
  defaultBackend?: Backend;
  /** TLS: host pattern → namespace/secret */
  readonly tls = new Map<string, string>();

  static build(ingresses: Obj[], eps: EndpointIndex): RoutingTable {
    const t = new RoutingTable();
    const sorted = ingresses.filter(isOurs).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const mains = sorted.filter((i) => !isCanary(i));
    const canaries = sorted.filter(isCanary);
    for (const ing of mains) {
      const ns = ing['metadata'].namespace;
      const key = keyOf(ing);
      const def = backendOf(ns, key, ing['spec']?.defaultBackend, eps);
      if (def && !t.defaultBackend) t.defaultBackend = def;
      for (const tls of ing['spec']?.tls ?? []) {
        if (!tls.secretName) continue;
        for (const h of tls.hosts ?? []) {
          const host = normalizeHost(h);
          if (!t.tls.has(host)) t.tls.set(host, `${ns}/${tls.secretName}`);
        }
      }
      for (const rule of ing['spec']?.rules ?? []) {
        const host = normalizeHost(rule.host);
        let hr = t.hosts.get(host);
        if (!hr) t.hosts.set(host, (hr = { routes: [] }));
        for (const p of rule.http?.paths ?? []) {
          const backend = backendOf(ns, key, p.backend, eps);
          if (!backend) continue;
          const pathType: PathType = p.pathType === 'Exact' ? 'Exact' : 'Prefix';
          const path = p.path || '/';
          // The first Ingress (by namespace/name) to claim host+path+type keeps it.
          if (hr.routes.some((r) => r.path === path && r.pathType === pathType)) continue;
          hr.routes.push({ path, pathType, backend });
        }
      }
    }
    for (const ing of canaries) {
      const weight = canaryWeight(ing);
      const ns = ing['metadata'].namespace;
      for (const rule of ing['spec']?.rules ?? []) {
        const hr = t.hosts.get(normalizeHost(rule.host));
        for (const p of rule.http?.paths ?? []) {
          const pathType: PathType = p.pathType === 'Exact' ? 'Exact' : 'Prefix';
          const route = hr?.routes.find((r) => r.path === (p.path || '/') && r.pathType === pathType && !r.canary);
          const backend = backendOf(ns, keyOf(ing), p.backend, eps);
          if (route && backend && route.backend.namespace === ns) route.canary = { backend, weight };
        }
      }
    }
    for (const hr of t.hosts.values()) {
      hr.routes.sort((a, b) => matchLength(b) - matchLength(a) || (a.pathType === 'Exact' ? -1 : 0) - (b.pathType === 'Exact' ? -1 : 0));
    }
    return t;
  }

  /**
   * The route for a request; `random` (0..1) picks canary or main. Hosts are
   * tried in order — exact, then a `*.` wildcard one label up, then
   * host-less rules — each only if the one before had no matching path, so
   * the usual exact hit builds no wildcard key and no candidate list (this
   * runs once per proxied request).
   */
  match(hostHeader: string | undefined, path: string, random: () => number = Math.random): Match | undefined {
    const host = normalizeHost(hostHeader);
    let m = host ? this.matchIn(this.hosts.get(host), path, random) : undefined;
    if (m) return m;
    const dot = host.indexOf('.');
    if (dot > 0 && (m = this.matchIn(this.hosts.get(`*${host.slice(dot)}`), path, random))) return m;
    if ((m = this.matchIn(this.hosts.get(''), path, random))) return m;
    return this.defaultBackend ? { backend: this.defaultBackend } : undefined;
  }

  /** The first (longest) of a host's routes that matches `path`. */
  private matchIn(hr: HostRoutes | undefined, path: string, random: () => number): Match | undefined {
    if (!hr) return undefined;
    for (const route of hr.routes) {
      if (!pathMatches(route, path)) continue;
      if (route.canary && route.canary.weight > 0 && random() < route.canary.weight) return { backend: route.canary.backend, route };
      return { backend: route.backend, route };
    }
    return undefined;
  }

  /** namespace/secret of the TLS certificate for a server name (exact, then wildcard). */
  tlsSecretFor(serverName: string): string | undefined {
    const host = normalizeHost(serverName);
    const exact = this.tls.get(host);
    if (exact) return exact;
    const dot = host.indexOf('.');
    return dot > 0 ? this.tls.get(`*${host.slice(dot)}`) : undefined;
  }
}

function keyOf(o: Obj): string {
  return `${o['metadata']?.namespace}/${o['metadata']?.name}`;
}
