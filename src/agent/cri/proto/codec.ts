/**
 * Protobuf (proto3) encoding and decoding driven by a `Schema`: just what
 * the CRI messages need (scalars, enums, nested and repeated messages,
 * `map<string, T>`, packed repeated numbers).
 *
 * JavaScript shapes: 64-bit integers are numbers (exact below 2^53, so a
 * nanosecond timestamp keeps ~256 ns of precision); enums are their value
 * names (an unknown value decodes to its number, so newer runtimes do not
 * break older agents); bytes are Uint8Arrays. Decoding fills proto3
 * defaults for every scalar, repeated and map field, as Go's getters would;
 * an absent nested message stays `undefined`. Encoding omits default
 * values, as proto3 does.
 */
import { WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT, WireError, readFields, readVarint, toDouble, toInt32, toInt64, toUtf8 } from '../../../api/schema/wire.ts';
import type { EnumDesc, FieldDesc, MessageDesc, Schema } from './schema.ts';
import { Writer } from './writer.ts';

export type ProtoErrorCode =
  /** The bytes are not a valid encoding of the message. */
  | 'MALFORMED'
  /** A value on the object does not fit its field (a string for an int32…). */
  | 'INVALID_VALUE'
  /** The message type is not in the schema. */
  | 'UNKNOWN_TYPE';

export class ProtoError extends Error {
  readonly code: ProtoErrorCode;
  constructor(code: ProtoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtoError';
    this.code = code;
  }
}

const utf8 = new TextEncoder();

/** Encodes `value` as the message `type`. */
export function encode(schema: Schema, type: string, value: object): Uint8Array {
  const w = new Writer();
  writeMessage(schema, messageDesc(schema, type), value as Record<string, unknown>, w);
  return w.result();
}

/** Decodes `bytes` as the message `type`. */
export function decode<T = Record<string, unknown>>(schema: Schema, type: string, bytes: Uint8Array): T {
  try {
    return readMessage(schema, messageDesc(schema, type), bytes) as T;
  } catch (e) {
    if (e instanceof WireError) throw new ProtoError('MALFORMED', `${type}: ${e.message}`, { cause: e });
    throw e;
  }
}

function messageDesc(schema: Schema, type: string): MessageDesc {
  const d = schema.messages.get(type);
  if (!d) throw new ProtoError('UNKNOWN_TYPE', `unknown message type ${type}`);
  return d;
}

function writeMessage(schema: Schema, desc: MessageDesc, obj: Record<string, unknown>, w: Writer): void {
  for (const f of desc.fields) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    if (f.map) {
      if (typeof v !== 'object') throw invalid(desc, f, v);
      for (const [k, item] of Object.entries(v)) {
        if (item === undefined) continue;
        const entry = new Writer();
        writeValue(schema, desc, { ...f, no: 1, kind: 'string', map: false }, k, entry, true);
        writeValue(schema, desc, { ...f, no: 2, map: false }, item, entry, true);
        w.tag(f.no, WIRE_BYTES);
        w.bytes(entry.result());
      }
    } else if (f.repeated) {
      if (!Array.isArray(v)) throw invalid(desc, f, v);
      if (v.length === 0) continue;
      if (isPackable(f)) {
        const packed = new Writer();
        for (const item of v) writeScalar(schema, desc, f, item, packed);
        w.tag(f.no, WIRE_BYTES);
        w.bytes(packed.result());
      } else {
        for (const item of v) writeValue(schema, desc, f, item, w, true);
      }
    } else {
      writeValue(schema, desc, f, v, w, false);
    }
  }
}

function isPackable(f: FieldDesc): boolean {
  return f.kind !== 'string' && f.kind !== 'bytes' && f.kind !== 'message';
}

/** Writes one field occurrence; `always` keeps default values (list items, map entries). */
function writeValue(schema: Schema, desc: MessageDesc, f: FieldDesc, v: unknown, w: Writer, always: boolean): void {
  switch (f.kind) {
    case 'message': {
      if (typeof v !== 'object' || v === null) throw invalid(desc, f, v);
      const inner = new Writer();
      writeMessage(schema, messageDesc(schema, f.ref!), v as Record<string, unknown>, inner);
      w.tag(f.no, WIRE_BYTES);
      w.bytes(inner.result());
      return;
    }
    case 'string':
      if (typeof v !== 'string') throw invalid(desc, f, v);
      if (v === '' && !always) return;
      w.tag(f.no, WIRE_BYTES);
      w.bytes(utf8.encode(v));
      return;
    case 'bytes':
      if (!(v instanceof Uint8Array)) throw invalid(desc, f, v);
      if (v.length === 0 && !always) return;
      w.tag(f.no, WIRE_BYTES);
      w.bytes(v);
      return;
    default: {
      if (!always && isDefaultScalar(schema, f, v)) return;
      w.tag(f.no, f.kind === 'double' ? WIRE_FIXED64 : WIRE_VARINT);
      writeScalar(schema, desc, f, v, w);
    }
  }
}

function isDefaultScalar(schema: Schema, f: FieldDesc, v: unknown): boolean {
  if (f.kind === 'enum') return v === 0 || v === schema.enums.get(f.ref!)!.zero;
  return v === 0 || v === false || v === '0';
}

/** The value of a varint or double field, without its tag. */
function writeScalar(schema: Schema, desc: MessageDesc, f: FieldDesc, v: unknown, w: Writer): void {
  switch (f.kind) {
    case 'bool':
      if (typeof v !== 'boolean') throw invalid(desc, f, v);
      w.byte(v ? 1 : 0);
      return;
    case 'double':
      if (typeof v !== 'number') throw invalid(desc, f, v);
      w.double(v);
      return;
    case 'enum': {
      const e = schema.enums.get(f.ref!)!;
      const n = typeof v === 'number' ? v : e.byName.get(String(v));
      if (n === undefined || !Number.isInteger(n)) throw invalid(desc, f, v);
      writeInt(n, w);
      return;
    }
    case 'uint64s': {
      // Exact 64-bit ids (etcd member ids) as decimal strings.
      if (typeof v !== 'string' || !/^[0-9]{1,20}$/.test(v) || BigInt(v) > 0xffffffffffffffffn) throw invalid(desc, f, v);
      w.varint(BigInt(v));
      return;
    }
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64': {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(desc, f, v);
      if (v < 0 && f.kind.startsWith('u')) throw invalid(desc, f, v);
      if ((f.kind === 'int32' && (v < -0x80000000 || v > 0x7fffffff)) || (f.kind === 'uint32' && v > 0xffffffff)) throw invalid(desc, f, v);
      writeInt(v, w);
      return;
    }
    default:
      throw invalid(desc, f, v);
  }
}

/** Negative int32/int64/enum values are sign-extended to ten bytes, as protobuf requires. */
function writeInt(n: number, w: Writer): void {
  if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) w.varint(n);
  else w.varint(BigInt(n));
}

function invalid(desc: MessageDesc, f: FieldDesc, v: unknown): ProtoError {
  const shown = typeof v === 'object' ? Object.prototype.toString.call(v) : JSON.stringify(v);
  return new ProtoError('INVALID_VALUE', `${desc.name}.${f.name}: ${shown} is not a valid ${f.ref ?? f.kind}`);
}

function readMessage(schema: Schema, desc: MessageDesc, buf: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of desc.fields) {
    if (f.map) out[f.name] = {};
    else if (f.repeated) out[f.name] = [];
    else if (f.kind !== 'message') out[f.name] = zeroOf(schema, f);
  }
  for (const field of readFields(buf)) {
    const f = desc.byNo.get(field.tag);
    if (!f) continue; // unknown fields from a newer runtime
    if (f.map) {
      let key = '';
      let value: unknown = zeroOf(schema, f);
      for (const e of readFields(need(field.bytes, desc, f))) {
        if (e.tag === 1) key = toUtf8(need(e.bytes, desc, f));
        else if (e.tag === 2) value = readValue(schema, desc, f, e);
      }
      (out[f.name] as Record<string, unknown>)[key] = value;
    } else if (f.repeated) {
      const list = out[f.name] as unknown[];
      if (field.wireType === WIRE_BYTES && isPackable(f)) readPacked(schema, f, field.bytes!, list);
      else list.push(readValue(schema, desc, f, field));
    } else {
      out[f.name] = readValue(schema, desc, f, field);
    }
  }
  return out;
}

function zeroOf(schema: Schema, f: FieldDesc): unknown {
  switch (f.kind) {
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'bool':
      return false;
    case 'enum':
      return schema.enums.get(f.ref!)!.zero;
    case 'message':
      return undefined;
    case 'uint64s':
      return '0';
    default:
      return 0;
  }
}

function need(b: Uint8Array | undefined, desc: MessageDesc, f: FieldDesc): Uint8Array {
  if (!b) throw new WireError(`${desc.name}.${f.name}: wrong wire type`);
  return b;
}

function readValue(schema: Schema, desc: MessageDesc, f: FieldDesc, field: { wireType: number; varint?: number | bigint; bytes?: Uint8Array }): unknown {
  switch (f.kind) {
    case 'message':
      if (field.wireType !== WIRE_BYTES) throw new WireError(`${desc.name}.${f.name}: wrong wire type`);
      return readMessage(schema, messageDesc(schema, f.ref!), field.bytes!);
    case 'string':
      if (field.wireType !== WIRE_BYTES) throw new WireError(`${desc.name}.${f.name}: wrong wire type`);
      return toUtf8(field.bytes!);
    case 'bytes':
      if (field.wireType !== WIRE_BYTES) throw new WireError(`${desc.name}.${f.name}: wrong wire type`);
      return field.bytes!.slice();
    case 'double':
      if (field.wireType !== WIRE_FIXED64) throw new WireError(`${desc.name}.${f.name}: wrong wire type`);
      return toDouble(field.bytes!);
    default:
      if (field.wireType !== WIRE_VARINT) throw new WireError(`${desc.name}.${f.name}: wrong wire type`);
      return fromVarint(schema.enums, f, field.varint!);
  }
}

function readPacked(schema: Schema, f: FieldDesc, buf: Uint8Array, list: unknown[]): void {
  let pos = 0;
  while (pos < buf.length) {
    if (f.kind === 'double') {
      if (pos + 8 > buf.length) throw new WireError('unexpected EOF');
      list.push(toDouble(buf.subarray(pos, pos + 8)));
      pos += 8;
      continue;
    }
    const [v, next] = readVarint(buf, pos);
    list.push(fromVarint(schema.enums, f, v));
    pos = next;
  }
}

function fromVarint(enums: Map<string, EnumDesc>, f: FieldDesc, v: number | bigint): unknown {
  switch (f.kind) {
    case 'bool':
      return v !== 0 && v !== 0n;
    case 'int32':
      return toInt32(v);
    case 'uint32':
      return Number(BigInt.asUintN(32, BigInt(v)));
    case 'int64':
      return toInt64(v);
    case 'uint64':
      return Number(v);
    case 'uint64s':
      return BigInt.asUintN(64, BigInt(v)).toString();
    case 'enum': {
      const n = toInt32(v);
      return enums.get(f.ref!)!.byValue.get(n) ?? n;
    }
    default:
      throw new WireError(`${f.name}: wrong wire type`);
  }
}
