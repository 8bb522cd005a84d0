/**
 * TCP routes of the built-in ingress (pure: no I/O): which node port leads
 * to which Service port, and which ready endpoint a client gets.
 *
 * Two sources, as ingress-nginx's `tcp-services` ConfigMap and a per-Service
 * opt-in:
 * - the ConfigMap `kube-system/bramble-tcp-services`: key = the port every
 *   node listens on ("7000"), value = `<namespace>/<service>:<servicePort>`
 *   (port number or name). ingress-nginx's trailing `:PROXY` fields are
 *   refused (we speak no PROXY protocol; silently dropping them would hand
 *   a backend bytes it does not expect);
 * - the Service annotation `ingress.bramble.io/tcp-ports: "7000,7001:9000"`:
 *   a bare port maps that node port to the Service's first port, `a:b` maps
 *   node port `a` to Service port `b` (number or name).
 *
 * Conflicts are settled the same way on every node, from the objects alone:
 * the ConfigMap wins over annotations (it is the cluster admin's, in
 * kube-system); between annotations the oldest Service wins (then
 * namespace/name), as the first claim on a NodePort does. Ports bramble
 * itself uses on the node (53 DNS, 80/443 ingress, 6443 API, 10250 agent),
 * the NodePort range (nftables DNATs those before a listener sees them) and
 * ports of LoadBalancer Services this node answers for (same reason) are
 * refused. Every refusal is a Problem naming the object to warn on.
 *
 * Endpoint choice is rendezvous (highest-random-weight) hashing of the
 * client IP: a client keeps its endpoint while that endpoint stays ready,
 * and a change to the set moves only the clients of the endpoint that left
 * (or the ~1/n that the new one wins).
 */
import { createHash } from 'node:crypto';
import type { Obj } from '../../client/types.ts';
import type { Endpoint, EndpointIndex } from '../ingress/routes.ts';

export type { Endpoint } from '../ingress/routes.ts';

export const CONFIGMAP_NAMESPACE = 'kube-system';
export const CONFIGMAP_NAME = 'bramble-tcp-services';
export const ANNOTATION = 'ingress.bramble.io/tcp-ports';

/** Ports bramble listens on or steers on every node, by default. */
export const DEFAULT_RESERVED: ReadonlyMap<number, string> = new Map([
  [53, 'cluster DNS'],
  [80, 'ingress HTTP'],
  [443, 'ingress HTTPS'],
  [6443, 'the API server'],
  [10250, 'the agent API'],
]);
export const DEFAULT_NODE_PORT_RANGE: readonly [number, number] = [30000, 32767];

/** What a route was declared by (the object a warning is recorded on). */
export interface Source {
  kind: 'ConfigMap' | 'Service';
  namespace: string;
  name: string;
}

/** A route as declared, before it meets the cluster. */
export interface RouteSpec {
  port: number;
  namespace: string;
  service: string;
  /** Service port by number or name; undefined = the Service's first port. */
  servicePort?: number | string;
  source: Source;
}

/** A route in force: a node port and the ready endpoints behind it now. */
export interface TcpRoute {
  port: number;
  namespace: string;
  service: string;
  servicePort: number | string;
  source: Source;
  endpoints: Endpoint[];
}

export interface Problem {
  source: Source;
  /** Short CamelCase reason for the Event. */
  reason: string;
  message: string;
}

export interface BuildOptions {
  /** Port → what uses it; DEFAULT_RESERVED by default. */
  reserved?: ReadonlyMap<number, string>;
  nodePortRange?: readonly [number, number];
  /** This node's address: ports of LoadBalancer Services whose status lists it are taken. */
  nodeIP?: string;
}

export interface RouteTable {
  routes: Map<number, TcpRoute>;
  problems: Problem[];
}

/** A TCP port 1–65535 written as plain decimal digits, else undefined. */
export function parsePort(s: string): number | undefined {
  const t = s.trim();
  if (!/^\d{1,5}$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** A Service port reference: a number, or an IANA_SVC_NAME-like name. */
function parseServicePort(s: string): number | string | undefined {
  const t = s.trim();
  if (/^\d+$/.test(t)) return parsePort(t);
  return /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(t) ? t : undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Routes of the ConfigMap's `data`, and a Problem per entry that is not one. */
export function parseConfigMap(cm: Obj | undefined): { specs: RouteSpec[]; problems: Problem[] } {
  const specs: RouteSpec[] = [];
  const problems: Problem[] = [];
  if (!cm) return { specs, problems };
  const source: Source = { kind: 'ConfigMap', namespace: cm['metadata']?.namespace ?? CONFIGMAP_NAMESPACE, name: cm['metadata']?.name ?? CONFIGMAP_NAME };
  const bad = (key: string, why: string) => problems.push({ source, reason: 'InvalidTCPRoute', message: `entry "${key}": ${why}` });
  const data: Record<string, unknown> = cm['data'] ?? {};
  for (const key of Object.keys(data).sort()) {
    const port = parsePort(key);
    if (port === undefined) {
      bad(key, 'the key must be a port number 1-65535');
      continue;
    }
    const value = String(data[key] ?? '').trim();
    const m = /^([^/\s]+)\/([^:\s]+):([^:\s]+)(:.*)?$/.exec(value);
    if (!m) {
      bad(key, `value "${value}" is not <namespace>/<service>:<port>`);
      continue;
    }
    const [, ns, svc, sp, rest] = m as unknown as [string, string, string, string, string | undefined];
    if (rest !== undefined) {
      bad(key, `"${value}": PROXY protocol fields are not supported`);
      continue;
    }
    if (!DNS_LABEL.test(ns) || !DNS_LABEL.test(svc)) {
      bad(key, `"${value}": namespace and service must be DNS labels`);
      continue;
    }
    const servicePort = parseServicePort(sp);
    if (servicePort === undefined) {
      bad(key, `"${value}": "${sp}" is neither a port number nor a port name`);
      continue;
    }
    specs.push({ port, namespace: ns, service: svc, servicePort, source });
  }
  return { specs, problems };
}

/** Routes a Service's `ingress.bramble.io/tcp-ports` annotation asks for. */
export function parseAnnotation(svc: Obj): { specs: RouteSpec[]; problems: Problem[] } {
  const specs: RouteSpec[] = [];
  const problems: Problem[] = [];
  const raw = svc['metadata']?.annotations?.[ANNOTATION];
  if (raw === undefined || raw === null) return { specs, problems };
  const namespace: string = svc['metadata'].namespace;
  const name: string = svc['metadata'].name;
  const source: Source = { kind: 'Service', namespace, name };
  const seen = new Set<number>();
  for (const item of String(raw).split(',')) {
    const t = item.trim();
    if (!t) continue;
    const [a, b, ...more] = t.split(':');
    const port = parsePort(a ?? '');
    const servicePort = b === undefined ? undefined : parseServicePort(b);
    if (port === undefined || more.length || (b !== undefined && servicePort === undefined)) {
      problems.push({ source, reason: 'InvalidTCPRoute', message: `${ANNOTATION}: "${t}" is not <port> or <port>:<servicePort>` });
      continue;
    }
    if (seen.has(port)) {
      problems.push({ source, reason: 'InvalidTCPRoute', message: `${ANNOTATION}: port ${port} is listed twice` });
      continue;
    }
    seen.add(port);
    specs.push({ port, namespace, service: name, servicePort, source });
  }
  return { specs, problems };
}

function describe(s: Source): string {
  return s.kind === 'ConfigMap' ? `ConfigMap ${s.namespace}/${s.name}` : `Service ${s.namespace}/${s.name}`;
}

/** Ports that LoadBalancer Services steer at this node's address (the service proxy DNATs them first). */
function loadBalancerPorts(services: Obj[], nodeIP: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  if (!nodeIP) return out;
  for (const s of services) {
    if (s['spec']?.type !== 'LoadBalancer') continue;
    const ips: string[] = (s['status']?.loadBalancer?.ingress ?? []).map((i: Obj) => i?.ip);
    if (!ips.includes(nodeIP)) continue;
    for (const p of s['spec']?.ports ?? []) if ((p.protocol ?? 'TCP') === 'TCP' && typeof p.port === 'number') out.set(p.port, `LoadBalancer Service ${s['metadata'].namespace}/${s['metadata'].name}`);
  }
  return out;
}

function age(s: Obj): string {
  return s['metadata']?.creationTimestamp ?? '';
}

/**
 * The routes in force: declarations in precedence order (ConfigMap by port,
 * then annotated Services oldest first), each taking its port if it is free
 * and its Service and Service port exist. Endpoints come from `eps` and may
 * be empty (the listener stays; connections are refused until one is ready).
 */
export function buildTable(configMap: Obj | undefined, services: Obj[], eps: EndpointIndex, o: BuildOptions = {}): RouteTable {
  const reserved = o.reserved ?? DEFAULT_RESERVED;
  const [lo, hi] = o.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
  const lbPorts = loadBalancerPorts(services, o.nodeIP);
  const byKey = new Map(services.map((s) => [`${s['metadata'].namespace}/${s['metadata'].name}`, s]));
  const fromCm = parseConfigMap(configMap);
  const problems = [...fromCm.problems];
  const specs = [...fromCm.specs];
  const annotated = services
    .filter((s) => s['metadata']?.annotations?.[ANNOTATION] !== undefined)
    .sort((a, b) => age(a).localeCompare(age(b)) || `${a['metadata'].namespace}/${a['metadata'].name}`.localeCompare(`${b['metadata'].namespace}/${b['metadata'].name}`));
  for (const s of annotated) {
    const r = parseAnnotation(s);
    specs.push(...r.specs);
    problems.push(...r.problems);
  }
  const routes = new Map<number, TcpRoute>();
  for (const spec of specs) {
    const target = `${spec.namespace}/${spec.service}`;
    const refuse = (reason: string, why: string) => problems.push({ source: spec.source, reason, message: `port ${spec.port} → ${target}: ${why}` });
    const use = reserved.get(spec.port) ?? lbPorts.get(spec.port);
    if (use) {
      refuse('TCPRoutePortConflict', `port ${spec.port} is used by ${use} on the nodes`);
      continue;
    }
    if (spec.port >= lo && spec.port <= hi) {
      refuse('TCPRoutePortConflict', `port ${spec.port} is in the NodePort range ${lo}-${hi}`);
      continue;
    }
    const holder = routes.get(spec.port);
    if (holder) {
      refuse('TCPRoutePortConflict', `port ${spec.port} is already routed to ${holder.namespace}/${holder.service} by ${describe(holder.source)}`);
      continue;
    }
    const svc = byKey.get(target);
    if (!svc) {
      refuse('TCPRouteServiceNotFound', 'no such Service');
      continue;
    }
    const ports: Obj[] = svc['spec']?.ports ?? [];
    const sp = spec.servicePort === undefined ? ports[0] : ports.find((p) => (typeof spec.servicePort === 'number' ? p.port === spec.servicePort : p.name === spec.servicePort));
    if (!sp) {
      refuse('TCPRouteServiceNotFound', spec.servicePort === undefined ? 'the Service has no ports' : `the Service has no port ${spec.servicePort}`);
      continue;
    }
    if ((sp.protocol ?? 'TCP') !== 'TCP') {
      refuse('InvalidTCPRoute', `Service port ${sp.name ?? sp.port} is ${sp.protocol}, not TCP`);
      continue;
    }
    const servicePort: number = sp.port;
    routes.set(spec.port, { port: spec.port, namespace: spec.namespace, service: spec.service, servicePort, source: spec.source, endpoints: eps.resolve(spec.namespace, spec.service, servicePort) });
  }
  return { routes, problems };
}

export function endpointKey(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** The weight of `endpoint` for `client` (rendezvous hashing): 48 bits of SHA-256. */
function weight(client: string, endpoint: string): number {
  return createHash('sha256').update(client).update('\0').update(endpoint).digest().readUIntBE(0, 6);
}

/**
 * The endpoints in the order a client tries them: highest weight first.
 * The first is its affinity endpoint; the rest are where it goes if that
 * one refuses (the same order every time, on every node).
 */
export function rank(client: string, endpoints: readonly Endpoint[]): Endpoint[] {
  return endpoints
    .map((e) => ({ e, k: endpointKey(e) }))
    .map((x) => ({ ...x, w: weight(client, x.k) }))
    .sort((a, b) => b.w - a.w || a.k.localeCompare(b.k))
    .map((x) => x.e);
}

/** The affinity endpoint of a client, or undefined with no endpoints. */
export function pick(client: string, endpoints: readonly Endpoint[]): Endpoint | undefined {
  return rank(client, endpoints)[0];
}
