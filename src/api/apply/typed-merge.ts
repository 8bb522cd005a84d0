/**
 * Structural merge and removal over typed values, as structured-merge-diff's
 * `TypedValue.Merge` and `RemoveItems`: how an applied configuration is laid
 * over the live object, and how fields an applier gave up are pruned.
 */
import { isObject, type JsonObject } from '../patch/json-value.ts';
import type { FieldPath, PathElement } from './field-path.ts';
import { FieldSet, type Child } from './field-set.ts';
import type { Atom, TypedSchema, TypeNode } from './typed-schema.ts';
import { indexList, unionKeys } from './typed-value.ts';

type ListAtom = Atom & { kind: 'list' };

/**
 * Merges `rhs` over `lhs`: granular maps and lists merge member by member,
 * scalars and atomic values take `rhs` where it has them. List order: `lhs`
 * items keep their places, items only `rhs` has are placed after the
 * shared item that precedes them in `rhs`. Returns undefined when neither
 * side has a value.
 */
export function merge(ts: TypedSchema, lhs: unknown, rhs: unknown, node: TypeNode, path: FieldPath = []): unknown {
  const atom = ts.atom(node, rhs !== undefined && rhs !== null ? rhs : lhs);
  const keepRhs = () => (rhs !== undefined ? rhs : lhs);
  if (atom.kind === 'scalar' || atom.atomic) return keepRhs();
  if (node.ref === undefined && (Array.isArray(lhs) !== Array.isArray(rhs) || isObject(lhs) !== isObject(rhs))) {
    if (lhs !== undefined && lhs !== null && rhs !== undefined && rhs !== null) return keepRhs();
  }
  if (atom.kind === 'list') {
    const l = Array.isArray(lhs) ? lhs : [];
    const r = Array.isArray(rhs) ? rhs : [];
    if (l.length === 0 && r.length === 0) return keepRhs();
    const out = mergeListItems(ts, atom, l, r, path);
    return out.length > 0 ? out : undefined;
  }
  const l = isObject(lhs) ? lhs : {};
  const r = isObject(rhs) ? rhs : {};
  if (Object.keys(l).length === 0 && Object.keys(r).length === 0) return keepRhs();
  const out: JsonObject = {};
  for (const k of unionKeys(l, r)) {
    const v = merge(ts, l[k], r[k], ts.member(atom, k), [...path, { field: k }]);
    if (v !== undefined) out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Upstream's list merge walk, step for step: it advances through both lists,
 * merging items present in both, keeping `lhs`-only items in place and
 * inserting `rhs`-only items where `rhs` puts them relative to shared items.
 */
function mergeListItems(ts: TypedSchema, atom: ListAtom, lhs: unknown[], rhs: unknown[], path: FieldPath): unknown[] {
  const r = indexList(ts, atom, rhs, path);
  const l = indexList(ts, atom, lhs, path);
  const observedR = new Map<string, unknown>();
  for (const x of r) observedR.set(x.id, x.item);
  const observedL = new Map<string, unknown>();
  for (const x of l) {
    // A duplicated live item is not merged with anything: it is seen as null.
    observedL.set(x.id, observedL.has(x.id) ? null : x.item);
  }
  const shared = r.filter((x) => observedL.has(x.id)).map((x) => x.id);
  let next = shared.shift();
  const mergedR = new Set<string>();
  const out: unknown[] = [];
  const emit = (pe: PathElement, lv: unknown, rv: unknown) => {
    const v = merge(ts, lv, rv, atom.element, [...path, pe]);
    if (v !== undefined) out.push(v);
  };
  let li = 0;
  let ri = 0;
  while (li < l.length || ri < r.length) {
    if (li < l.length && ri < r.length) {
      const id = l[li].id;
      if (id === r[ri].id) {
        mergedR.add(id);
        emit(l[li].pe, observedL.get(id), observedR.get(id));
        li++;
        ri++;
        next = shared.shift();
        continue;
      }
      if (observedR.has(id) && next !== undefined && next !== id) {
        li++;
        continue;
      }
    }
    if (li < l.length) {
      const { id, pe, item } = l[li];
      if (!observedR.has(id)) {
        emit(pe, item, undefined);
        li++;
        continue;
      } else if (mergedR.has(id)) {
        li++;
      }
    }
    if (ri < r.length) {
      const { id, pe } = r[ri];
      mergedR.add(id);
      emit(pe, observedL.get(id), observedR.get(id));
      ri++;
      if (next !== undefined && next === id) next = shared.shift();
    }
  }
  return out;
}

/**
 * Returns `value` without the paths in `set` (`RemoveItems`). A removed map
 * entry or list item disappears; containers left empty become null, as
 * upstream leaves them.
 */
export function removeItems(ts: TypedSchema, value: unknown, set: FieldSet, node: TypeNode, path: FieldPath = []): unknown {
  const atom = ts.atom(node, value);
  if (atom.kind === 'scalar') return value;
  if (atom.kind === 'list') {
    if (!Array.isArray(value) || value.length === 0 || atom.atomic) return null;
    const out: unknown[] = [];
    for (const { pe, item } of indexList(ts, atom, value, path)) {
      if (set.isMember(pe)) continue;
      const sub = set.child(pe);
      out.push(sub && !sub.empty() ? removeItems(ts, item, sub, atom.element, [...path, pe]) : item);
    }
    return out.length > 0 ? out : null;
  }
  if (!isObject(value) || Object.keys(value).length === 0 || atom.atomic) return null;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    const pe = { field: k };
    if (set.isMember(pe)) continue;
    const sub = set.child(pe);
    out[k] = sub && !sub.empty() ? removeItems(ts, v, sub, ts.member(atom, k), [...path, pe]) : v;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * Adds to the set the struct fields that only have children in it
 * (`EnsureNamedFieldsAreMembers`), so that removing the set removes such a
 * field whole rather than leaving it empty.
 */
export function ensureNamedFieldsAreMembers(ts: TypedSchema, set: FieldSet, node: TypeNode | undefined): FieldSet {
  const atom = node ? ts.atom(node) : undefined;
  const members = [...set.members];
  const children: Child[] = [];
  for (const c of set.children) {
    let childNode: TypeNode | undefined;
    if ('field' in c.pe && atom?.kind === 'map') {
      if (ts.isDeclaredField(atom, c.pe.field) && !set.isMember(c.pe)) members.push(c.pe);
      childNode = ts.member(atom, c.pe.field);
    } else if ('key' in c.pe && atom?.kind === 'list') {
      childNode = atom.element;
    }
    children.push({ pe: c.pe, set: ensureNamedFieldsAreMembers(ts, c.set, childNode) });
  }
  return new FieldSet(sortMembers(members), children);
}

function sortMembers(members: PathElement[]): PathElement[] {
  return FieldSet.of(...members.map((m) => [m])).members.slice();
}
