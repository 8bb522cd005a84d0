/**
 * A protobuf wire-format reader: just enough of the encoding (varints,
 * fixed 32/64-bit values, length-delimited fields) to walk the messages
 * client-go sends. Schema-free: protobuf.ts gives the fields meaning.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

/** Malformed wire data; the caller turns it into a 400 with context. */
export class WireError extends Error {
  override name = 'WireError';
}

/** One field as it appears on the wire. */
export interface WireField {
  tag: number;
  wireType: number;
  /** For varints: the raw unsigned value (a bigint only when above 2^53). */
  varint?: number | bigint;
  /** For fixed64/fixed32: the eight or four raw bytes. For length-delimited: the payload. */
  bytes?: Uint8Array;
}

/** Iterates over the fields of one message. */
export function* readFields(buf: Uint8Array): Generator<WireField> {
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    pos = afterKey;
    const k = Number(key);
    const tag = Math.floor(k / 8);
    const wireType = k % 8;
    if (tag === 0) throw new WireError('proto: illegal tag 0');
    switch (wireType) {
      case WIRE_VARINT: {
        const [v, next] = readVarint(buf, pos);
        pos = next;
        yield { tag, wireType, varint: v };
        break;
      }
      case WIRE_FIXED64:
        if (pos + 8 > buf.length) throw new WireError('unexpected EOF');
        yield { tag, wireType, bytes: buf.subarray(pos, pos + 8) };
        pos += 8;
        break;
      case WIRE_FIXED32:
        if (pos + 4 > buf.length) throw new WireError('unexpected EOF');
        yield { tag, wireType, bytes: buf.subarray(pos, pos + 4) };
        pos += 4;
        break;
      case WIRE_BYTES: {
        const [len, next] = readVarint(buf, pos);
        const n = Number(len);
        if (n < 0 || next + n > buf.length) throw new WireError('unexpected EOF');
        yield { tag, wireType, bytes: buf.subarray(next, next + n) };
        pos = next + n;
        break;
      }
      default:
        // Groups (3, 4) are proto1 relics no Kubernetes message uses.
        throw new WireError(`proto: illegal wireType ${wireType}`);
    }
  }
}

/**
 * Reads an unsigned varint at `pos`; returns the value and the next
 * position. Values above 2^53 (negative int32/int64 values are ten bytes
 * long) come back as bigints.
 */
export function readVarint(buf: Uint8Array, pos: number): [number | bigint, number] {
  let result = 0;
  let scale = 1;
  // Seven 7-bit groups (49 bits) always fit a double exactly.
  for (let i = 0; i < 7; i++) {
    if (pos + i >= buf.length) throw new WireError('unexpected EOF');
    const b = buf[pos + i];
    result += (b & 0x7f) * scale;
    if (b < 0x80) return [result, pos + i + 1];
    scale *= 128;
  }
  let big = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) throw new WireError('unexpected EOF');
    const b = buf[pos + i];
    big |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (b < 0x80) {
      big = BigInt.asUintN(64, big);
      return [big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big, pos + i + 1];
    }
  }
  throw new WireError('proto: integer overflow');
}

/** The varint as a signed 32-bit integer (how Go's int32 reads it). */
export function toInt32(v: number | bigint): number {
  return Number(BigInt.asIntN(32, BigInt(v)));
}

/**
 * The varint as a signed 64-bit integer. JSON numbers beyond 2^53 lose
 * precision in JavaScript; no field bramble serves gets near that.
 */
export function toInt64(v: number | bigint): number {
  return typeof v === 'number' ? v : Number(BigInt.asIntN(64, v));
}

export function toDouble(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function toUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}
