/**
 * Go's dump of a PodTemplateSpec as upstream hashes it: go-spew's `%#v`
 * with sorted map keys and methods disabled, over the Go struct the
 * controller decoded. Each value is preceded by its Go type in parentheses
 * except slice elements, map keys and values, and a pointer's target;
 * structs print every field in declaration order (`Name:value`, space
 * separated), nil pointers, slices and maps print `<nil>`.
 *
 * The struct layout comes from the type schema (fields are in Go order,
 * embedded structs included); `go-types.ts` adds Go field and type names.
 * Decoding from protobuf leaves empty lists and maps nil, so they print as
 * nil here too. Timestamps inside templates are only reproduced when zero
 * (a decoded non-zero time carries a local time zone pointer Go prints in
 * full); Quantities follow resource.ParseQuantity's internal form.
 */
import { schema } from '../../api/schema/index.ts';
import type { Field, MessageType, TypeRef } from '../../api/schema/types.ts';
import type { Obj } from '../../client/types.ts';
import { fsTypeField, goFieldNames, goNamedTypes } from './go-types.ts';

type GoType =
  | { k: 'ptr'; elem: GoType }
  | { k: 'slice'; elem: GoType }
  | { k: 'map'; name?: string; elem: GoType }
  | { k: 'struct'; name: string; msg: MessageType }
  | { k: 'special'; name: string; special: string }
  | { k: 'basic'; name: string; basic: 'string' | 'int' | 'bool' | 'float' };

function typeString(t: GoType): string {
  switch (t.k) {
    case 'ptr':
      return `*${typeString(t.elem)}`;
    case 'slice':
      return `[]${typeString(t.elem)}`;
    case 'map':
      return t.name ?? `map[string]${typeString(t.elem)}`;
    default:
      return t.name;
  }
}

const shortName = (full: string): string => full.slice(full.lastIndexOf('.') + 1);

/** Go package name of a schema type: every API group version package is `v1` here. */
function goStructName(full: string): string {
  return `v1.${shortName(full)}`;
}

const specialNames: Record<string, string> = {
  Quantity: 'resource.Quantity',
  IntOrString: 'intstr.IntOrString',
  Time: 'v1.Time',
  MicroTime: 'v1.MicroTime',
  Duration: 'v1.Duration',
  FieldsV1: 'v1.FieldsV1',
};

function goTypeOf(ref: TypeRef, named: string | undefined): GoType {
  switch (ref.kind) {
    case 'scalar':
      if (ref.scalar === 'string') return { k: 'basic', name: named ?? 'string', basic: 'string' };
      if (ref.scalar === 'bool') return { k: 'basic', name: 'bool', basic: 'bool' };
      if (ref.scalar === 'double') return { k: 'basic', name: 'float64', basic: 'float' };
      if (ref.scalar === 'bytes') return { k: 'slice', elem: { k: 'basic', name: 'uint8', basic: 'int' } };
      return { k: 'basic', name: ref.scalar, basic: 'int' };
    case 'special':
      return { k: 'special', name: specialNames[ref.special] ?? ref.special, special: ref.special };
    case 'message':
      return { k: 'struct', name: goStructName(ref.name), msg: schema.type(ref.name)! };
    case 'list':
      return { k: 'slice', elem: goTypeOf(ref.items, named) };
    case 'map':
      return named ? { k: 'map', name: named, elem: goTypeOf(ref.values, undefined) } : { k: 'map', elem: goTypeOf(ref.values, undefined) };
  }
}

/** A field's Go name and type. */
function goField(msg: MessageType, f: Field): { name: string; type: GoType } {
  const key = `${shortName(msg.name)}.${f.name}`;
  const name = goFieldNames[key] ?? (f.name === 'fsType' ? fsTypeField : f.name[0]!.toUpperCase() + f.name.slice(1));
  let type = goTypeOf(f.type, goNamedTypes[key]);
  if (f.pointer && f.type.kind !== 'list' && f.type.kind !== 'map') type = { k: 'ptr', elem: type };
  return { name, type };
}

/** Go-order members of a struct: its own fields with embedded structs at their positions. */
function members(msg: MessageType): { name: string; type: GoType; embedded?: MessageType }[] {
  const own = msg.fields.filter((f) => f.inline === undefined);
  const out: { name: string; type: GoType; embedded?: MessageType }[] = own.map((f) => goField(msg, f));
  const emb = [...(msg.embedded ?? [])].sort((a, b) => b.position - a.position);
  for (const e of emb) {
    const m = schema.type(e.type)!;
    out.splice(e.position, 0, { name: shortName(e.type), type: { k: 'struct', name: goStructName(e.type), msg: m }, embedded: m });
  }
  return out;
}

const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

function format(t: GoType, v: unknown, ignoreType: boolean, out: string[], whole?: Obj): void {
  const typed = () => {
    if (!ignoreType) out.push(`(${typeString(t)})`);
  };
  switch (t.k) {
    case 'ptr':
      if (v === undefined || v === null) {
        out.push(ignoreType ? '<nil>' : `(${typeString(t)})<nil>`);
        return;
      }
      out.push(ignoreType ? '<*>' : `(*${typeString(t.elem)})`);
      format(t.elem, v, true, out);
      return;
    case 'slice':
      typed();
      if (isEmpty(v)) return void out.push('<nil>');
      out.push('[');
      (v as unknown[]).forEach((x, i) => {
        if (i) out.push(' ');
        format(t.elem, x, true, out);
      });
      out.push(']');
      return;
    case 'map': {
      typed();
      if (isEmpty(v)) return void out.push('<nil>');
      const m = v as Record<string, unknown>;
      out.push('map[');
      Object.keys(m)
        .sort()
        .forEach((k, i) => {
          if (i) out.push(' ');
          out.push(`${k}:`);
          format(t.elem, m[k], true, out);
        });
      out.push(']');
      return;
    }
    case 'basic':
      typed();
      if (t.basic === 'string') out.push(typeof v === 'string' ? v : '');
      else if (t.basic === 'bool') out.push(v === true ? 'true' : 'false');
      else out.push(String(typeof v === 'number' ? v : 0));
      return;
    case 'special':
      typed();
      out.push(special(t.special, v));
      return;
    case 'struct': {
      typed();
      const obj = (whole ?? (v && typeof v === 'object' ? v : {})) as Obj;
      out.push('{');
      members(t.msg).forEach((m, i) => {
        if (i) out.push(' ');
        out.push(`${m.name}:`);
        // An embedded struct's fields sit in the same JSON object.
        if (m.embedded) format(m.type, obj, false, out, obj);
        else format(m.type, obj[jsonNameOf(t.msg, m.name)], false, out);
      });
      out.push('}');
      return;
    }
  }
}

const jsonNames = new Map<string, Map<string, string>>();

/** The JSON name of a member, by its Go name (cached per type). */
function jsonNameOf(msg: MessageType, goName: string): string {
  let byGo = jsonNames.get(msg.name);
  if (!byGo) {
    byGo = new Map();
    for (const f of msg.fields.filter((x) => x.inline === undefined)) byGo.set(goField(msg, f).name, f.name);
    jsonNames.set(msg.name, byGo);
  }
  return byGo.get(goName) ?? goName;
}

function special(kind: string, v: unknown): string {
  switch (kind) {
    case 'Time':
    case 'MicroTime':
      // Zero time; see the file comment for non-zero values.
      return '{Time:(time.Time){wall:(uint64)0 ext:(int64)0 loc:(*time.Location)<nil>}}';
    case 'IntOrString':
      return typeof v === 'string'
        ? `{Type:(intstr.Type)1 IntVal:(int32)0 StrVal:(string)${v}}`
        : `{Type:(intstr.Type)0 IntVal:(int32)${typeof v === 'number' ? v : 0} StrVal:(string)}`;
    case 'Quantity':
      return quantity(typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
    default:
      return JSON.stringify(v ?? null);
  }
}

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/**
 * A Quantity's internal form after resource.ParseQuantity of its canonical
 * string (what a decoded object holds): an int64 amount and scale, the
 * string kept when already canonical, and the format.
 */
function quantity(s: string): string {
  const render = (value: bigint, scale: number, str: string, fmt: string) =>
    `{i:(resource.int64Amount){value:(int64)${value} scale:(resource.Scale)${scale}} d:(resource.infDecAmount){Dec:(*inf.Dec)<nil>} s:(string)${str} Format:(resource.Format)${fmt}}`;
  if (s === '0') return render(0n, 0, '0', 'DecimalSI');
  const m = /^([+-]?)(\d+)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/.exec(s);
  if (!m) return render(0n, 0, '', '');
  const negative = m[1] === '-';
  const num = m[2]!.replace(/^0+(?=\d)/, '');
  const denom = m[3] ?? '';
  const suffix = m[4] ?? '';
  const shifted = num + denom;
  let value = BigInt(shifted);
  if (suffix in binarySuffixes) {
    const exp = binarySuffixes[suffix]!;
    const raw = value;
    value <<= BigInt(exp);
    if (negative) value = -value;
    const canonical = denom === '' && exp % 10 === 0 && (raw & 7n) !== 0n;
    return render(value, 0, canonical ? s : '', 'BinarySI');
  }
  const exponent = suffix === '' || suffix in decimalSuffixes ? decimalSuffixes[suffix]! : Number(suffix.slice(1));
  const fmt = suffix !== '' && !(suffix in decimalSuffixes) ? 'DecimalExponent' : 'DecimalSI';
  const scale = exponent - denom.length;
  if (negative) value = -value;
  const canonical = scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
  return render(value, scale, canonical ? s : '', fmt);
}

/** The dump of a PodTemplateSpec (as JSON) that upstream feeds to the hash. */
export function dumpPodTemplateSpec(template: Obj): string {
  const out: string[] = [];
  const msg = schema.type('io.k8s.api.core.v1.PodTemplateSpec')!;
  format({ k: 'struct', name: 'v1.PodTemplateSpec', msg }, template, false, out);
  return out.join('');
}
