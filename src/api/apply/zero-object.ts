/**
 * Objects as upstream's field manager sees them: converted to Go types and
 * back (`runtime.DefaultUnstructuredConverter.ToUnstructured`). That round
 * trip always writes struct fields (`"spec":{}`, `"status":{}`), writes
 * `null` for required pointer, list and map fields and for zero
 * timestamps, and drops empty optional values. Ownership is computed on
 * this form, so whether a stored object spells out `"status":{}` or not
 * changes nothing, and a create compares against the empty object
 * (`f:strategy` gets no `"."`, `f:rollingUpdate` does), exactly as a real
 * apiserver records it.
 */
import { isObject, type JsonObject } from '../patch/json-value.ts';
import type { Field, MessageType, Schema, TypeRef } from '../schema/types.ts';

/** Nesting limit for recursive types. */
const maxDepth = 64;

/** The typed form of the empty object of `type`. */
export function zeroObject(type: MessageType, schema: Schema): JsonObject {
  return typedForm({}, type, schema);
}

/** A deep copy of `obj` in the form a Go round trip gives it. Unknown fields are kept as they are. */
export function typedForm(obj: JsonObject, type: MessageType, schema: Schema, depth = 0): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    const f = schema.field(type, k);
    if (!f) {
      out[k] = structuredClone(v);
      continue;
    }
    const value = fieldValue(f, v, schema, depth);
    if (value !== undefined) out[k] = value;
  }
  for (const f of type.fields) {
    if (Object.hasOwn(out, f.name) || Object.hasOwn(obj, f.name)) continue;
    const zero = zeroField(f, schema, depth);
    if (zero !== undefined) out[f.name] = zero;
  }
  return out;
}

/** The typed form of a present field, or undefined when Go would leave it out. */
function fieldValue(f: Field, v: unknown, schema: Schema, depth: number): unknown {
  if (v === null || v === undefined) return zeroField(f, schema, depth);
  const t = f.type;
  const nilable = f.pointer || t.kind === 'list' || t.kind === 'map';
  if (!f.required) {
    if ((t.kind === 'list' && Array.isArray(v) && v.length === 0) || (t.kind === 'map' && isObject(v) && Object.keys(v).length === 0)) {
      return undefined;
    }
    if (!nilable && t.kind === 'scalar' && (v === '' || v === 0 || v === false)) return undefined;
  }
  return valueOf(t, v, schema, depth);
}

function valueOf(t: TypeRef, v: unknown, schema: Schema, depth: number): unknown {
  if (depth > maxDepth) return structuredClone(v);
  switch (t.kind) {
    case 'message': {
      const sub = schema.type(t.name);
      return sub && isObject(v) ? typedForm(v, sub, schema, depth + 1) : structuredClone(v);
    }
    case 'list':
      return Array.isArray(v) ? v.map((x) => valueOf(t.items, x, schema, depth + 1)) : structuredClone(v);
    case 'map':
      return isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, valueOf(t.values, x, schema, depth + 1)])) : structuredClone(v);
    default:
      return structuredClone(v);
  }
}

/** What Go writes for an unset field: nothing, null, a zero scalar or an empty struct. */
function zeroField(f: Field, schema: Schema, depth: number): unknown {
  const t = f.type;
  if (f.pointer || t.kind === 'list' || t.kind === 'map') return f.required ? null : undefined;
  switch (t.kind) {
    case 'message': {
      const sub = schema.type(t.name);
      return sub && depth <= maxDepth ? typedForm({}, sub, schema, depth + 1) : {};
    }
    case 'special':
      switch (t.special) {
        case 'Time':
        case 'MicroTime':
        case 'RawExtension':
        case 'JSON':
        case 'FieldsV1':
          return null;
        case 'Quantity':
          return '0';
        case 'IntOrString':
          return 0;
        case 'Duration':
          return '0s';
      }
      return undefined;
    case 'scalar':
      if (!f.required) return undefined;
      switch (t.scalar) {
        case 'string':
        case 'bytes':
          return '';
        case 'bool':
          return false;
        default:
          return 0;
      }
  }
}

/**
 * A copy of `v` with object keys in the order of the Go struct fields
 * (unknown fields after them), as upstream's typed objects serialize.
 */
export function inSchemaOrder(v: unknown, ref: TypeRef | undefined, schema: Schema, depth = 0): unknown {
  if (!ref || depth > maxDepth) return v;
  if (ref.kind === 'list') return Array.isArray(v) ? v.map((x) => inSchemaOrder(x, ref.items, schema, depth + 1)) : v;
  if (ref.kind === 'map') {
    return isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inSchemaOrder(x, ref.values, schema, depth + 1)])) : v;
  }
  if (ref.kind !== 'message' || !isObject(v)) return v;
  const type = schema.type(ref.name);
  if (!type) return v;
  const out: JsonObject = {};
  for (const f of type.fields) {
    if (Object.hasOwn(v, f.name)) out[f.name] = inSchemaOrder(v[f.name], f.type, schema, depth + 1);
  }
  for (const [k, x] of Object.entries(v)) if (!Object.hasOwn(out, k)) out[k] = x;
  return out;
}
