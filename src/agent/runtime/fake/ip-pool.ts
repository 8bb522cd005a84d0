/**
 * Pod IPs from a node's pod CIDR, as CNI's host-local IPAM hands them out:
 * the network address and the first host address (the bridge gateway) are
 * never given, nor the broadcast address; allocation continues after the
 * last address given (round robin), so a freed IP is not reused at once and
 * a stale endpoint cannot point at a new pod.
 */
import { RuntimeError } from '../types.ts';

/** Parses `a.b.c.d/n` (IPv4) into its base address and size. */
export function parseCIDR(cidr: string): { base: number; bits: number; size: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = Number(m?.[5]);
  if (!m || octets.some((o) => o > 255) || bits > 30 || bits < 8) {
    throw new RuntimeError('InvalidArgument', `invalid IPv4 pod CIDR "${cidr}" (want a.b.c.d/8 to /30)`);
  }
  const size = 2 ** (32 - bits);
  const addr = ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
  return { base: addr - (addr % size), bits, size };
}

export function ipToString(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export class IpPool {
  readonly cidr: string;
  private readonly base: number;
  private readonly size: number;
  private readonly used = new Set<string>();
  /** Offset of the last address handed out. */
  private last = 1;

  constructor(cidr: string) {
    const p = parseCIDR(cidr);
    this.cidr = `${ipToString(p.base)}/${p.bits}`;
    this.base = p.base;
    this.size = p.size;
  }

  /** The next free address; throws when the range is exhausted. */
  allocate(): string {
    const first = 2;
    const lastUsable = this.size - 2;
    const span = lastUsable - first + 1;
    for (let i = 0; i < span; i++) {
      const off = first + ((this.last - first + 1 + i) % span);
      const ip = ipToString(this.base + off);
      if (!this.used.has(ip)) {
        this.used.add(ip);
        this.last = off;
        return ip;
      }
    }
    throw new RuntimeError('Unavailable', `no free pod IPs left in ${this.cidr}`);
  }

  /** Marks an address as taken (a sandbox restored after a restart), in or out of the range. */
  reserve(ip: string): void {
    this.used.add(ip);
  }

  release(ip: string): void {
    this.used.delete(ip);
  }

  get inUse(): number {
    return this.used.size;
  }
}
