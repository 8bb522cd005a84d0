/**
 * Answers for the cluster zone, following the Kubernetes DNS-Based Service
 * Discovery specification and CoreDNS's kubernetes plugin where the
 * specification leaves a choice (k3s runs it with `pods insecure` and
 * `fallthrough in-addr.arpa ip6.arpa`):
 *
 *   <svc>.<ns>.svc.<domain>                 A/AAAA: ClusterIP(s); headless: ready endpoint IPs
 *                                           (none: NXDOMAIN); ExternalName: CNAME; SRV: every port
 *   <host>.<svc>.<ns>.svc.<domain>          A/AAAA of a headless service's endpoint (hostname or dashed IP)
 *   _<port>._<proto>.<svc>.<ns>.svc.<domain> SRV for a named port
 *   <a-b-c-d>.<ns>.pod.<domain>             A (AAAA for dashed v6) of that address, unchecked
 *   <reversed ip>.in-addr.arpa / ip6.arpa   PTR of ClusterIPs and headless endpoint IPs; other
 *                                           addresses fall through to the upstream resolvers
 *
 * A name that does not exist is NXDOMAIN, one that exists without the asked
 * type is NODATA; both carry the zone's SOA in authority (negative caching,
 * RFC 2308). Every record has TTL 5, CoreDNS's default.
 */
import net from 'node:net';
import { dashed, type ClusterRecords, type ServiceEntry } from './records.ts';
import { Class, Rcode, Type, ipv6FromBytes, ipv6ToBytes, type ResourceRecord } from './wire.ts';

export const TTL = 5;

export interface ZoneAnswer {
  rcode: number;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

export class ClusterZone {
  /** Lower case, no trailing dot: `cluster.local`. */
  readonly domain: string;
  private readonly records: ClusterRecords;
  private readonly serial: number;

  constructor(records: ClusterRecords, domain: string) {
    this.records = records;
    this.domain = domain.toLowerCase().replace(/\.$/, '');
    this.serial = Math.floor(Date.now() / 1000) >>> 0;
  }

  /** The answer for a question, or undefined when the name is not ours (forward it). */
  answer(qname: string, qtype: number): ZoneAnswer | undefined {
    const name = qname.toLowerCase().replace(/\.$/, '');
    if (name === this.domain) return this.apex(qname, qtype);
    if (name.endsWith('.' + this.domain)) {
      const labels = name.slice(0, -this.domain.length - 1).split('.');
      const zone = labels[labels.length - 1];
      if (zone === 'svc') return this.svc(qname, qtype, labels.slice(0, -1));
      if (zone === 'pod') return this.pod(qname, qtype, labels.slice(0, -1));
      return this.nx();
    }
    if (name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa')) return this.reverse(qname, qtype, name);
    return undefined;
  }

  // ---- pieces ----

  private fqdn(rel: string): string {
    return `${rel}.${this.domain}.`;
  }

  private soa(): ResourceRecord {
    return {
      name: this.domain + '.',
      type: Type.SOA,
      class: Class.IN,
      ttl: TTL,
      data: { mname: `ns.dns.${this.domain}.`, rname: `hostmaster.${this.domain}.`, serial: this.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: TTL },
    };
  }

  private nx(): ZoneAnswer {
    return { rcode: Rcode.NXDOMAIN, answers: [], authority: [this.soa()], additional: [] };
  }

  private nodata(): ZoneAnswer {
    return { rcode: Rcode.NOERROR, answers: [], authority: [this.soa()], additional: [] };
  }

  private ok(answers: ResourceRecord[], additional: ResourceRecord[] = []): ZoneAnswer {
    return answers.length ? { rcode: Rcode.NOERROR, answers, authority: [], additional } : this.nodata();
  }

  private rr(name: string, type: number, data: ResourceRecord['data']): ResourceRecord {
    return { name, type, class: Class.IN, ttl: TTL, data };
  }

  /** A and AAAA records for `ips` that match the asked type (ANY takes both). */
  private addresses(owner: string, qtype: number, ips: string[]): ResourceRecord[] {
    const out: ResourceRecord[] = [];
    for (const ip of ips) {
      if (net.isIPv4(ip) && (qtype === Type.A || qtype === Type.ANY)) out.push(this.rr(owner, Type.A, ip));
      else if (net.isIPv6(ip) && (qtype === Type.AAAA || qtype === Type.ANY)) out.push(this.rr(owner, Type.AAAA, ip));
    }
    return out;
  }

  private apex(qname: string, qtype: number): ZoneAnswer {
    if (qtype === Type.SOA) return { rcode: Rcode.NOERROR, answers: [{ ...this.soa(), name: qname }], authority: [], additional: [] };
    if (qtype === Type.NS) return this.ok([this.rr(qname, Type.NS, `ns.dns.${this.domain}.`)]);
    return this.nodata();
  }

  /** `labels` are what comes before `svc.<domain>`, e.g. [name, ns]. */
  private svc(qname: string, qtype: number, labels: string[]): ZoneAnswer {
    const n = labels.length;
    if (n === 0) return this.nodata(); // svc.<domain> itself: an empty non-terminal
    const ns = labels[n - 1]!;
    if (n === 1) return this.records.hasNamespace(ns) ? this.nodata() : this.nx();
    const svc = this.records.service(labels[n - 2]!, ns);
    if (!svc) return this.nx();
    if (n === 2) return this.service(qname, qtype, svc);
    if (n === 3) return this.endpoint(qname, qtype, svc, labels[0]!);
    if (n === 4 && labels[0]!.startsWith('_') && labels[1]!.startsWith('_')) return this.srv(qname, qtype, svc, labels[0]!.slice(1), labels[1]!.slice(1));
    return this.nx();
  }

  private service(qname: string, qtype: number, svc: ServiceEntry): ZoneAnswer {
    if (svc.externalName) {
      // CNAME answers every type; resolving the target is the client's business.
      return this.ok([this.rr(qname, Type.CNAME, svc.externalName.replace(/\.?$/, '.'))]);
    }
    if (qtype === Type.SRV) return this.srv(qname, qtype, svc, '', '');
    if (!svc.headless) return this.ok(this.addresses(qname, qtype, svc.clusterIPs));
    // A headless service with no ready endpoint has no records at all: NXDOMAIN, as CoreDNS answers.
    const ips = this.records.endpoints(svc.name, svc.namespace).map((e) => e.ip);
    return ips.length ? this.ok(this.addresses(qname, qtype, ips)) : this.nx();
  }

  private endpoint(qname: string, qtype: number, svc: ServiceEntry, label: string): ZoneAnswer {
    if (!svc.headless) return this.nx();
    const ips = this.records
      .endpoints(svc.name, svc.namespace)
      .filter((e) => e.label === label)
      .map((e) => e.ip);
    if (!ips.length) return this.nx();
    return this.ok(this.addresses(qname, qtype, ips));
  }

  /**
   * SRV records for the service's ports matching `port`/`proto`. "" matches any: a plain SRV
   * query on the service name gets every port (CoreDNS), unnamed ones too. ClusterIP: one
   * record per port at the service name; headless: one per ready endpoint and port at the
   * endpoint's name, with the endpoint's port. Nothing matching is NXDOMAIN (CoreDNS).
   */
  private srv(qname: string, qtype: number, svc: ServiceEntry, port: string, proto: string): ZoneAnswer {
    const match = (p: { name: string; protocol: string }): boolean => (!port || p.name === port) && (!proto || p.protocol === proto);
    const base = `${svc.name}.${svc.namespace}.svc`;
    const answers: ResourceRecord[] = [];
    const additional: ResourceRecord[] = [];
    if (svc.headless) {
      const eps = this.records.endpoints(svc.name, svc.namespace);
      const targets = new Set<string>();
      for (const e of eps) {
        for (const p of e.ports) {
          if (!match(p)) continue;
          const target = this.fqdn(`${e.label}.${base}`);
          answers.push(this.rr(qname, Type.SRV, { priority: 0, weight: 100, port: p.port, target }));
          if (!targets.has(target + e.ip)) {
            targets.add(target + e.ip);
            additional.push(...this.addresses(target, Type.ANY, [e.ip]));
          }
        }
      }
    } else {
      const ports = svc.ports.filter(match);
      const target = this.fqdn(base);
      for (const p of ports) answers.push(this.rr(qname, Type.SRV, { priority: 0, weight: 100, port: p.port, target }));
      if (answers.length) additional.push(...this.addresses(target, Type.ANY, svc.clusterIPs));
    }
    if (!answers.length) return this.nx();
    if (qtype !== Type.SRV && qtype !== Type.ANY) return this.nodata();
    return this.ok(answers, additional);
  }

  /** `labels` are what comes before `pod.<domain>`: [dashed-ip, ns]. */
  private pod(qname: string, qtype: number, labels: string[]): ZoneAnswer {
    if (labels.length === 1) return this.nodata(); // <ns>.pod.<domain>
    if (labels.length !== 2) return this.nx();
    const d = labels[0]!;
    const v4 = d.replace(/-/g, '.');
    if (net.isIPv4(v4)) return this.ok(this.addresses(qname, qtype, [v4]));
    const v6 = d.replace(/-/g, ':');
    if (net.isIPv6(v6)) return this.ok(this.addresses(qname, qtype, [ipv6FromBytes(ipv6ToBytes(v6))]));
    return this.nx();
  }

  private reverse(qname: string, qtype: number, name: string): ZoneAnswer | undefined {
    const ip = reverseToIp(name);
    if (!ip) return undefined;
    const names = this.records.ptr(ip);
    // Addresses that are not ours belong to the upstream resolvers (CoreDNS: fallthrough).
    if (!names.length) return undefined;
    if (qtype !== Type.PTR && qtype !== Type.ANY) return { rcode: Rcode.NOERROR, answers: [], authority: [], additional: [] };
    return this.ok(names.map((n) => this.rr(qname, Type.PTR, this.fqdn(n))));
  }
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; nibble ip6.arpa names → canonical IPv6; else undefined. */
export function reverseToIp(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4) return undefined;
    const ip = parts.reverse().join('.');
    return net.isIPv4(ip) ? ip : undefined;
  }
  const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
  if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return undefined;
  const hex = nibbles.reverse().join('');
  return ipv6FromBytes(Buffer.from(hex, 'hex'));
}

export { dashed };
