/**
 * Decoding of Kubernetes protobuf request bodies (what client-go's typed
 * clients send: `kubectl create deployment`, the `drain` DELETE, …) into the
 * JSON shape the rest of the apiserver works with.
 *
 * The body is the magic `k8s\0` followed by a `runtime.Unknown` envelope
 * (`typeMeta{apiVersion, kind}`, `raw`, `contentEncoding`, `contentType`);
 * `raw` is the object message, read field by field through the schema.
 *
 * Go marshals every non-pointer field, so zero values on the wire mean
 * "unset": they are dropped (scalars, zero times, non-pointer structs that
 * end up empty), as if the client had sent JSON with `omitempty`. Pointer
 * fields keep their zero values (`replicas: 0`, `emptyDir: {}`).
 */
import { errors } from '../errors.ts';
import { schema as builtin } from './index.ts';
import type { Field, MessageType, Schema, Special, TypeRef } from './types.ts';
import {
  WIRE_BYTES,
  WIRE_FIXED64,
  WIRE_VARINT,
  WireError,
  readFields,
  readVarint,
  toDouble,
  toInt32,
  toInt64,
  toUtf8,
} from './wire.ts';
import type { WireField } from './wire.ts';

/** `k8s\0`: the prefix of every Kubernetes protobuf body. */
export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  /** The object as JSON would carry it, `apiVersion` and `kind` included. */
  object: Record<string, unknown>;
}

/**
 * Decodes a protobuf request body. Throws a 400 BadRequest ApiError for
 * anything malformed or for a kind the schema does not know.
 */
export function decodeProtobuf(body: Uint8Array, schema: Schema = builtin): DecodedObject {
  if (body.length < 4 || PROTOBUF_MAGIC.some((b, i) => body[i] !== b)) {
    throw errors.badRequest(`provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]`);
  }
  const env = readEnvelope(body.subarray(4));
  if (env.contentEncoding) throw errors.badRequest(`unsupported protobuf content encoding "${env.contentEncoding}"`);
  const slash = env.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : env.apiVersion.slice(0, slash);
  const version = env.apiVersion.slice(slash + 1);
  const type = schema.typeForKind(group, version, env.kind);
  if (!env.kind || !type) {
    throw errors.badRequest(`no kind "${env.kind}" is registered for version "${env.apiVersion}"`);
  }
  try {
    const fields = new Decoder(schema).message(type, env.raw);
    return { apiVersion: env.apiVersion, kind: env.kind, object: { apiVersion: env.apiVersion, kind: env.kind, ...fields } };
  } catch (e) {
    if (e instanceof WireError || e instanceof SyntaxError) {
      throw errors.badRequest(`${env.kind} in version "${version}" cannot be handled as a ${env.kind}: ${e.message}`);
    }
    throw e;
  }
}

/** True when the body starts with the protobuf magic. */
export function isProtobuf(body: Uint8Array): boolean {
  return body.length >= 4 && PROTOBUF_MAGIC.every((b, i) => body[i] === b);
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
}

function readEnvelope(buf: Uint8Array): Envelope {
  const env: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(0), contentEncoding: '' };
  try {
    for (const f of readFields(buf)) {
      if (f.wireType !== WIRE_BYTES) continue;
      if (f.tag === 1) {
        for (const t of readFields(f.bytes!)) {
          if (t.wireType !== WIRE_BYTES) continue;
          if (t.tag === 1) env.apiVersion = toUtf8(t.bytes!);
          else if (t.tag === 2) env.kind = toUtf8(t.bytes!);
        }
      } else if (f.tag === 2) env.raw = f.bytes!;
      else if (f.tag === 3) env.contentEncoding = toUtf8(f.bytes!);
    }
  } catch (e) {
    if (e instanceof WireError) throw errors.badRequest(`unable to decode the protobuf envelope: ${e.message}`);
    throw e;
  }
  return env;
}

class Decoder {
  readonly #schema: Schema;

  constructor(schema: Schema) {
    this.#schema = schema;
  }

  message(type: MessageType, buf: Uint8Array): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.#into(type, buf, out);
    return out;
  }

  #into(type: MessageType, buf: Uint8Array, out: Record<string, unknown>): void {
    for (const wf of readFields(buf)) {
      const f = this.#schema.fieldByTag(type, wf.tag);
      if (!f) {
        const emb = type.embedded?.find((e) => e.tag === wf.tag);
        const inner = emb && this.#schema.type(emb.type);
        // Unknown fields are skipped, as Go's generated unmarshalers do.
        if (inner) this.#into(inner, bytesOf(wf, emb.type), out);
        continue;
      }
      this.#field(f, wf, out);
    }
    for (const f of type.fields) {
      if (!f.pointer && f.name in out && isZero(f.type, out[f.name])) delete out[f.name];
    }
  }

  #field(f: Field, wf: WireField, out: Record<string, unknown>): void {
    const t = f.type;
    if (t.kind === 'list') {
      const list = (out[f.name] ??= []) as unknown[];
      if (wf.wireType === WIRE_BYTES && t.items.kind === 'scalar' && isPackable(t.items.scalar)) {
        list.push(...this.#packed(t.items.scalar, wf.bytes!));
      } else {
        list.push(this.#value(t.items, wf, f.name));
      }
      return;
    }
    if (t.kind === 'map') {
      const map = (out[f.name] ??= {}) as Record<string, unknown>;
      let key = '';
      let value: unknown = undefined;
      for (const e of readFields(bytesOf(wf, f.name))) {
        if (e.tag === 1) key = toUtf8(bytesOf(e, f.name));
        else if (e.tag === 2) value = this.#value(t.values, e, f.name);
      }
      map[key] = value === undefined ? zeroOf(t.values) : value;
      return;
    }
    const v = this.#value(t, wf, f.name);
    if (v === undefined) delete out[f.name];
    else out[f.name] = v;
  }

  /** One value; `undefined` for special values that mean "unset" (a zero Time). */
  #value(t: TypeRef, wf: WireField, name: string): unknown {
    switch (t.kind) {
      case 'scalar':
        return scalar(t.scalar, wf, name);
      case 'special':
        return special(t.special, bytesOf(wf, name));
      case 'message': {
        const type = this.#schema.type(t.name);
        if (!type) throw new WireError(`no schema for ${t.name}`);
        return this.message(type, bytesOf(wf, name));
      }
      default:
        throw new WireError(`proto: nested collection in field ${name}`);
    }
  }

  #packed(s: string, buf: Uint8Array): unknown[] {
    const out: unknown[] = [];
    let pos = 0;
    while (pos < buf.length) {
      if (s === 'double') {
        out.push(toDouble(buf.subarray(pos, pos + 8)));
        pos += 8;
        continue;
      }
      const [v, next] = readVarint(buf, pos);
      pos = next;
      out.push(s === 'bool' ? v !== 0 : s === 'int32' ? toInt32(v) : toInt64(v));
    }
    return out;
  }
}

function isPackable(s: string): boolean {
  return s === 'int32' || s === 'int64' || s === 'bool' || s === 'double';
}

function bytesOf(wf: WireField, name: string): Uint8Array {
  if (wf.wireType !== WIRE_BYTES) throw new WireError(`proto: wrong wireType = ${wf.wireType} for field ${name}`);
  return wf.bytes!;
}

function scalar(s: string, wf: WireField, name: string): unknown {
  const wrong = () => new WireError(`proto: wrong wireType = ${wf.wireType} for field ${name}`);
  switch (s) {
    case 'string':
      return toUtf8(bytesOf(wf, name));
    case 'bytes':
      return Buffer.from(bytesOf(wf, name)).toString('base64');
    case 'double':
      if (wf.wireType !== WIRE_FIXED64) throw wrong();
      return toDouble(wf.bytes!);
    default:
      if (wf.wireType !== WIRE_VARINT) throw wrong();
      if (s === 'bool') return wf.varint !== 0;
      return s === 'int32' ? toInt32(wf.varint!) : toInt64(wf.varint!);
  }
}

function special(s: Special, buf: Uint8Array): unknown {
  const fields = new Map<number, WireField>();
  for (const f of readFields(buf)) fields.set(f.tag, f);
  const str = (tag: number) => {
    const f = fields.get(tag);
    return f ? toUtf8(bytesOf(f, s)) : '';
  };
  const int = (tag: number) => {
    const f = fields.get(tag);
    if (!f) return 0;
    if (f.wireType !== WIRE_VARINT) throw new WireError(`proto: wrong wireType = ${f.wireType} for field ${s}`);
    return toInt64(f.varint!);
  };
  switch (s) {
    case 'Quantity':
      return str(1);
    case 'IntOrString':
      // type 1 is String; anything else reads as Int.
      return int(1) === 1 ? str(3) : toInt32(int(2));
    case 'Time':
      // Go writes a zero Time as an empty message, and reads back seconds only.
      return buf.length === 0 ? undefined : formatTime(int(1), 0, false);
    case 'MicroTime':
      return buf.length === 0 ? undefined : formatTime(int(1), toInt32(int(2)), true);
    case 'Duration':
      return formatDuration(int(1));
    case 'RawExtension':
    case 'JSON':
    case 'FieldsV1': {
      const f = fields.get(1);
      if (!f) return undefined;
      const raw = bytesOf(f, s);
      return raw.length === 0 ? undefined : JSON.parse(toUtf8(raw));
    }
  }
}

/** RFC 3339 in UTC, as metav1.Time (seconds) and MicroTime (microseconds) print. */
export function formatTime(seconds: number, nanos: number, micro: boolean): string {
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (!micro) return `${iso}Z`;
  return `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** A duration in nanoseconds, printed the way Go's time.Duration.String does. */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const abs = Math.abs(ns);
  const frac = (v: number, unit: number) => trimZeros((v / unit).toFixed(Math.log10(unit)));
  if (abs < 1e3) return `${sign}${abs}ns`;
  if (abs < 1e6) return `${sign}${frac(abs, 1e3)}µs`;
  if (abs < 1e9) return `${sign}${frac(abs, 1e6)}ms`;
  const h = Math.floor(abs / 3600e9);
  const m = Math.floor((abs % 3600e9) / 60e9);
  const s = frac(abs % 60e9, 1e9);
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** The JSON a Go zero value of a map's value type marshals to. */
function zeroOf(t: TypeRef): unknown {
  if (t.kind === 'scalar') return t.scalar === 'string' || t.scalar === 'bytes' ? '' : t.scalar === 'bool' ? false : 0;
  if (t.kind === 'special') return t.special === 'Quantity' ? '0' : t.special === 'IntOrString' ? 0 : null;
  if (t.kind === 'message') return {};
  return null;
}

/** Whether a decoded value is the Go zero value of a non-pointer field. */
function isZero(t: TypeRef, v: unknown): boolean {
  switch (t.kind) {
    case 'scalar':
      return v === '' || v === 0 || v === false;
    case 'special':
      if (t.special === 'Quantity') return v === '' || v === '0';
      return v === undefined || v === 0 || v === '';
    case 'message':
      return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
    default:
      return Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0;
  }
}
