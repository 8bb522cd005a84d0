/**
 * IPv4 and IPv6 CIDRs as numbers (BigInt), for carving a cluster's pod
 * network into per-node blocks. Parsing masks the address to its network
 * (as Go's net.ParseCIDR); formatting gives Go's canonical text (IPv6 in
 * RFC 5952 form), which is what upstream writes into spec.podCIDRs.
 */

export interface Cidr {
  family: 4 | 6;
  /** The network address. */
  base: bigint;
  prefix: number;
}

export const bitsOf = (family: 4 | 6): number => (family === 4 ? 32 : 128);

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith('0'))) return undefined;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return undefined;
  let v = 0n;
  for (const g of [...head, ...Array<number>(Math.max(0, missing)).fill(0), ...tail]) v = (v << 16n) | BigInt(g);
  return v;
}

/** Parses `a.b.c.d/n` or an IPv6 CIDR; throws with Go's wording on bad input. */
export function parseCidr(text: string): Cidr {
  const s = text.trim();
  const slash = s.indexOf('/');
  const bad = () => new Error(`invalid CIDR address: ${text}`);
  if (slash < 0) throw bad();
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len)) throw bad();
  const family: 4 | 6 = addr.includes(':') ? 6 : 4;
  const ip = family === 4 ? parseIPv4(addr) : parseIPv6(addr);
  const prefix = Number(len);
  if (ip === undefined || prefix > bitsOf(family)) throw bad();
  const bits = BigInt(bitsOf(family));
  const mask = ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
  return { family, base: ip & mask, prefix };
}

function formatIPv6(v: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(16 * (7 - i))) & 0xffffn));
  // The longest run of two or more zero groups becomes "::" (the first one on a tie).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

export function formatIP(family: 4 | 6, v: bigint): string {
  if (family === 6) return formatIPv6(v);
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}

export function formatCidr(c: Cidr): string {
  return `${formatIP(c.family, c.base)}/${c.prefix}`;
}

/** The last address of a CIDR. */
export function lastAddress(c: Cidr): bigint {
  return c.base | ((1n << BigInt(bitsOf(c.family) - c.prefix)) - 1n);
}

/** Whether `inner` lies wholly inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && inner.prefix >= outer.prefix && inner.base >= outer.base && lastAddress(inner) <= lastAddress(outer);
}
