/**
 * A minimal ASN.1 DER encoder: just the types X.509 certificates need.
 *
 * Every function returns one complete TLV (tag, length, value) as a Buffer,
 * so values compose by nesting calls: `sequence(oid('2.5.4.3'), utf8String('x'))`.
 * DER allows exactly one encoding per value; where a caller's input could be
 * encoded several ways (integers, bit strings, sets) we produce the canonical
 * one, because Go's crypto/x509 rejects the others.
 */
import { PkiError } from './errors.ts';

/** Universal tag numbers used here. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const CONSTRUCTED = 0x20;
const CONTEXT = 0x80;

function fail(message: string): never {
  throw new PkiError('INVALID_ARGUMENT', message);
}

/** Definite-length encoding: short form below 128, otherwise the minimal long form. */
function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with a single-byte identifier (tag numbers up to 30, which is all X.509 uses). */
export function tlv(tag: number, content: Uint8Array): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) fail(`unsupported DER tag byte ${tag}`);
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(Tag.SEQUENCE, Buffer.concat(items));
}

/**
 * SET OF: DER orders the members by their encodings (X.690 11.6), which also
 * makes the output independent of the caller's order.
 */
export function set(...items: Uint8Array[]): Buffer {
  const sorted = items.map((i) => Buffer.from(i)).sort(Buffer.compare);
  return tlv(Tag.SET, Buffer.concat(sorted));
}

/**
 * INTEGER in minimal two's complement. A number must be a safe integer; a
 * bigint may be any size or sign; a byte array is read as an unsigned
 * big-endian magnitude (a serial number), so it never comes out negative.
 */
export function integer(value: number | bigint | Uint8Array): Buffer {
  if (value instanceof Uint8Array) {
    let i = 0;
    while (i < value.length - 1 && value[i] === 0) i++;
    const mag = Buffer.from(value.subarray(i));
    if (mag.length === 0) return tlv(Tag.INTEGER, Buffer.from([0]));
    return tlv(Tag.INTEGER, mag[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), mag]) : mag);
  }
  if (typeof value === 'number' && !Number.isSafeInteger(value)) fail(`INTEGER ${value} is not a safe integer; pass a bigint`);
  let v = BigInt(value);
  const bytes: number[] = [];
  // Emit low bytes until the remaining value is just sign extension of the top emitted byte.
  for (;;) {
    const byte = Number(v & 0xffn);
    bytes.unshift(byte);
    v >>= 8n;
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
  }
  return tlv(Tag.INTEGER, Buffer.from(bytes));
}

/** OBJECT IDENTIFIER from dotted form, e.g. `1.2.840.10045.4.3.2`. Arcs may exceed 2^53. */
export function oid(dotted: string): Buffer {
  if (!/^\d+(\.\d+)+$/.test(dotted)) fail(`malformed OID ${JSON.stringify(dotted)}`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first, second] = arcs as [bigint, bigint];
  if (first > 2n || (first < 2n && second > 39n)) fail(`OID ${dotted} has invalid leading arcs`);
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...arcs.slice(2)]) {
    const group: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) group.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...group);
  }
  return tlv(Tag.OID, Buffer.from(out));
}

export function utf8String(s: string): Buffer {
  if (!s.isWellFormed()) fail('UTF8String contains a lone surrogate');
  return tlv(Tag.UTF8_STRING, Buffer.from(s, 'utf8'));
}

/** PrintableString: X.680's restricted character set, checked here rather than left to the reader. */
export function printableString(s: string): Buffer {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s)) fail(`${JSON.stringify(s)} is not a PrintableString`);
  return tlv(Tag.PRINTABLE_STRING, Buffer.from(s, 'ascii'));
}

/** IA5String (ASCII): the type of dNSName in subjectAltName. */
export function ia5String(s: string): Buffer {
  if (!/^[\x00-\x7f]*$/.test(s)) fail(`${JSON.stringify(s)} is not an IA5String`);
  return tlv(Tag.IA5_STRING, Buffer.from(s, 'ascii'));
}

/** BIT STRING whose length is a whole number of bytes minus `unusedBits` (which must be zero bits). */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) fail(`BIT STRING unused bits ${unusedBits} out of range`);
  if (bytes.length === 0 && unusedBits !== 0) fail('empty BIT STRING cannot have unused bits');
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) fail('BIT STRING padding bits must be zero');
  return tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/**
 * A named-bit BIT STRING (such as keyUsage) from the numbers of the bits that
 * are set, bit 0 being the most significant bit of the first byte. DER drops
 * trailing zero bits (X.690 11.2.2), so the length depends on the highest bit.
 */
export function namedBits(bits: number[]): Buffer {
  if (bits.length === 0) return bitString(Buffer.alloc(0));
  for (const b of bits) if (!Number.isInteger(b) || b < 0) fail(`bad bit number ${b}`);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  return bitString(bytes, 7 - (highest & 7));
}

export function octetString(bytes: Uint8Array): Buffer {
  return tlv(Tag.OCTET_STRING, bytes);
}

/** BOOLEAN; DER requires 0xFF for TRUE and Go rejects anything else. */
export function boolean(value: boolean): Buffer {
  return tlv(Tag.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}

export function nullValue(): Buffer {
  return tlv(Tag.NULL, Buffer.alloc(0));
}

function checkDate(d: Date): void {
  if (Number.isNaN(d.getTime())) fail('invalid date');
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function clock(d: Date): string {
  return `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
}

/** UTCTime `YYMMDDHHMMSSZ`, years 1950–2049; fractions of a second are dropped. */
export function utcTime(d: Date): Buffer {
  checkDate(d);
  const y = d.getUTCFullYear();
  if (y < 1950 || y > 2049) fail(`UTCTime cannot hold year ${y}`);
  return tlv(Tag.UTC_TIME, Buffer.from(pad(y % 100) + clock(d), 'ascii'));
}

/** GeneralizedTime `YYYYMMDDHHMMSSZ` with no fractional seconds, as RFC 5280 4.1.2.5.2 requires. */
export function generalizedTime(d: Date): Buffer {
  checkDate(d);
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) fail(`GeneralizedTime cannot hold year ${y}`);
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(pad(y, 4) + clock(d), 'ascii'));
}

/** X.509 Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
export function time(d: Date): Buffer {
  checkDate(d);
  const y = d.getUTCFullYear();
  return y >= 1950 && y < 2050 ? utcTime(d) : generalizedTime(d);
}

function checkTagNumber(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 30) fail(`context tag [${n}] out of range`);
}

/** `[n] EXPLICIT`: a constructed context-specific wrapper around a complete encoding. */
export function explicit(n: number, inner: Uint8Array): Buffer {
  checkTagNumber(n);
  return tlv(CONTEXT | CONSTRUCTED | n, inner);
}

/**
 * `[n] IMPLICIT`: re-tags an encoding, keeping its contents and its
 * primitive/constructed bit, e.g. `implicit(2, ia5String('host'))` for dNSName.
 */
export function implicit(n: number, encoded: Uint8Array): Buffer {
  checkTagNumber(n);
  if (encoded.length < 2 || (encoded[0]! & 0x1f) === 0x1f) fail('implicit tagging needs one complete low-tag-number encoding');
  const out = Buffer.from(encoded);
  out[0] = CONTEXT | (encoded[0]! & CONSTRUCTED) | n;
  return out;
}
