/**
 * The schema text format. Each group version's types live in one template
 * string (`data.ts`); types are found by a cheap scan and parsed on first
 * use. Text keeps the data legible in review and costs little to load and
 * hold.
 *
 * A type starts at column 0, its fields follow indented by two spaces:
 *
 * ```text
 * Deployment kind=apps/v1
 *   apiVersion 0 string
 *   metadata 1 meta.ObjectMeta def={}
 *   spec 2 DeploymentSpec def={}
 * DeploymentSpec
 *   replicas 1 *int32
 *   selector 2 *meta.LabelSelector req
 *   strategy 4 DeploymentStrategy smp=retainKeys def={}
 * Volume
 *   name 1 string req def=""
 *   +VolumeSource 2
 * ```
 *
 * Type line words after the name:
 * - `kind=<group>/<version>` or `kind=<version>` (core): a top-level kind;
 *   a trailing `*` marks a kind every group version shares (`DeleteOptions`).
 * - `atomic` / `granular`: `+structType`.
 * - `union=<discriminator>:<field>=<Value>,…`: `x-kubernetes-unions`.
 *
 * Fields are listed in Go struct order. A line `+<Type> <tag>` marks a
 * struct embedded inline through protobuf field `<tag>`; its fields are
 * copied into this type at that place (see `Field.inline`).
 *
 * Field line: `<jsonName> <protobuf tag> <type> [attributes]`. Tag 0 is a
 * field that is never on the protobuf wire (`apiVersion`, `kind`). Types:
 * `string int32 int64 bool double bytes`, the specials (`Quantity`,
 * `IntOrString`, `Time`, `MicroTime`, `Duration`, `RawExtension`, `JSON`,
 * `FieldsV1`), or a message: `Name` in this group version, `alias.Name`
 * elsewhere. Prefixes: `*` Go pointer, `[]` list, `{}` map with string
 * keys (lists and maps are pointer-like). Attributes:
 * - `req`: required;
 * - `smp=<strategy>[:<mergeKey>]`: `patchStrategy` / `patchMergeKey`;
 * - `list=<type>[:<key>,…]`: `+listType` / `+listMapKey`;
 * - `map=<type>`: `+mapType` (on a message field: `x-kubernetes-map-type`);
 * - `enum=<a>|<b>|…`: enum values (an empty value is allowed);
 * - `def=<json>`: upstream OpenAPI default, compact JSON without spaces.
 */
import type { Field, MessageType, Scalar, Special, TypeRef } from './types.ts';

/** One group version's text and the OpenAPI name prefix of its types. */
export interface SchemaText {
  /** e.g. `io.k8s.api.apps.v1`. */
  prefix: string;
  text: string;
}

const scalars = new Set<string>(['string', 'int32', 'int64', 'bool', 'double', 'bytes']);
const specials = new Set<string>(['Quantity', 'IntOrString', 'Time', 'MicroTime', 'Duration', 'RawExtension', 'JSON', 'FieldsV1']);
/**
 * TypeRefs are shared between fields (there are far fewer distinct types
 * than fields); nobody mutates them.
 */
const typeRefs = new Map<string, TypeRef>();
const strategies = new Set(['merge', 'replace', 'retainKeys', 'merge,retainKeys']);

/** Where one type's text sits, found by a cheap scan; parsed on first use. */
export interface TypeChunk {
  /** OpenAPI name, e.g. `io.k8s.api.apps.v1.Deployment`. */
  name: string;
  src: SchemaText;
  /** The type line. */
  header: string;
  /** Offset of the type line in `src.text`, for error messages. */
  offset: number;
  /** The field lines (possibly with blank and comment lines). */
  body: string;
}

/**
 * Finds the types of one group version without parsing their fields, so
 * loading costs one regular-expression pass; a server that only ever
 * decodes Deployments never parses the volume sources.
 */
export function scanSchemaText(src: SchemaText): TypeChunk[] {
  const chunks: TypeChunk[] = [];
  const re = /^[A-Za-z][^\n]*$/gm;
  let prev: RegExpExecArray | null = null;
  const close = (until: number) => {
    if (!prev) return;
    const header = prev[0];
    const space = header.indexOf(' ');
    const short = space < 0 ? header : header.slice(0, space);
    const end = prev.index + header.length;
    chunks.push({ name: `${src.prefix}.${short}`, src, header, offset: prev.index, body: src.text.slice(end, until) });
  };
  for (let m = re.exec(src.text); m; m = re.exec(src.text)) {
    close(m.index);
    prev = m;
  }
  close(src.text.length);
  return chunks;
}

/** Parses a type line: name and type attributes, no fields. */
export function parseTypeHeader(chunk: TypeChunk): MessageType {
  return parseTypeLine(chunk.src.prefix, chunk.header.split(' '), failer(chunk, 0, chunk.header));
}

/**
 * Parses a whole type. `aliases` maps the short package names used in
 * cross-package references (`meta`, `core`) to their prefixes. Embedded
 * fields are not copied here: that needs the other types (see index.ts).
 * Throws on malformed text, naming the line: the data is ours and must be exact.
 */
export function parseType(chunk: TypeChunk, aliases: Record<string, string>): MessageType {
  const t = parseTypeHeader(chunk);
  const lines = chunk.body.split('\n');
  let i = 0;
  const fail = (why: string): never => failer(chunk, i, lines[i])(why);
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (!line.startsWith('  ')) fail('expected an indented field line');
    const words = line.trim().split(' ');
    if (words[0].startsWith('+')) {
      const tag = Number(words[1]);
      if (words.length !== 2 || !Number.isInteger(tag) || tag <= 0) fail('an embedded struct line is +<Type> <tag>');
      (t.embedded ??= []).push({ type: `${chunk.src.prefix}.${words[0].slice(1)}`, tag, position: t.fields.length });
      continue;
    }
    t.fields.push(parseFieldLine(chunk.src.prefix, aliases, words, fail));
  }
  return t;
}

/** Parses every type of one group version (tests and tools). */
export function parseSchemaText(src: SchemaText, aliases: Record<string, string>): MessageType[] {
  return scanSchemaText(src).map((c) => parseType(c, aliases));
}

function failer(chunk: TypeChunk, offset: number, line: string): (why: string) => never {
  return (why) => {
    const at = chunk.src.text.slice(0, chunk.offset).split('\n').length + offset;
    throw new Error(`schema ${chunk.src.prefix} line ${at}: ${why}: ${line}`);
  };
}

function parseTypeLine(prefix: string, words: string[], fail: (why: string) => never): MessageType {
  const t: MessageType = { name: `${prefix}.${words[0]}`, fields: [] };
  for (const w of words.slice(1)) {
    if (w.startsWith('kind=')) {
      let gv = w.slice(5);
      if (gv.endsWith('*')) {
        t.sharedKind = true;
        gv = gv.slice(0, -1);
      }
      const slash = gv.lastIndexOf('/');
      t.gvk = { group: slash < 0 ? '' : gv.slice(0, slash), version: gv.slice(slash + 1), kind: words[0] };
    } else if (w === 'atomic' || w === 'granular') {
      t.structType = w;
    } else if (w.startsWith('union=')) {
      const [discriminator, list] = w.slice(6).split(':');
      const fields: Record<string, string> = {};
      for (const kv of list.split(',')) {
        const [k, v] = kv.split('=');
        fields[k] = v;
      }
      (t.unions ??= []).push({ discriminator, fields });
    } else {
      fail(`unknown type attribute ${w}`);
    }
  }
  return t;
}

function parseFieldLine(
  prefix: string,
  aliases: Record<string, string>,
  words: string[],
  fail: (why: string) => never,
): Field {
  if (words.length < 3) fail('a field needs a name, a tag and a type');
  const tag = Number(words[1]);
  if (!Number.isInteger(tag) || tag < 0) fail('bad tag');
  let spec = words[2];
  let pointer = false;
  if (spec.startsWith('*')) {
    pointer = true;
    spec = spec.slice(1);
  }
  const cacheKey = `${prefix} ${spec}`;
  let type = typeRefs.get(cacheKey);
  if (!type) typeRefs.set(cacheKey, (type = parseTypeRef(prefix, aliases, spec, fail)));
  if (type.kind === 'list' || type.kind === 'map') pointer = true;
  const f: Field = { name: words[0], tag, type, pointer };
  for (const w of words.slice(3)) {
    const eq = w.indexOf('=');
    const key = eq < 0 ? w : w.slice(0, eq);
    const value = eq < 0 ? '' : w.slice(eq + 1);
    switch (key) {
      case 'req':
        f.required = true;
        break;
      case 'smp': {
        const [strategy, mergeKey] = value.split(':');
        if (!strategies.has(strategy)) fail(`unknown patch strategy ${strategy}`);
        f.patchStrategy = strategy as Field['patchStrategy'];
        if (mergeKey) f.patchMergeKey = mergeKey;
        break;
      }
      case 'list': {
        const [listType, keys] = value.split(':');
        if (listType !== 'atomic' && listType !== 'set' && listType !== 'map') fail(`unknown list type ${listType}`);
        f.listType = listType as Field['listType'];
        if (keys) f.listMapKeys = keys.split(',');
        break;
      }
      case 'map':
        if (value !== 'atomic' && value !== 'granular') fail(`unknown map type ${value}`);
        f.mapType = value as Field['mapType'];
        break;
      case 'enum':
        f.enum = value.split('|');
        break;
      case 'def':
        f.default = JSON.parse(value);
        break;
      default:
        fail(`unknown field attribute ${w}`);
    }
  }
  return f;
}

function parseTypeRef(prefix: string, aliases: Record<string, string>, spec: string, fail: (why: string) => never): TypeRef {
  if (spec.startsWith('[]')) return { kind: 'list', items: parseTypeRef(prefix, aliases, spec.slice(2), fail) };
  if (spec.startsWith('{}')) return { kind: 'map', values: parseTypeRef(prefix, aliases, spec.slice(2), fail) };
  if (scalars.has(spec)) return { kind: 'scalar', scalar: spec as Scalar };
  if (specials.has(spec)) return { kind: 'special', special: spec as Special };
  const dot = spec.indexOf('.');
  if (dot < 0) return { kind: 'message', name: `${prefix}.${spec}` };
  const target = aliases[spec.slice(0, dot)];
  if (!target) fail(`unknown package alias in ${spec}`);
  return { kind: 'message', name: `${target}.${spec.slice(dot + 1)}` };
}
