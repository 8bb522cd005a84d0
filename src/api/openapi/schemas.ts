/**
 * OpenAPI v3 component schemas built from the type schema, in the shape a
 * Kubernetes 1.32 apiserver publishes them: `allOf: [{$ref}]` wrappers where
 * a reference carries a description or default, `format`s, enums, required
 * lists in Go field order, and the `x-kubernetes-*` extensions that
 * `kubectl explain` and client-side apply read (merge keys above all).
 */
import type { Field, MessageType, Schema, Special, TypeRef } from '../schema/types.ts';

/** A JSON Schema object as it appears in the document. */
export type JsonSchema = Record<string, unknown>;

export const refPrefix = '#/components/schemas/';

/** OpenAPI names of the special types, with the schema upstream gives each. */
const specialNames: Record<Special, string> = {
  Quantity: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
  IntOrString: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  Time: 'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  MicroTime: 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
  Duration: 'io.k8s.apimachinery.pkg.apis.meta.v1.Duration',
  RawExtension: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  JSON: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON',
  FieldsV1: 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
};

const specialSchemas: Record<Special, JsonSchema> = {
  Quantity: {
    description:
      'A fixed-point number with an optional unit suffix: binary (Ki, Mi, Gi, Ti, Pi, Ei), decimal (m, k, M, G, T, P, E) or a decimal exponent (e3). Examples: 100m, 1.5Gi, 2e3.',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  },
  IntOrString: {
    description: 'Either an integer or a string (for example a port number or a port name, a count or a percentage).',
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
  },
  Time: { description: 'A point in time, written in RFC 3339 with second precision, in UTC.', format: 'date-time', type: 'string' },
  MicroTime: { description: 'A point in time, written in RFC 3339 with microsecond precision, in UTC.', format: 'date-time', type: 'string' },
  Duration: { description: 'A length of time written as Go prints durations, e.g. 1h30m or 250ms.', type: 'string' },
  RawExtension: { description: 'An embedded object of any kind, kept as sent.', type: 'object' },
  JSON: { description: 'Any JSON value.' },
  FieldsV1: { description: 'A set of fields in the fieldsV1 encoding used by managedFields.', type: 'object' },
};

/** The OpenAPI name a type reference points to, if it points to a schema. */
export function refName(t: TypeRef): string | undefined {
  if (t.kind === 'message') return t.name;
  if (t.kind === 'special') return specialNames[t.special];
  return undefined;
}

/** Every schema name reachable from `roots`, roots included, in a stable order. */
export function reachable(schema: Schema, roots: Iterable<string>): string[] {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const t = schema.type(name);
    if (!t) continue;
    for (const f of t.fields) {
      for (let r: TypeRef = f.type; ; ) {
        if (r.kind === 'list') r = r.items;
        else if (r.kind === 'map') r = r.values;
        else {
          const n = refName(r);
          if (n) stack.push(n);
          break;
        }
      }
    }
  }
  return [...seen].sort();
}

/**
 * The component schema for a type or special-type name. `sharedGVKs`
 * lists the group versions a shared kind (DeleteOptions, WatchEvent)
 * appears in.
 */
export function componentSchema(
  schema: Schema,
  name: string,
  sharedGVKs: { group: string; version: string }[] = [],
): JsonSchema | undefined {
  const special = (Object.keys(specialNames) as Special[]).find((s) => specialNames[s] === name);
  if (special) return specialSchemas[special];
  const t = schema.type(name);
  return t && typeSchema(t, sharedGVKs);
}

function typeSchema(t: MessageType, sharedGVKs: { group: string; version: string }[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const f of [...t.fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    properties[f.name] = fieldSchema(f);
  }
  const out: JsonSchema = {};
  if (t.description) out.description = t.description;
  if (t.fields.length) out.properties = properties;
  // `fields` is in Go struct order, which is the order upstream lists required fields in.
  const required = t.fields.filter((f) => f.required).map((f) => f.name);
  if (required.length) out.required = required;
  out.type = 'object';
  if (t.gvk) {
    const gvks = t.sharedKind ? sharedGVKs.map((gv) => ({ ...gv, kind: t.gvk!.kind })) : [t.gvk];
    out['x-kubernetes-group-version-kind'] = gvks.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
  }
  if (t.structType === 'atomic') out['x-kubernetes-map-type'] = 'atomic';
  if (t.unions) {
    out['x-kubernetes-unions'] = t.unions.map((u) => ({ discriminator: u.discriminator, 'fields-to-discriminateBy': u.fields }));
  }
  return out;
}

function fieldSchema(f: Field): JsonSchema {
  // Upstream describes every field, so its field references always sit in allOf.
  const s = valueSchema(f.type, f.enum, true);
  if (f.default !== undefined) s.default = f.default;
  if (f.description) s.description = f.description;
  if (f.listMapKeys) s['x-kubernetes-list-map-keys'] = f.listMapKeys;
  if (f.listType) s['x-kubernetes-list-type'] = f.listType;
  if (f.mapType) s['x-kubernetes-map-type'] = f.mapType;
  if (f.patchMergeKey) s['x-kubernetes-patch-merge-key'] = f.patchMergeKey;
  if (f.patchStrategy) s['x-kubernetes-patch-strategy'] = f.patchStrategy;
  return sortKeys(s);
}

/**
 * The schema of a value. `wrapRef`: the reference will carry siblings, so
 * it goes in `allOf` (OpenAPI 3.0 ignores siblings of a bare `$ref`).
 */
function valueSchema(t: TypeRef, values: string[] | undefined, wrapRef: boolean): JsonSchema {
  switch (t.kind) {
    case 'scalar': {
      const s = scalarSchema(t.scalar);
      if (values) s.enum = values;
      return s;
    }
    case 'list':
      return { items: elementSchema(t.items, values), type: 'array' };
    case 'map':
      return { additionalProperties: elementSchema(t.values, values), type: 'object' };
    default: {
      const ref = { $ref: refPrefix + refName(t)! };
      return wrapRef ? { allOf: [ref] } : ref;
    }
  }
}

/** List items and map values carry the Go zero value as default, except for special types and bytes. */
function elementSchema(t: TypeRef, values: string[] | undefined): JsonSchema {
  if (t.kind === 'message') return { allOf: [{ $ref: refPrefix + t.name }], default: {} };
  const s = valueSchema(t, values, false);
  if (t.kind === 'scalar' && t.scalar !== 'bytes') s.default = t.scalar === 'string' ? '' : t.scalar === 'bool' ? false : 0;
  return sortKeys(s);
}

function scalarSchema(s: string): JsonSchema {
  switch (s) {
    case 'string':
      return { type: 'string' };
    case 'bytes':
      return { format: 'byte', type: 'string' };
    case 'int32':
    case 'int64':
      return { format: s, type: 'integer' };
    case 'double':
      return { format: 'double', type: 'number' };
    default:
      return { type: 'boolean' };
  }
}

/** Keys in alphabetical order, as upstream serializes them (keeps documents byte-stable). */
function sortKeys(s: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const k of Object.keys(s).sort()) out[k] = s[k];
  return out;
}
