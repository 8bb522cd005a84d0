/**
 * Where merged list items land, as upstream orders them: items named by
 * the patch (or by `$setElementOrder`) come in that order, items only the
 * server has keep their live order, and the two are interleaved with the
 * live order as tie-breaker (`normalizeElementOrder`, `mergeSortedSlice`).
 */
import { isObject, type JsonObject } from './json-value.ts';
import { directiveMarker } from './strategic-merge-directives.ts';
import { smpErrors } from './strategic-merge-errors.ts';

/** Element kind of a list: maps are matched by merge key, anything else by value. */
export type ElementKind = 'map' | 'scalar';

/** Whether a list item has merge key value `value`; non-map items are an error, as upstream. */
export function keyMatches(item: unknown, index: number, mergeKey: string, value: unknown): boolean {
  if (!isObject(item)) throw smpErrors.internal(`value for key ${index} is not a map`);
  return Object.hasOwn(item, mergeKey) && item[mergeKey] === value;
}

export function findByKey(list: unknown[], mergeKey: string, value: unknown): number {
  return list.findIndex((o, i) => keyMatches(o, i, mergeKey, value));
}

/** Splits `list` into the items named in `by` and the rest, keeping order. */
export function partition(list: unknown[], by: unknown[], mergeKey: string, kind: ElementKind): [unknown[], unknown[]] {
  const named: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of list) {
    let found: boolean;
    if (mergeKey === '' || kind !== 'map') {
      found = by.includes(v);
    } else {
      if (!isObject(v)) throw smpErrors.badArgType('map', v);
      if (!Object.hasOwn(v, mergeKey)) throw smpErrors.noMergeKey(v, mergeKey);
      found = findByKey(by, mergeKey, v[mergeKey]) >= 0;
    }
    (found ? named : rest).push(v);
  }
  return [named, rest];
}

/** Position of `v` in `list`, by merge key for maps (a missing key matches a missing key, as in Go). */
export function indexOf(list: unknown[], v: unknown, mergeKey: string, kind: ElementKind): number {
  const key = (x: unknown) => (kind === 'map' ? (isObject(x) ? x[mergeKey] : undefined) : x);
  const want = key(v);
  return list.findIndex((x) => key(x) === want);
}

/**
 * Sorts the named items by `patchOrder` and the server-only items by
 * `serverOrder`, then interleaves them: a server-only item goes before the
 * next named item when the live order puts it first.
 */
export function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: ElementKind,
): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]);
    else if (i >= left.length) out.push(right[j++]);
    else {
      const li = indexOf(serverOrder, left[i], mergeKey, kind);
      const ri = indexOf(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Stable sort by position in `order`; `$patch: delete` items go last. Map items must carry the merge key. */
export function sortByOrder(items: unknown[], order: unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  let toDelete: unknown[] = [];
  if (kind === 'map') {
    for (const v of [...items, ...order]) {
      if (!isObject(v)) throw smpErrors.badArgType('map', v);
      if (!Object.hasOwn(v, mergeKey)) throw smpErrors.noMergeKey(v, mergeKey);
    }
    toDelete = items.filter((v) => (v as JsonObject)[directiveMarker] === 'delete');
    items = items.filter((v) => (v as JsonObject)[directiveMarker] !== 'delete');
  }
  const ranked = items.map((v) => ({ v, at: indexOf(order, v, mergeKey, kind) }));
  ranked.sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : 0));
  return [...ranked.map((r) => r.v), ...toDelete];
}
