/**
 * The message schema format for the CRI codec: a compact text table per
 * area (`messages-*.ts`), parsed once on first use. Text keeps the field
 * numbers legible next to the TypeScript interfaces they describe.
 *
 * ```text
 * enum Protocol TCP=0 UDP=1 SCTP=2
 * PortMapping
 *   protocol 1 Protocol
 *   containerPort 2 int32
 *   hostIp 4 string
 * PodSandboxConfig
 *   metadata 1 PodSandboxMetadata
 *   portMappings 5 []PortMapping
 *   labels 6 {}string
 * ```
 *
 * A line at column 0 starts a message (`Name`) or declares an enum
 * (`enum Name A=0 B=1 …`, value 0 first: it is the proto3 default). Field
 * lines are indented: `<jsName> <number> <type>`. Types are the scalars
 * (`string bytes bool int32 int64 uint32 uint64 double`, and `uint64s`: a
 * uint64 kept exact as a decimal string, for ids), an enum or a
 * message by name; `[]` makes a repeated field, `{}` a `map<string, T>`
 * (the CRI only has string-keyed maps).
 */

/** Scalar kinds the CRI messages use. */
export type ScalarKind = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'double' | 'uint64s';

export interface FieldDesc {
  /** The property name on the JavaScript object. */
  name: string;
  /** The protobuf field number. */
  no: number;
  kind: ScalarKind | 'enum' | 'message';
  /** For enums and messages: the referenced type's name. */
  ref?: string;
  repeated: boolean;
  /** `map<string, T>`: the field's kind describes the values. */
  map: boolean;
}

export interface MessageDesc {
  name: string;
  fields: FieldDesc[];
  byNo: Map<number, FieldDesc>;
}

export interface EnumDesc {
  name: string;
  byValue: Map<number, string>;
  byName: Map<string, number>;
  /** The name of value 0, what an absent field decodes to. */
  zero: string;
}

export interface Schema {
  messages: Map<string, MessageDesc>;
  enums: Map<string, EnumDesc>;
}

/** A schema text that does not parse or refers to unknown types: a programming error. */
export class SchemaError extends Error {
  override name = 'SchemaError';
}

const scalars = new Set<string>(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'uint64s']);

/** Parses and cross-checks schema texts (all of them share one namespace). */
export function parseSchema(...texts: string[]): Schema {
  const messages = new Map<string, MessageDesc>();
  const enums = new Map<string, EnumDesc>();
  let current: MessageDesc | undefined;
  for (const text of texts) {
    for (const raw of text.split('\n')) {
      if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
      const words = raw.trim().split(/\s+/);
      if (!raw.startsWith(' ')) {
        if (words[0] === 'enum') {
          enums.set(words[1], parseEnum(words));
          current = undefined;
        } else {
          if (words.length !== 1 || messages.has(words[0])) throw new SchemaError(`bad or duplicate message line: ${raw}`);
          current = { name: words[0], fields: [], byNo: new Map() };
          messages.set(current.name, current);
        }
        continue;
      }
      if (!current || words.length !== 3) throw new SchemaError(`bad field line: ${raw}`);
      const field = parseField(words);
      if (current.byNo.has(field.no)) throw new SchemaError(`${current.name}: duplicate field number ${field.no}`);
      current.fields.push(field);
      current.byNo.set(field.no, field);
    }
  }
  // Resolve type names now, so a typo fails the first test rather than a call.
  for (const m of messages.values()) {
    for (const f of m.fields) {
      if (f.kind !== 'message') continue;
      if (enums.has(f.ref!)) f.kind = 'enum';
      else if (!messages.has(f.ref!)) throw new SchemaError(`${m.name}.${f.name}: unknown type ${f.ref}`);
    }
  }
  return { messages, enums };
}

function parseEnum(words: string[]): EnumDesc {
  const byValue = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const w of words.slice(2)) {
    const [name, value] = w.split('=');
    const n = Number(value);
    if (!name || !Number.isInteger(n)) throw new SchemaError(`enum ${words[1]}: bad value ${w}`);
    byValue.set(n, name);
    byName.set(name, n);
  }
  const zero = byValue.get(0);
  if (zero === undefined) throw new SchemaError(`enum ${words[1]} has no zero value`);
  return { name: words[1], byValue, byName, zero };
}

function parseField([name, no, type]: string[]): FieldDesc {
  const n = Number(no);
  if (!Number.isInteger(n) || n < 1 || n > 536870911) throw new SchemaError(`field ${name}: bad number ${no}`);
  let t = type;
  let repeated = false;
  let map = false;
  if (t.startsWith('[]')) {
    repeated = true;
    t = t.slice(2);
  } else if (t.startsWith('{}')) {
    map = true;
    t = t.slice(2);
  }
  if (scalars.has(t)) return { name, no: n, kind: t as ScalarKind, repeated, map };
  return { name, no: n, kind: 'message', ref: t, repeated, map };
}
