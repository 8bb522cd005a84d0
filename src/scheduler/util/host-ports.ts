/**
 * Host ports in use on a node, as upstream framework.HostPortInfo: a port
 * bound on 0.0.0.0 conflicts with the same protocol and port on any
 * address; a specific address conflicts with itself and with 0.0.0.0.
 */
import type { Obj } from '../../client/types.ts';

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

const ANY = '0.0.0.0';

/** The host ports a pod's containers ask for (hostPort > 0), with upstream's defaults. */
export function podHostPorts(pod: Obj): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod['spec']?.containers ?? []) {
    for (const p of c?.ports ?? []) {
      const port = Number(p?.hostPort ?? 0);
      if (port > 0) out.push({ ip: p.hostIP || ANY, protocol: p.protocol || 'TCP', port });
    }
  }
  return out;
}

export class HostPortInfo {
  /** `protocol/port` → addresses, each with a use count. */
  private readonly used = new Map<string, Map<string, number>>();

  get size(): number {
    return this.used.size;
  }

  add(p: HostPort): void {
    const k = `${p.protocol}/${p.port}`;
    let ips = this.used.get(k);
    if (!ips) this.used.set(k, (ips = new Map()));
    ips.set(p.ip, (ips.get(p.ip) ?? 0) + 1);
  }

  remove(p: HostPort): void {
    const k = `${p.protocol}/${p.port}`;
    const ips = this.used.get(k);
    if (!ips) return;
    const n = (ips.get(p.ip) ?? 0) - 1;
    if (n > 0) ips.set(p.ip, n);
    else ips.delete(p.ip);
    if (ips.size === 0) this.used.delete(k);
  }

  conflicts(p: HostPort): boolean {
    const ips = this.used.get(`${p.protocol}/${p.port}`);
    if (!ips) return false;
    if (p.ip === ANY) return ips.size > 0;
    return ips.has(p.ip) || ips.has(ANY);
  }

  clone(): HostPortInfo {
    const c = new HostPortInfo();
    for (const [k, ips] of this.used) c.used.set(k, new Map(ips));
    return c;
  }
}
