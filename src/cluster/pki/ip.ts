/**
 * IP addresses as the bytes an X.509 iPAddress name holds (4 or 16 octets),
 * and back to a canonical text form so that `::1`, `0:0::1` and
 * `0:0:0:0:0:0:0:1` compare equal when we check a certificate's SANs.
 */
import net from 'node:net';

function parseV4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

function parseV6(s: string): number[] | undefined {
  // A zone (fe80::1%eth0) names an interface, which a certificate cannot hold.
  if (s.includes('%')) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    s = s.slice(0, lastColon + 1) + '0:0'; // placeholder groups, replaced below
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const bytes: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    bytes.push(v >> 8, v & 0xff);
  }
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** The 4- or 16-byte form of an address, or undefined when `s` is not an IP literal. */
export function ipToBytes(s: string): Buffer | undefined {
  const kind = net.isIP(s);
  const bytes = kind === 4 ? parseV4(s) : kind === 6 ? parseV6(s) : undefined;
  return bytes ? Buffer.from(bytes) : undefined;
}

/** Canonical text: dotted quad, or RFC 5952 (lower case, longest zero run compressed). */
export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length !== 16) throw new RangeError(`an IP address has 4 or 16 bytes, not ${b.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 1; // RFC 5952 4.2.2: a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text of an IP literal, or undefined when `s` is not one. */
export function canonicalIp(s: string): string | undefined {
  const b = ipToBytes(s);
  return b ? bytesToIp(b) : undefined;
}
