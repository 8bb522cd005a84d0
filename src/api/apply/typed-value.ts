/**
 * Walks over an object with its schema, as structured-merge-diff's `typed`
 * package does: the set of fields an object sets (`toFieldSet`), and what
 * changed between two versions of it (`compare`). Values are parsed JSON;
 * `undefined` is an absent field and `null` an explicit null, which
 * upstream tells apart.
 */
import { deepEqual, isObject } from '../patch/json-value.ts';
import { pathElementToString, pathToString, pathElementId, type FieldPath, type PathElement } from './field-path.ts';
import { FieldSet } from './field-set.ts';
import type { Atom, TypedSchema, TypeNode } from './typed-schema.ts';

/** An object that does not fit its schema, worded as upstream's `ValidationError`. */
export class TypedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TypedError';
  }
}

/** Collects paths, then builds one set (cheaper than inserting into immutable sets one by one). */
export class PathCollector {
  readonly #paths: FieldPath[] = [];
  add(path: FieldPath): void {
    if (path.length > 0) this.#paths.push(path);
  }
  toSet(): FieldSet {
    return FieldSet.of(...this.#paths);
  }
}

type ListAtom = Atom & { kind: 'list' };

/** A granular list's items with their path elements; throws for items that cannot be named. */
export function indexList(
  ts: TypedSchema,
  atom: ListAtom,
  list: unknown[],
  path: FieldPath,
): { pe: PathElement; id: string; item: unknown }[] {
  return list.map((item, i) => {
    const pe = ts.listItemElement(atom, item);
    if (typeof pe === 'string') throw new TypedError(`${pathToString(path)}: element ${i}: ${pe}`);
    return { pe, id: pathElementId(pe), item };
  });
}

/**
 * Checks what upstream's conversion to a typed value checks on an applied
 * configuration: list items can be named and associative lists have no
 * duplicate keys.
 */
export function validateApplied(ts: TypedSchema, value: unknown, node: TypeNode, path: FieldPath = []): void {
  const atom = ts.atom(node, value);
  if (atom.kind === 'list' && !atom.atomic && Array.isArray(value)) {
    const seen = new Set<string>();
    for (const { pe, id, item } of indexList(ts, atom, value, path)) {
      if (seen.has(id)) throw new TypedError(`${pathToString(path)}: duplicate entries for key ${pathElementToString(pe)}`);
      seen.add(id);
      validateApplied(ts, item, atom.element, [...path, pe]);
    }
  } else if (atom.kind === 'map' && !atom.atomic && isObject(value)) {
    for (const [k, v] of Object.entries(value)) validateApplied(ts, v, ts.member(atom, k), [...path, { field: k }]);
  }
}

/** The fields `value` sets: leaves, list items, map entries, empty and null members (`ToFieldSet`). */
export function toFieldSet(ts: TypedSchema, value: unknown, node: TypeNode): FieldSet {
  const out = new PathCollector();
  walkFieldSet(ts, value, node, [], out);
  return out.toSet();
}

function walkFieldSet(ts: TypedSchema, value: unknown, node: TypeNode, path: FieldPath, out: PathCollector): void {
  const atom = ts.atom(node, value);
  if (atom.kind === 'scalar' || atom.atomic) {
    out.add(path);
    return;
  }
  if (atom.kind === 'list') {
    if (!Array.isArray(value)) return;
    const items = safeIndex(ts, atom, value);
    const count = new Map<string, number>();
    for (const { id } of items) count.set(id, (count.get(id) ?? 0) + 1);
    const dupes = new Set<string>();
    for (const { pe, id } of items) {
      if ((count.get(id) ?? 0) > 1 && !dupes.has(id)) {
        out.add([...path, pe]);
        dupes.add(id);
      }
    }
    for (const { pe, id, item } of items) {
      if (dupes.has(id)) continue;
      walkFieldSet(ts, item, atom.element, [...path, pe], out);
      out.add([...path, pe]);
    }
    return;
  }
  if (!isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const childPath = [...path, { field: k }];
    walkFieldSet(ts, v, ts.member(atom, k), childPath, out);
    if (v === null || (isObject(v) && Object.keys(v).length === 0) || !ts.isDeclaredField(atom, k)) out.add(childPath);
  }
}

/** Items that can be named; upstream ignores the others when building sets. */
function safeIndex(ts: TypedSchema, atom: ListAtom, list: unknown[]) {
  const out: { pe: PathElement; id: string; item: unknown }[] = [];
  for (const item of list) {
    const pe = ts.listItemElement(atom, item);
    if (typeof pe !== 'string') out.push({ pe, id: pathElementId(pe), item });
  }
  return out;
}

/** What changed from `lhs` to `rhs`. No path is in more than one set. */
export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** Compares two versions of an object (`TypedValue.Compare`). */
export function compare(ts: TypedSchema, lhs: unknown, rhs: unknown, node: TypeNode): Comparison {
  const c = { added: new PathCollector(), modified: new PathCollector(), removed: new PathCollector() };
  walkCompare(ts, lhs, rhs, node, [], c);
  return { added: c.added.toSet(), modified: c.modified.toSet(), removed: c.removed.toSet() };
}

type Collectors = { added: PathCollector; modified: PathCollector; removed: PathCollector };

function isEmptyList(v: unknown): boolean {
  return !Array.isArray(v) || v.length === 0;
}

function isEmptyMap(v: unknown): boolean {
  return !isObject(v) || Object.keys(v).length === 0;
}

function walkCompare(ts: TypedSchema, lhs: unknown, rhs: unknown, node: TypeNode, path: FieldPath, c: Collectors): void {
  const atom = ts.atom(node, rhs !== undefined && rhs !== null ? rhs : lhs);
  const leaf = () => {
    if (lhs === undefined) c.added.add(path);
    else if (rhs === undefined) c.removed.add(path);
    else if (!deepEqual(lhs, rhs)) c.modified.add(path);
  };
  if (atom.kind === 'scalar' || atom.atomic) return leaf();
  if (node.ref === undefined && shapeDiffers(lhs, rhs)) return leaf();
  if (atom.kind === 'list') {
    if (isEmptyList(lhs) && isEmptyList(rhs)) return leaf();
    compareListItems(ts, atom, Array.isArray(lhs) ? lhs : [], Array.isArray(rhs) ? rhs : [], path, c);
  } else {
    if (isEmptyMap(lhs) && isEmptyMap(rhs)) return leaf();
    const l = isObject(lhs) ? lhs : {};
    const r = isObject(rhs) ? rhs : {};
    for (const k of unionKeys(l, r)) {
      walkCompare(ts, l[k], r[k], ts.member(atom, k), [...path, { field: k }], c);
    }
  }
  if (lhs === undefined) c.added.add(path);
  else if (rhs === undefined) c.removed.add(path);
}

/** Deduced values that changed between list, map and scalar compare as leaves. */
function shapeDiffers(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined || a === null || b === null) return false;
  return Array.isArray(a) !== Array.isArray(b) || isObject(a) !== isObject(b);
}

export function unionKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = Object.keys(a);
  for (const k of Object.keys(b)) if (!Object.hasOwn(a, k)) keys.push(k);
  return keys;
}

function compareListItems(ts: TypedSchema, atom: ListAtom, lhs: unknown[], rhs: unknown[], path: FieldPath, c: Collectors): void {
  const l = groupItems(indexList(ts, atom, lhs, path));
  const r = groupItems(indexList(ts, atom, rhs, path));
  const all = [...l.keys()];
  for (const id of r.keys()) if (!l.has(id)) all.push(id);
  for (const id of all) {
    const li = l.get(id)?.items ?? [];
    const ri = r.get(id)?.items ?? [];
    const pe = (l.get(id) ?? r.get(id))!.pe;
    const itemPath = [...path, pe];
    if (li.length <= 1 && ri.length <= 1) {
      walkCompare(ts, li[0], ri[0], atom.element, itemPath, c);
    } else if (li.length >= 2 && ri.length >= 2) {
      if (!deepEqual(li, ri)) c.modified.add(itemPath);
    } else if (li.length >= 2) {
      if (ri.length === 1) walkCompare(ts, undefined, ri[0], atom.element, itemPath, c);
      c.removed.add(itemPath);
    } else {
      if (li.length === 1) walkCompare(ts, li[0], undefined, atom.element, itemPath, c);
      c.added.add(itemPath);
    }
  }
}

function groupItems(items: { pe: PathElement; id: string; item: unknown }[]) {
  const groups = new Map<string, { pe: PathElement; items: unknown[] }>();
  for (const { pe, id, item } of items) {
    const g = groups.get(id);
    if (g) g.items.push(item);
    else groups.set(id, { pe, items: [item] });
  }
  return groups;
}
