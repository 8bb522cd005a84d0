/**
 * JSON request decoding against the schema, with the outcomes Go's decoder
 * (sigs.k8s.io/json over encoding/json) gives the real apiserver:
 *
 * - a value of the wrong JSON type fails the request with the message Go
 *   prints (`json: cannot unmarshal string into Go struct field
 *   DeploymentSpec.spec.replicas of type int32`), behind the apiserver's
 *   `<Kind> in version "<v>" cannot be handled as a <Kind>: ` prefix;
 * - unknown fields are dropped and reported by path
 *   (`spec.template.spec.containers[0].imagee`), so the caller can apply
 *   `fieldValidation` (Strict: 400, Warn: a warning, Ignore: nothing);
 * - `null` is the zero value: the field is left out, a null list item or
 *   map value becomes the zero value of its type;
 * - quantities and times come out in the canonical form Go would write back.
 *
 * Field names match exactly (Kubernetes decodes case-sensitively).
 * Known gaps: duplicate keys and number spellings (`1.0`, `1e3` for an
 * integer) are invisible once JSON.parse has run.
 */
import { errors } from '../errors.ts';
import { parseQuantity } from '../quantity.ts';
import { schema as builtin } from './index.ts';
import type { MessageType, Schema, Special, TypeRef } from './types.ts';

export interface DecodeContext {
  group: string;
  version: string;
  kind: string;
}

export interface DecodeResult {
  object: Record<string, unknown>;
  /** Paths of the fields that were dropped, in document order. */
  unknownFields: string[];
}

/** A Go decoding failure: the text after the apiserver's prefix. */
class GoError extends Error {}

/**
 * Decodes a request object of a known kind. Throws a 400 BadRequest
 * ApiError on a type mismatch; returns the pruned object otherwise.
 */
export function decodeObject(type: MessageType, obj: unknown, ctx: DecodeContext, schema: Schema = builtin): DecodeResult {
  const unknownFields: string[] = [];
  try {
    if (!isObject(obj)) throw new GoError(`json: cannot unmarshal ${jsonKind(obj)} into Go value of type ${goMessageName(type.name)}`);
    const object = new Decoder(schema, unknownFields).message(type, obj, '', '');
    return { object, unknownFields };
  } catch (e) {
    if (e instanceof GoError) throw errors.badRequest(`${ctx.kind} in version "${ctx.version}" cannot be handled as a ${ctx.kind}: ${e.message}`);
    throw e;
  }
}

/**
 * Drops unknown fields from a partial object such as a patch body, without
 * type checks and keeping `null` (which deletes in merge patches). With
 * `directives`, strategic-merge-patch keys (`$patch`, `$retainKeys`,
 * `$setElementOrder/…`, `$deleteFromPrimitiveList/…`) are kept.
 */
export function pruneUnknownFields(
  type: MessageType,
  obj: Record<string, unknown>,
  opts: { directives?: boolean } = {},
  schema: Schema = builtin,
): DecodeResult {
  const unknownFields: string[] = [];
  const prune = (t: MessageType, o: Record<string, unknown>, path: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (opts.directives && k.startsWith('$')) {
        out[k] = v;
        continue;
      }
      const f = schema.field(t, k);
      if (!f) {
        unknownFields.push(join(path, k));
        continue;
      }
      out[k] = pruneValue(f.type, v, join(path, k));
    }
    return out;
  };
  const pruneValue = (t: TypeRef, v: unknown, path: string): unknown => {
    if (t.kind === 'message' && isObject(v)) {
      const mt = schema.type(t.name);
      return mt ? prune(mt, v, path) : v;
    }
    if (t.kind === 'list' && Array.isArray(v)) return v.map((x, i) => pruneValue(t.items, x, `${path}[${i}]`));
    if (t.kind === 'map' && isObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = opts.directives && k.startsWith('$') ? x : pruneValue(t.values, x, `${path}.${k}`);
      return out;
    }
    return v;
  };
  return { object: prune(type, obj, ''), unknownFields };
}

class Decoder {
  readonly #schema: Schema;
  readonly #unknown: string[];

  constructor(schema: Schema, unknown: string[]) {
    this.#schema = schema;
    this.#unknown = unknown;
  }

  /**
   * `path` names fields with list indexes (for unknown-field reports);
   * `goPath` without them, as Go's type errors do.
   */
  message(type: MessageType, obj: Record<string, unknown>, path: string, goPath: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const struct = shortName(type.name);
    for (const [k, v] of Object.entries(obj)) {
      const f = this.#schema.field(type, k);
      if (!f) {
        this.#unknown.push(join(path, k));
        continue;
      }
      // JSON null is Go's zero value; a JavaScript undefined (in-process callers) is simply absent.
      if (v === null || v === undefined) continue;
      const value = this.#value(f.type, v, join(path, k), join(goPath, k), struct);
      if (value !== undefined) out[k] = value;
    }
    return out;
  }

  /** Decodes one non-null value; `struct` is the Go struct holding the field, for error messages. */
  #value(t: TypeRef, v: unknown, path: string, goPath: string, struct: string): unknown {
    const mismatch = (what = jsonKind(v)): never => {
      throw new GoError(`json: cannot unmarshal ${what} into Go struct field ${struct}.${goPath} of type ${goTypeName(t)}`);
    };
    switch (t.kind) {
      case 'scalar':
        return scalar(t.scalar, v, mismatch);
      case 'special':
        return special(t.special, v);
      case 'message': {
        if (!isObject(v)) return mismatch();
        const mt = this.#schema.type(t.name);
        if (!mt) throw new Error(`schema: unknown type ${t.name}`);
        return this.message(mt, v, path, goPath);
      }
      case 'list': {
        if (!Array.isArray(v)) return mismatch();
        return v.map((item, i) => (item === null ? zeroOf(t.items) : this.#value(t.items, item, `${path}[${i}]`, goPath, struct)));
      }
      case 'map': {
        if (!isObject(v)) return mismatch();
        const out: Record<string, unknown> = {};
        for (const [k, item] of Object.entries(v)) {
          if (item === undefined) continue;
          out[k] = item === null ? zeroOf(t.values) : this.#value(t.values, item, `${path}.${k}`, goPath, struct);
        }
        return out;
      }
    }
  }
}

function scalar(s: string, v: unknown, mismatch: (what?: string) => never): unknown {
  switch (s) {
    case 'string':
      return typeof v === 'string' ? v : mismatch();
    case 'bool':
      return typeof v === 'boolean' ? v : mismatch();
    case 'double':
      return typeof v === 'number' ? v : mismatch();
    case 'bytes':
      if (typeof v === 'string') return checkBase64(v);
      // Go also fills a []byte from an array of small numbers.
      if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return Buffer.from(v as number[]).toString('base64');
      return mismatch();
    default: {
      if (typeof v !== 'number') return mismatch();
      const limit = s === 'int32' ? 2 ** 31 : 2 ** 63;
      // Go names a number that does not fit with its literal: `number 1.5`.
      if (!Number.isInteger(v) || v < -limit || v >= limit) return mismatch(`number ${v}`);
      return v;
    }
  }
}

const base64Re = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function checkBase64(s: string): string {
  if (base64Re.test(s)) return s;
  // Go names the offset of the first bad byte.
  let i = 0;
  while (i < s.length && /[A-Za-z0-9+/]/.test(s[i])) i++;
  if (i === s.length || s[i] === '=') i = Math.max(0, s.length - (s.length % 4 || 4));
  throw new GoError(`illegal base64 data at input byte ${i}`);
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function special(s: Special, v: unknown): unknown {
  switch (s) {
    case 'IntOrString':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) return v;
      throw new GoError(`json: cannot unmarshal ${jsonKind(v)}${typeof v === 'number' ? ` ${v}` : ''} into Go value of type int32`);
    case 'Quantity': {
      const r = parseQuantity(typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v));
      if (!r.ok) throw new GoError(r.message);
      return r.quantity.toString();
    }
    case 'Time':
    case 'MicroTime': {
      if (typeof v !== 'string') throw new GoError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
      const m = rfc3339.exec(v);
      const ms = m ? Date.parse(v) : NaN;
      if (!m || Number.isNaN(ms)) {
        const layout = s === 'Time' ? '2006-01-02T15:04:05Z07:00' : '2006-01-02T15:04:05.000000Z07:00';
        throw new GoError(`parsing time ${JSON.stringify(v)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(v)} as "2006"`);
      }
      const iso = new Date(ms).toISOString().slice(0, 19);
      if (s === 'Time') return `${iso}Z`;
      const micros = ((m[7] ?? '.').slice(1) + '000000').slice(0, 6);
      return `${iso}.${micros}Z`;
    }
    case 'Duration':
      if (typeof v !== 'string') throw new GoError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
      return v;
    default:
      // RawExtension, JSON, FieldsV1: any JSON, kept as sent.
      return v;
  }
}

/** The JSON a Go zero value marshals to, for null list items and map values. */
function zeroOf(t: TypeRef): unknown {
  if (t.kind === 'scalar') return t.scalar === 'string' || t.scalar === 'bytes' ? '' : t.scalar === 'bool' ? false : 0;
  if (t.kind === 'special') return t.special === 'Quantity' ? '0' : t.special === 'IntOrString' ? 0 : null;
  if (t.kind === 'message') return {};
  return null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How Go's decoder names a JSON value in errors. */
function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string, number, object
}

function join(path: string, k: string): string {
  return path ? `${path}.${k}` : k;
}

function shortName(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/** Go package name of a message type: every version package here is `v1`. */
function goMessageName(name: string): string {
  return `v1.${shortName(name)}`;
}

const specialGoNames: Record<Special, string> = {
  Quantity: 'resource.Quantity',
  IntOrString: 'intstr.IntOrString',
  Time: 'v1.Time',
  MicroTime: 'v1.MicroTime',
  Duration: 'v1.Duration',
  RawExtension: 'runtime.RawExtension',
  JSON: 'v1.JSON',
  FieldsV1: 'v1.FieldsV1',
};

/** The Go type as `reflect.Type.String()` prints it (named string types show as `string`). */
function goTypeName(t: TypeRef): string {
  switch (t.kind) {
    case 'scalar':
      return t.scalar === 'bytes' ? '[]uint8' : t.scalar === 'double' ? 'float64' : t.scalar;
    case 'special':
      return specialGoNames[t.special];
    case 'message':
      return goMessageName(t.name);
    case 'list':
      return `[]${goTypeName(t.items)}`;
    case 'map':
      return `map[string]${goTypeName(t.values)}`;
  }
}
