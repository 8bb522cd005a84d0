/**
 * IPv4 service ranges as upstream's bitmap IP allocator sees them: the
 * network and broadcast addresses are never handed out, and the lowest
 * addresses form a "static" band that dynamic allocation uses only when the
 * rest of the range is full (so `10.43.0.10`-style well-known IPs, such as a
 * DNS Service's, stay free for whoever asks for them explicitly).
 */

/** A parsed IPv4 CIDR; offsets count usable addresses from `base`. */
export interface ServiceRange {
  /** The CIDR as configured, e.g. `10.43.0.0/16` (used in error messages). */
  cidr: string;
  /** First usable address (network + 1) as an unsigned integer. */
  base: number;
  /** Number of usable addresses. */
  size: number;
  /** Offsets below this are the static band. */
  staticBand: number;
}

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // Go's strict parser refuses leading zeros; so do we.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Upstream's band size: range/step, clamped to [min, max] (0 for tiny ranges). */
export function staticBandSize(rangeSize: number, min: number, max: number, step: number): number {
  if (rangeSize < min) return 0;
  return Math.min(max, Math.max(min, Math.floor(rangeSize / step)));
}

/** Parses `--service-cidr`; throws for anything but an IPv4 CIDR of /8 to /30. */
export function parseServiceRange(cidr: string): ServiceRange {
  const [addr, bits] = cidr.split('/');
  const ip = parseIPv4(addr ?? '');
  const prefix = Number(bits);
  if (ip === undefined || !/^\d+$/.test(bits ?? '') || prefix < 8 || prefix > 30) {
    throw new Error(`invalid service CIDR "${cidr}": an IPv4 CIDR between /8 and /30 is required`);
  }
  const total = 2 ** (32 - prefix);
  const network = ip - (ip % total);
  return { cidr: `${formatIPv4(network)}/${prefix}`, base: network + 1, size: total - 2, staticBand: staticBandSize(total, 16, 256, 16) };
}

/** The offset of an address in the range, or undefined if it is outside (network and broadcast included). */
export function offsetOf(range: ServiceRange, ip: string): number | undefined {
  const n = parseIPv4(ip);
  if (n === undefined) return undefined;
  const off = n - range.base;
  return off >= 0 && off < range.size ? off : undefined;
}

export function ipAt(range: ServiceRange, offset: number): string {
  return formatIPv4(range.base + offset);
}
