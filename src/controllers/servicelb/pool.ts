/**
 * The `--lb-pool` address pool (MetalLB's IPAddressPool, layer 2): ranges
 * `A-B` and CIDRs `N/len` (every address of a CIDR, as MetalLB without
 * avoidBuggyIPs), several per flag value when comma-separated, in order.
 */
import { formatIPv4, parseIPv4 } from '../../admission/service-ip/cidr.ts';

export interface PoolRange {
  first: number;
  last: number;
}

export class PoolError extends Error {}

export function parsePool(specs: readonly string[]): PoolRange[] {
  const out: PoolRange[] = [];
  for (const part of specs.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    const dash = part.split('-');
    const slash = part.split('/');
    if (dash.length === 2) {
      const first = parseIPv4(dash[0]!.trim());
      const last = parseIPv4(dash[1]!.trim());
      if (first === undefined || last === undefined || first > last) throw new PoolError(`invalid address range "${part}" (e.g. 10.10.10.50-10.10.10.99)`);
      out.push({ first, last });
    } else if (slash.length === 2) {
      const base = parseIPv4(slash[0]!);
      const len = Number(slash[1]);
      if (base === undefined || !/^\d+$/.test(slash[1]!) || len < 0 || len > 32) throw new PoolError(`invalid CIDR "${part}" (e.g. 10.10.10.64/27)`);
      const size = 2 ** (32 - len);
      const first = base - (base % size);
      out.push({ first, last: first + size - 1 });
    } else {
      const ip = parseIPv4(part);
      if (ip === undefined) throw new PoolError(`invalid pool entry "${part}" (a range A-B, a CIDR or an address)`);
      out.push({ first: ip, last: ip });
    }
  }
  return out;
}

export function inPool(pool: readonly PoolRange[], ip: string): boolean {
  const n = parseIPv4(ip);
  return n !== undefined && pool.some((r) => n >= r.first && n <= r.last);
}

/** The first address of the pool not in `used`, or undefined when all are taken. */
export function firstFree(pool: readonly PoolRange[], used: ReadonlySet<string>): string | undefined {
  for (const r of pool) {
    for (let n = r.first; n <= r.last; n++) {
      const ip = formatIPv4(n);
      if (!used.has(ip)) return ip;
    }
  }
  return undefined;
}

/**
 * A named pool: `--lb-pool` ranges make the pool "default"; MetalLB's
 * ConfigMap adds its own (metallb-config.ts). Addresses are handed out
 * automatically only from `autoAssign` pools; others only on request (by
 * `spec.loadBalancerIP` or the `metallb.universe.tf/address-pool` annotation).
 */
export interface NamedPool {
  name: string;
  ranges: PoolRange[];
  autoAssign: boolean;
}

/** The pool an address belongs to (the first listed, when pools overlap). */
export function poolOf(pools: readonly NamedPool[], ip: string): NamedPool | undefined {
  return pools.find((p) => inPool(p.ranges, ip));
}
