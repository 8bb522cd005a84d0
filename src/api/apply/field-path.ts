/**
 * Field paths as structured-merge-diff (`sigs.k8s.io/structured-merge-diff`
 * fieldpath) defines them: a path is a list of elements, each a struct
 * field or map key (`.name`), a list item picked by its key fields
 * (`[name="web"]`), a set member by value (`[=value]`) or, where nothing
 * else identifies it, an index (`[3]`). Ownership in managedFields and
 * conflict messages are written in these terms.
 */
import { isObject } from '../patch/json-value.ts';

/** One step of a path. Key fields are sorted by name. */
export type PathElement =
  | { readonly field: string }
  | { readonly key: readonly (readonly [name: string, value: unknown])[] }
  | { readonly value: unknown }
  | { readonly index: number };

export type FieldPath = readonly PathElement[];

/** Rank of a value's type in structured-merge-diff's total order; numbers compare with each other. */
function valueRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isObject(v)) return 4;
  return 5; // null
}

function cmp<T extends string | number>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A total order on JSON values (`value.Compare`). */
export function compareValues(a: unknown, b: unknown): number {
  const ra = valueRank(a);
  const rb = valueRank(b);
  if (ra !== rb) return ra - rb < 0 ? -1 : 1;
  switch (ra) {
    case 0:
    case 1:
      return cmp(a as string | number, b as string | number);
    case 2:
      return a === b ? 0 : a ? 1 : -1;
    case 3: {
      const la = a as unknown[];
      const lb = b as unknown[];
      for (let i = 0; i < Math.min(la.length, lb.length); i++) {
        const c = compareValues(la[i], lb[i]);
        if (c !== 0) return c;
      }
      return cmp(la.length, lb.length);
    }
    case 4: {
      const ma = a as Record<string, unknown>;
      const mb = b as Record<string, unknown>;
      const ka = Object.keys(ma).sort();
      const kb = Object.keys(mb).sort();
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const c = cmp(ka[i], kb[i]) || compareValues(ma[ka[i]], mb[kb[i]]);
        if (c !== 0) return c;
      }
      return cmp(ka.length, kb.length);
    }
    default:
      return 0;
  }
}

/** Field names first (by name), then keys, values, indices. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  if ('field' in a) return 'field' in b ? cmp(a.field, b.field) : -1;
  if ('field' in b) return 1;
  if ('key' in a) {
    if (!('key' in b)) return -1;
    for (let i = 0; i < Math.min(a.key.length, b.key.length); i++) {
      const c = cmp(a.key[i][0], b.key[i][0]) || compareValues(a.key[i][1], b.key[i][1]);
      if (c !== 0) return c;
    }
    return cmp(a.key.length, b.key.length);
  }
  if ('key' in b) return 1;
  if ('value' in a) return 'value' in b ? compareValues(a.value, b.value) : -1;
  if ('value' in b) return 1;
  return cmp(a.index, (b as { index: number }).index);
}

export function pathElementsEqual(a: PathElement, b: PathElement): boolean {
  return comparePathElements(a, b) === 0;
}

/** `value.ToString`: strings quoted, lists bracketed, maps as `k=v` runs. */
function valueToString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueToString).join(',')}]`;
  if (isObject(v)) return Object.entries(v).map(([k, x]) => `${k}=${valueToString(x)}`).join('');
  return String(v);
}

/** `.spec`, `[name="web"]`, `[="finalizer"]`, `[0]`. */
export function pathElementToString(pe: PathElement): string {
  if ('field' in pe) return `.${pe.field}`;
  if ('key' in pe) return `[${pe.key.map(([k, v]) => `${k}=${valueToString(v)}`).join(',')}]`;
  if ('value' in pe) return `[=${valueToString(pe.value)}]`;
  return `[${pe.index}]`;
}

/** `.spec.template.spec.containers[name="web"].image`: how conflicts name a field. */
export function pathToString(path: FieldPath): string {
  return path.map(pathElementToString).join('');
}

/** A key element from a list item's key fields; sorts the fields as upstream does. */
export function keyElement(fields: (readonly [string, unknown])[]): PathElement {
  return { key: [...fields].sort((a, b) => cmp(a[0], b[0])) };
}

/**
 * JSON as Go's encoder writes it (object keys sorted, `<`, `>`, `&`,
 * U+2028 and U+2029 escaped), so encoded keys match upstream byte for byte.
 */
export function goJson(v: unknown): string {
  const sorted = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sorted);
    if (isObject(x)) {
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, sorted(x[k])]),
      );
    }
    return x;
  };
  return JSON.stringify(sorted(v)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A cheap string that is equal for equal elements: for grouping and
 * lookups (FieldsV1 keys are for storage; see `serializePathElement`).
 */
export function pathElementId(pe: PathElement): string {
  if ('field' in pe) return `f${pe.field}`;
  if ('key' in pe) return `k${JSON.stringify(pe.key)}`;
  if ('value' in pe) return `v${JSON.stringify(pe.value)}`;
  return `i${pe.index}`;
}

/** `f:name`, `k:{"name":"web"}`, `v:"x"`, `i:0`: the FieldsV1 key of an element. */
export function serializePathElement(pe: PathElement): string {
  if ('field' in pe) return `f:${pe.field}`;
  if ('key' in pe) return `k:{${pe.key.map(([k, v]) => `${goJson(k)}:${goJson(v)}`).join(',')}}`;
  if ('value' in pe) return `v:${goJson(pe.value)}`;
  return `i:${pe.index}`;
}

/** Thrown for a FieldsV1 key that cannot be read. */
export class FieldPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldPathError';
  }
}

/**
 * Reads a FieldsV1 key. Returns undefined for an unknown element type
 * (upstream skips those) and throws `FieldPathError` for malformed keys.
 */
export function parsePathElement(s: string): PathElement | undefined {
  if (s.length < 2) throw new FieldPathError('key must be 2 characters long:');
  if (s[1] !== ':') throw new FieldPathError(`missing colon: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f':
      return { field: body };
    case 'v':
      return { value: parseJson(body) };
    case 'k': {
      const obj = parseJson(body);
      if (!isObject(obj)) throw new FieldPathError(`key element must be an object: ${s}`);
      return keyElement(Object.entries(obj));
    }
    case 'i':
      if (!/^[+-]?\d+$/.test(body)) throw new FieldPathError(`strconv.Atoi: parsing ${JSON.stringify(body)}: invalid syntax`);
      return { index: Number(body) };
    default:
      return undefined;
  }
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch (e) {
    throw new FieldPathError(`managedFields parsing: ${(e as Error).message}`);
  }
}
