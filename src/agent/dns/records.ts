/**
 * What cluster DNS knows, kept as indexes fed by Service and EndpointSlice
 * informer events, so a lookup is a map get: services by `<name>.<ns>`,
 * each service's endpoints (folded from its slices, ready ones only, as the
 * DNS specification asks), and reverse names by IP.
 *
 * Names here are lower case, without the cluster domain.
 */
import type { Obj } from '../../client/types.ts';

export interface ServicePort {
  /** Lower-cased port name ("" when unnamed). */
  name: string;
  /** Lower-cased protocol: tcp, udp, sctp. */
  protocol: string;
  port: number;
}

export interface ServiceEntry {
  name: string;
  namespace: string;
  headless: boolean;
  clusterIPs: string[];
  externalName?: string;
  ports: ServicePort[];
}

export interface EndpointEntry {
  ip: string;
  /** The endpoint's DNS label: its hostname, or the dashed IP (CoreDNS's choice) when it has none. */
  label: string;
  /** Ports by the slice's port names, lower-cased. */
  ports: ServicePort[];
}

interface SliceEntry {
  serviceKey: string;
  endpoints: EndpointEntry[];
}

const serviceNameLabel = 'kubernetes.io/service-name';

/** `10.1.2.3` → `10-1-2-3`; `fd00::1` → `fd00--1` (the form pod and endpoint names use). */
export const dashed = (ip: string): string => ip.replace(/[.:]/g, '-');

export class ClusterRecords {
  private readonly services = new Map<string, ServiceEntry>();
  private readonly namespaces = new Map<string, number>();
  private readonly slices = new Map<string, SliceEntry>();
  private readonly slicesByService = new Map<string, Set<string>>();
  /** Each service's ready endpoints, recomputed when it or one of its slices changes. */
  private readonly endpointsByService = new Map<string, EndpointEntry[]>();
  /** Reverse names by IP; each IP maps owner key → name so removals are exact. */
  private readonly reverse = new Map<string, Map<string, string>>();
  private readonly ptrOwned = new Map<string, string[]>();

  service(name: string, namespace: string): ServiceEntry | undefined {
    return this.services.get(`${name}.${namespace}`);
  }

  /** Whether any Service lives in `namespace` (so `<ns>.svc.<domain>` exists, as an empty non-terminal). */
  hasNamespace(namespace: string): boolean {
    return (this.namespaces.get(namespace) ?? 0) > 0;
  }

  endpoints(name: string, namespace: string): EndpointEntry[] {
    return this.endpointsByService.get(`${name}.${namespace}`) ?? [];
  }

  /** The cluster names (without the domain) an IP points back to. */
  ptr(ip: string): string[] {
    const m = this.reverse.get(ip);
    return m ? [...new Set(m.values())] : [];
  }

  // ---- informer events ----

  upsertService(o: Obj): void {
    const ns = String(o['metadata']?.namespace ?? '');
    const name = String(o['metadata']?.name ?? '');
    const key = `${name}.${ns}`;
    const spec = o['spec'] ?? {};
    const headless = spec.clusterIP === 'None';
    const entry: ServiceEntry = {
      name,
      namespace: ns,
      headless,
      clusterIPs: headless ? [] : ((spec.clusterIPs as string[] | undefined) ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip && ip !== 'None'),
      ports: ((spec.ports ?? []) as Obj[]).map((p) => ({ name: String(p['name'] ?? '').toLowerCase(), protocol: String(p['protocol'] ?? 'TCP').toLowerCase(), port: Number(p['port']) })),
    };
    if (spec.type === 'ExternalName' && spec.externalName) entry.externalName = String(spec.externalName);
    if (!this.services.has(key)) this.namespaces.set(ns, (this.namespaces.get(ns) ?? 0) + 1);
    this.services.set(key, entry);
    this.refresh(key);
  }

  deleteService(o: Obj): void {
    const ns = String(o['metadata']?.namespace ?? '');
    const key = `${o['metadata']?.name}.${ns}`;
    if (!this.services.delete(key)) return;
    const n = (this.namespaces.get(ns) ?? 1) - 1;
    if (n > 0) this.namespaces.set(ns, n);
    else this.namespaces.delete(ns);
    this.refresh(key);
  }

  upsertSlice(o: Obj): void {
    const ns = String(o['metadata']?.namespace ?? '');
    const sliceKey = `${ns}/${o['metadata']?.name}`;
    const svc = o['metadata']?.labels?.[serviceNameLabel];
    const old = this.slices.get(sliceKey);
    if (!svc) {
      if (old) this.deleteSlice(o);
      return;
    }
    const serviceKey = `${svc}.${ns}`;
    const ports = ((o['ports'] ?? []) as Obj[]).map((p) => ({ name: String(p['name'] ?? '').toLowerCase(), protocol: String(p['protocol'] ?? 'TCP').toLowerCase(), port: Number(p['port']) }));
    const endpoints: EndpointEntry[] = [];
    for (const ep of (o['endpoints'] ?? []) as Obj[]) {
      // The EndpointSlice API: an unset ready condition means ready.
      if (ep['conditions']?.ready === false) continue;
      for (const ip of (ep['addresses'] ?? []) as string[]) {
        endpoints.push({ ip, label: ep['hostname'] ? String(ep['hostname']).toLowerCase() : dashed(ip), ports });
      }
    }
    this.slices.set(sliceKey, { serviceKey, endpoints });
    if (old && old.serviceKey !== serviceKey) {
      this.slicesByService.get(old.serviceKey)?.delete(sliceKey);
      this.refresh(old.serviceKey);
    }
    let set = this.slicesByService.get(serviceKey);
    if (!set) this.slicesByService.set(serviceKey, (set = new Set()));
    set.add(sliceKey);
    this.refresh(serviceKey);
  }

  deleteSlice(o: Obj): void {
    const sliceKey = `${o['metadata']?.namespace ?? ''}/${o['metadata']?.name}`;
    const old = this.slices.get(sliceKey);
    if (!old) return;
    this.slices.delete(sliceKey);
    const set = this.slicesByService.get(old.serviceKey);
    set?.delete(sliceKey);
    if (set && !set.size) this.slicesByService.delete(old.serviceKey);
    this.refresh(old.serviceKey);
  }

  /** Recomputes one service's endpoints and reverse names. */
  private refresh(serviceKey: string): void {
    const svc = this.services.get(serviceKey);
    const eps: EndpointEntry[] = [];
    for (const sk of this.slicesByService.get(serviceKey) ?? []) eps.push(...this.slices.get(sk)!.endpoints);
    if (eps.length) this.endpointsByService.set(serviceKey, eps);
    else this.endpointsByService.delete(serviceKey);

    for (const ip of this.ptrOwned.get(serviceKey) ?? []) {
      const m = this.reverse.get(ip);
      m?.delete(serviceKey);
      if (m && !m.size) this.reverse.delete(ip);
    }
    const owned: string[] = [];
    const add = (ip: string, name: string): void => {
      let m = this.reverse.get(ip);
      if (!m) this.reverse.set(ip, (m = new Map()));
      // Several endpoints of one headless service never share an IP; the first name wins if they do.
      if (!m.has(serviceKey)) m.set(serviceKey, name);
      owned.push(ip);
    };
    if (svc) {
      const base = `${svc.name}.${svc.namespace}.svc`;
      for (const ip of svc.clusterIPs) add(ip, base);
      // Only headless services publish per-endpoint names, so only their endpoints get PTRs here.
      if (svc.headless) for (const e of eps) add(e.ip, `${e.label}.${base}`);
    }
    if (owned.length) this.ptrOwned.set(serviceKey, owned);
    else this.ptrOwned.delete(serviceKey);
  }
}
