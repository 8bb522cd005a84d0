/**
 * The lab's LAN subnet: an IPv4 /24 (or larger) whose first address is the
 * host's and the next ones the boards'. The default is picked so it does
 * not overlap any route the host already has (another LAN, another lab).
 */
import { execFileSync } from 'node:child_process';

export interface Subnet {
  base: number;
  prefix: number;
}

export function parseCIDR(cidr: string): Subnet {
  const s = parseAny(cidr);
  if (s.prefix < 8 || s.prefix > 29) throw new Error(`invalid subnet "${cidr}" (prefix between /8 and /29)`);
  return s;
}

function parseAny(cidr: string): Subnet {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`invalid subnet "${cidr}" (want an IPv4 CIDR such as 10.231.0.0/24)`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`invalid subnet "${cidr}" (want an IPv4 CIDR such as 10.231.0.0/24)`);
  const ip = octets.reduce((a, o) => a * 256 + o, 0);
  return { base: ip - (ip % 2 ** (32 - prefix)), prefix };
}

export const ipString = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
export const cidrString = (s: Subnet) => `${ipString(s.base)}/${s.prefix}`;

/** The i-th host address (1 = the host, 2… the boards). */
export function hostAt(s: Subnet, i: number): string {
  if (i < 1 || i >= 2 ** (32 - s.prefix) - 1) throw new Error(`subnet ${cidrString(s)} has no room for address #${i}`);
  return ipString(s.base + i);
}

function overlaps(a: Subnet, b: Subnet): boolean {
  const size = (s: Subnet) => 2 ** (32 - s.prefix);
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** The host's IPv4 routes as subnets (the default route is not a subnet and is left out). */
export function hostRoutes(): Subnet[] {
  const out = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  const routes: Subnet[] = [];
  for (const line of out.split('\n')) {
    const dest = line.split(' ').find((w, i) => i <= 1 && /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(w));
    if (!dest) continue;
    routes.push(parseAny(dest.includes('/') ? dest : `${dest}/32`));
  }
  return routes;
}

export function collides(s: Subnet, routes: Subnet[] = hostRoutes()): boolean {
  return routes.some((r) => overlaps(s, r));
}

/** 10.231.0.0/24, or the next free /24 after it. */
export function defaultSubnet(routes: Subnet[] = hostRoutes()): Subnet {
  for (let third = 0; third < 256; third++) {
    const s = parseCIDR(`10.231.${third}.0/24`);
    if (!collides(s, routes)) return s;
  }
  throw new Error('no free /24 in 10.231.0.0/16 for the lab: pass --subnet');
}
