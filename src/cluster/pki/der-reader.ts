/**
 * A small strict DER reader: enough to walk certificates we (or anyone)
 * issued and pull out the raw subject, key identifiers and names. Node's
 * X509Certificate does not expose those as bytes, and the issuer field of a
 * new certificate must be a byte-for-byte copy of the CA's subject.
 *
 * Strict on the things DER fixes (definite, minimal lengths; no trailing
 * bytes) so a malformed file fails here rather than later in a Go client.
 */
import { PkiError } from './errors.ts';
import { Tag } from './der.ts';

/** One decoded TLV. `raw` is the whole encoding, `content` its value bytes. */
export interface DerNode {
  /** The identifier byte as it appears on the wire (e.g. 0x30, 0xa3). */
  tag: number;
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  tagClass: number;
  constructed: boolean;
  tagNumber: number;
  raw: Buffer;
  content: Buffer;
}

function malformed(message: string): never {
  throw new PkiError('MALFORMED', `DER: ${message}`);
}

/** Reads one TLV starting at `offset`; returns it and the offset just past it. */
export function readTlv(buf: Buffer, offset = 0): { node: DerNode; next: number } {
  if (offset + 2 > buf.length) malformed('truncated header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) malformed('high tag numbers are not supported');
  let pos = offset + 1;
  const first = buf[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0) malformed('indefinite length');
    if (n > 4) malformed('length too large');
    if (pos + n > buf.length) malformed('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++]!;
    if (buf[pos - n] === 0 || length < 0x80) malformed('non-minimal length');
  }
  if (pos + length > buf.length) malformed('content runs past the end');
  const node: DerNode = {
    tag,
    tagClass: tag >> 6,
    constructed: (tag & 0x20) !== 0,
    tagNumber: tag & 0x1f,
    raw: buf.subarray(offset, pos + length),
    content: buf.subarray(pos, pos + length),
  };
  return { node, next: pos + length };
}

/** Decodes a buffer that must hold exactly one TLV. */
export function parseDer(buf: Uint8Array): DerNode {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const { node, next } = readTlv(b);
  if (next !== b.length) malformed('trailing bytes');
  return node;
}

/** The members of a constructed node. */
export function children(node: DerNode): DerNode[] {
  if (!node.constructed) malformed(`tag 0x${node.tag.toString(16)} is not constructed`);
  const out: DerNode[] = [];
  for (let pos = 0; pos < node.content.length; ) {
    const { node: child, next } = readTlv(node.content, pos);
    out.push(child);
    pos = next;
  }
  return out;
}

/** Asserts a node's identifier byte, naming what was expected in the error. */
export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node) malformed(`missing ${what}`);
  if (node.tag !== tag) malformed(`${what}: expected tag 0x${tag.toString(16)}, got 0x${node.tag.toString(16)}`);
  return node;
}

export function decodeOid(node: DerNode): string {
  expectTag(node, Tag.OID, 'OBJECT IDENTIFIER');
  const c = node.content;
  if (c.length === 0 || (c[c.length - 1]! & 0x80) !== 0) malformed('truncated OID');
  const arcs: bigint[] = [];
  let v = 0n;
  for (let i = 0; i < c.length; i++) {
    if (v === 0n && c[i] === 0x80) malformed('non-minimal OID arc');
    v = (v << 7n) | BigInt(c[i]! & 0x7f);
    if ((c[i]! & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs.shift()!;
  const lead = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...lead, ...arcs].join('.');
}

export function decodeInteger(node: DerNode): bigint {
  expectTag(node, Tag.INTEGER, 'INTEGER');
  const c = node.content;
  if (c.length === 0) malformed('empty INTEGER');
  if (c.length > 1 && ((c[0] === 0 && (c[1]! & 0x80) === 0) || (c[0] === 0xff && (c[1]! & 0x80) !== 0))) malformed('non-minimal INTEGER');
  let v = 0n;
  for (const b of c) v = (v << 8n) | BigInt(b);
  return c[0]! & 0x80 ? v - (1n << BigInt(8 * c.length)) : v;
}

export function decodeBoolean(node: DerNode): boolean {
  expectTag(node, Tag.BOOLEAN, 'BOOLEAN');
  if (node.content.length !== 1 || (node.content[0] !== 0 && node.content[0] !== 0xff)) malformed('BOOLEAN must be 0x00 or 0xff');
  return node.content[0] === 0xff;
}

/** BIT STRING contents and the number of unused trailing bits. */
export function decodeBitString(node: DerNode): { bytes: Buffer; unusedBits: number } {
  expectTag(node, Tag.BIT_STRING, 'BIT STRING');
  const c = node.content;
  if (c.length === 0) malformed('empty BIT STRING');
  const unusedBits = c[0]!;
  if (unusedBits > 7 || (c.length === 1 && unusedBits !== 0)) malformed('bad BIT STRING padding');
  const bytes = c.subarray(1);
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) malformed('non-zero BIT STRING padding');
  return { bytes, unusedBits };
}

/** UTCTime or GeneralizedTime in the forms RFC 5280 allows (Z, whole seconds). */
export function decodeTime(node: DerNode): Date {
  const s = node.content.toString('ascii');
  let m: RegExpExecArray | null;
  let year: number;
  if (node.tag === Tag.UTC_TIME && (m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s))) {
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (node.tag === Tag.GENERALIZED_TIME && (m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s))) {
    year = Number(m[1]);
  } else {
    malformed(`unsupported time ${JSON.stringify(s)}`);
  }
  const [mo, d, h, mi, se] = m.slice(2).map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  date.setUTCFullYear(year); // Date.UTC maps years 0–99 to 1900–1999
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) malformed(`invalid date ${s}`);
  return date;
}
