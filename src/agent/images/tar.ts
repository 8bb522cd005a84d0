/**
 * A deterministic ustar writer: enough for OCI image layers (regular
 * files, directories, symlinks) and image-layout archives. Owner, group
 * and mtime are fixed, so the same inputs give the same bytes and the same
 * digests on every machine.
 */

export interface TarEntry {
  /** Path inside the archive, without a leading `/`; directories may end in `/`. */
  name: string;
  type: 'file' | 'dir' | 'symlink';
  /** Permission bits (0o755…). */
  mode?: number;
  /** File contents. */
  data?: Uint8Array;
  /** Symlink target. */
  target?: string;
  uid?: number;
  gid?: number;
}

/** Seconds since the epoch written for every entry. */
export const FIXED_MTIME = 0;

const BLOCK = 512;

/** Faults building an archive: a name or link target that ustar cannot hold. */
export class TarError extends Error {
  readonly code = 'NAME_TOO_LONG';
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

/** Writes the entries, in the order given, as one ustar archive. */
export function writeTar(entries: TarEntry[]): Uint8Array {
  let size = 2 * BLOCK;
  for (const e of entries) size += BLOCK + padded(e.type === 'file' ? (e.data?.length ?? 0) : 0);
  const out = new Uint8Array(size);
  let pos = 0;
  for (const e of entries) {
    const data = e.type === 'file' ? (e.data ?? new Uint8Array(0)) : new Uint8Array(0);
    out.set(header(e, data.length), pos);
    pos += BLOCK;
    out.set(data, pos);
    pos += padded(data.length);
  }
  return out; // the two zero blocks that end the archive are already zero
}

function padded(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

const ascii = new TextEncoder();

function header(e: TarEntry, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  let name = e.name.replace(/^\/+/, '');
  if (e.type === 'dir' && !name.endsWith('/')) name += '/';
  const [prefix, base] = splitName(name);
  put(h, 0, 100, base);
  put(h, 100, 8, octal(e.mode ?? (e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644), 7));
  put(h, 108, 8, octal(e.uid ?? 0, 7));
  put(h, 116, 8, octal(e.gid ?? 0, 7));
  put(h, 124, 12, octal(size, 11));
  put(h, 136, 12, octal(FIXED_MTIME, 11));
  h.fill(0x20, 148, 156); // checksum counts as spaces while summing
  h[156] = e.type === 'file' ? 0x30 : e.type === 'dir' ? 0x35 : 0x32;
  if (e.type === 'symlink') {
    const target = e.target ?? '';
    if (ascii.encode(target).length > 100) throw new TarError(`symlink target too long: ${target}`);
    put(h, 157, 100, target);
  }
  put(h, 257, 6, 'ustar\0');
  put(h, 263, 2, '00');
  put(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, octal(sum, 6) + '\0 ');
  return h;
}

/** ustar holds names up to 100 bytes, or 255 split at a `/` into prefix and name. */
function splitName(name: string): [string, string] {
  const len = ascii.encode(name).length;
  if (len <= 100) return ['', name];
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (ascii.encode(prefix).length <= 155 && ascii.encode(rest).length <= 100 && rest) return [prefix, rest];
  }
  throw new TarError(`name too long for ustar: ${name}`);
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width, '0');
}

function put(h: Uint8Array, at: number, width: number, s: string): void {
  const b = ascii.encode(s);
  if (b.length > width) throw new TarError(`field too long: ${s}`);
  h.set(b, at);
}
