/**
 * Server addresses as the load balancer keeps them: `host:port` strings
 * (`[v6]:port` for IPv6), so a list compares, sorts and persists as plain
 * text. They come from the `--server` URL and from the `default/kubernetes`
 * EndpointSlice (or Endpoints) that the API servers publish.
 */
import type { Obj } from '../../client/types.ts';

/** `https://board1:6443/` → `board1:6443`; a URL without a port means 443, as for any https URL. */
export function addressOfURL(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 443}`;
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `[::1]:6443` → { host: '::1', port: 6443 } (net.connect wants the bare IPv6 host). */
export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(i + 1)) };
}

/** Sorted and without duplicates: the same set of servers is always the same list (persisted once, not per order). */
export function normalizeAddresses(addresses: Iterable<string>): string[] {
  return [...new Set(addresses)].sort();
}

/**
 * The API servers in the `default/kubernetes` EndpointSlice: every address
 * of an endpoint not marked unready, on the slice's `https` port (its only
 * one). Servers publish their advertise address and real API port there
 * (src/controllers/kubernetes-service), which is what an agent dials.
 */
export function addressesFromSlice(slice: Obj): string[] {
  const ports: Obj[] = slice['ports'] ?? [];
  const port = (ports.find((p) => p['name'] === 'https') ?? ports[0])?.['port'];
  if (typeof port !== 'number') return [];
  const out: string[] = [];
  for (const e of (slice['endpoints'] ?? []) as Obj[]) {
    if (e['conditions']?.ready === false) continue;
    for (const a of (e['addresses'] ?? []) as string[]) out.push(formatAddress(a, port));
  }
  return normalizeAddresses(out);
}
