/**
 * The JSON form of an empty Go object of a type, as upstream's field
 * manager sees the "live" object of a create: Go always writes struct
 * fields (`"spec":{}`, `"status":{}`), writes `null` for required pointer,
 * list and map fields and for zero timestamps, and writes zero scalars for
 * required scalar fields. Comparing a new object with this (rather than
 * with `{}`) decides which nodes an owner's FieldsV1 marks with `"."`,
 * exactly as a real apiserver marks them (`f:strategy` has no `.`,
 * `f:rollingUpdate` has one).
 */
import type { JsonObject } from '../patch/json-value.ts';
import type { Field, MessageType, Schema } from '../schema/types.ts';

/** The zero value of `type`; `depth` guards recursive types. */
export function zeroObject(type: MessageType, schema: Schema, depth = 0): JsonObject {
  const out: JsonObject = {};
  if (depth > 32) return out;
  for (const f of type.fields) {
    const v = zeroField(f, schema, depth);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

function zeroField(f: Field, schema: Schema, depth: number): unknown {
  const t = f.type;
  if (f.pointer || t.kind === 'list' || t.kind === 'map') return f.required ? null : undefined;
  switch (t.kind) {
    case 'message': {
      const sub = schema.type(t.name);
      return sub ? zeroObject(sub, schema, depth + 1) : {};
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
