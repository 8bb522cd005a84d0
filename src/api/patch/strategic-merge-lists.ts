/**
 * List handling for strategic merge patch: merging by merge key, primitive
 * unions, `$patch` list items, `$deleteFromPrimitiveList` and
 * `$setElementOrder`. Where items land is `strategic-merge-order.ts`.
 */
import { isObject, type JsonObject } from './json-value.ts';
import { goValue } from './go-format.ts';
import { lookupPatchMeta, otherStrategy, type PatchContext, type PatchMeta } from './patch-meta.ts';
import { smpErrors } from './strategic-merge-errors.ts';
import { GoSlice } from './go-slice.ts';
import { keyMatches, normalizeElementOrder, partition, type ElementKind } from './strategic-merge-order.ts';
import { directiveMarker, extractKey, jsonKind, removeDirectives, setElementOrderPrefix } from './strategic-merge-directives.ts';
import type { Merger } from './strategic-merge.ts';

/**
 * The result of merging a list. `liveView` is what the live list's own
 * storage holds afterwards: upstream deletes and appends in place, and the
 * `$setElementOrder` step then reads the live list through that shared
 * storage, which decides where server-only items land. We reproduce it.
 */
export interface SliceMerge {
  merged: unknown[];
  liveView?: unknown[];
}

/** Merges a list field according to its strategy; lists without `merge` are replaced by the patch. */
export function mergeSliceHandler(
  merger: Merger,
  original: unknown[],
  patch: unknown[],
  meta: PatchMeta,
  strategy: string,
  isDeleteList: boolean,
): SliceMerge {
  if (strategy === 'merge' || isDeleteList) {
    return mergeSlice(merger, original, patch, meta.context, meta.mergeKey, isDeleteList);
  }
  return { merged: patch };
}

/** The common element kind of the lists; mixed kinds and nested lists are errors, as upstream. */
function sliceElementKind(...lists: unknown[][]): ElementKind {
  let first: unknown = undefined;
  let seen = false;
  for (const list of lists) {
    for (const v of list) {
      if (!seen) {
        seen = true;
        first = v;
        if (Array.isArray(v)) throw smpErrors.noListOfLists();
      } else if (jsonKind(v) !== jsonKind(first) || typeof v !== typeof first) {
        throw smpErrors.internal(`list element types are not identical: [${lists.map(goValue).join(' ')}]`);
      }
    }
  }
  if (!seen) throw smpErrors.internal('no elements in any of the given slices');
  return isObject(first) ? 'map' : 'scalar';
}

function mergeSlice(
  merger: Merger,
  original: unknown[],
  patch: unknown[],
  itemContext: PatchContext,
  mergeKey: string,
  isDeleteList: boolean,
): SliceMerge {
  if (original.length === 0 && patch.length === 0) return { merged: original };
  const kind = sliceElementKind(original, patch);
  if (kind !== 'map') {
    if (isDeleteList) return { merged: original.filter((v) => !patch.includes(v)) };
    const merged = dedupe([...original, ...patch]);
    const [patchItems, serverOnly] = partition(merged, patch, mergeKey, kind);
    return { merged: normalizeElementOrder(patchItems, serverOnly, patch, original, mergeKey, kind) };
  }
  if (mergeKey === '') throw smpErrors.internal('cannot merge lists without merge key for struct');
  const live = new GoSlice(original);
  const special = applySpecialItems(live, patch, mergeKey);
  const base = special.replace ? new GoSlice(special.plain) : live;
  const rest = special.replace ? [] : special.plain;
  mergeByKey(merger, base, rest, mergeKey, itemContext);
  const merged = base.items();
  const [patchItems, serverOnly] = partition(merged, rest, mergeKey, kind);
  const serverOrder = special.replace ? special.plain : live.itemsBeforeAppend();
  return {
    merged: normalizeElementOrder(patchItems, serverOnly, rest, serverOrder, mergeKey, kind),
    liveView: live.backingView(),
  };
}

function dedupe(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) if (!out.includes(v)) out.push(v);
  return out;
}

/**
 * Handles `$patch` items: `delete` removes (in place) every item with that
 * key, `replace` makes the other patch items the whole list. Returns the
 * patch items without directives.
 */
function applySpecialItems(original: GoSlice, patch: unknown[], mergeKey: string): { plain: unknown[]; replace: boolean } {
  const plain: unknown[] = [];
  let replace = false;
  for (const item of patch) {
    const m = item as JsonObject;
    if (!Object.hasOwn(m, directiveMarker)) {
      plain.push(item);
      continue;
    }
    const directive = m[directiveMarker];
    if (directive === 'delete') {
      if (!Object.hasOwn(m, mergeKey)) throw smpErrors.noMergeKey(m, mergeKey);
      for (let at = findInSlice(original, mergeKey, m[mergeKey]); at >= 0; at = findInSlice(original, mergeKey, m[mergeKey])) {
        original.removeAt(at);
      }
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw smpErrors.internal('merging lists cannot yet be specified in the patch');
    } else {
      throw smpErrors.badPatchType(directive, m);
    }
  }
  return { plain, replace };
}

/** `findByKey` over a Go slice. */
function findInSlice(list: GoSlice, mergeKey: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) if (keyMatches(list.get(i), i, mergeKey, value)) return i;
  return -1;
}

/** Merges each patch item into the first live item with the same key, or appends it. */
function mergeByKey(merger: Merger, original: GoSlice, patch: unknown[], mergeKey: string, ctx: PatchContext): void {
  for (const item of patch) {
    const m = item as JsonObject;
    if (!Object.hasOwn(m, mergeKey)) throw smpErrors.noMergeKey(m, mergeKey);
    const at = findInSlice(original, mergeKey, m[mergeKey]);
    if (at >= 0) original.set(at, merger.mergeMap(original.get(at) as JsonObject, m, ctx));
    else original.push(item);
  }
}

/**
 * Processes every `$setElementOrder/<list>` in `patch`: merges the list as
 * usual, then orders the result by the directive (server-only items keep
 * their live positions relative to it). Consumes both the directive and
 * the list from `patch`.
 */
export function applySetElementOrder(merger: Merger, original: JsonObject, patch: JsonObject, ctx: PatchContext): void {
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    delete patch[key];
    if (!Array.isArray(order)) throw smpErrors.badArgType('slice', order);
    const listKey = extractKey(key, setElementOrderPrefix);
    const foundOriginal = Object.hasOwn(original, listKey);
    const foundPatch = Object.hasOwn(patch, listKey);
    const originalList = original[listKey];
    const patchList = patch[listKey];
    if (foundOriginal && !Array.isArray(originalList)) throw smpErrors.badArgType('slice', originalList);
    if (foundPatch && !Array.isArray(patchList)) throw smpErrors.badArgType('slice', patchList);
    const originalItems = foundOriginal ? (originalList as unknown[]) : [];
    const patchItems = foundPatch ? (patchList as unknown[]) : [];
    const meta = lookupPatchMeta(ctx, listKey, merger.schema);
    validateOrder(patchItems, order, meta.mergeKey);

    let merged: unknown[];
    let serverOrder = originalItems;
    if (foundOriginal && !foundPatch) merged = originalItems;
    else if (!foundOriginal && foundPatch) merged = removeDirectives(patchItems).value as unknown[];
    else if (foundOriginal && foundPatch) {
      const r = mergeSliceHandler(merger, originalItems, patchItems, meta, otherStrategy(meta.strategies), false);
      merged = r.merged;
      serverOrder = r.liveView ?? originalItems;
    } else continue;

    const [named, serverOnly] = partition(merged, order, meta.mergeKey, meta.mergeKey === '' ? 'scalar' : 'map');
    const kind = sliceElementKind(originalItems, patchItems);
    original[listKey] = normalizeElementOrder(named, serverOnly, order, serverOrder, meta.mergeKey, kind);
    delete patch[listKey];
  }
}

/**
 * The non-deleting patch items must appear in `$setElementOrder`, in the
 * same relative order (upstream: "The order in patch list ... doesn't match
 * $setElementOrder list").
 */
function validateOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let items = patchList;
  if (mergeKey !== '') {
    for (const v of items) if (!isObject(v)) throw smpErrors.badArgType('map', v);
    items = items.filter((v) => (v as JsonObject)[directiveMarker] !== 'delete');
  }
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p];
    if (isObject(item) && Object.hasOwn(item, directiveMarker)) {
      p++;
      continue;
    }
    if (sameKey(item, order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length && o >= order.length) {
    throw smpErrors.internal(
      `The order in patch list:\n${goValue(patchList)}\n doesn't match ${setElementOrderPrefix} list:\n${goValue(order)}\n`,
    );
  }
}

function sameKey(a: unknown, b: unknown, mergeKey: string): boolean {
  if (mergeKey === '') return a === b;
  if (!isObject(a)) throw smpErrors.badArgType('map', a);
  if (!isObject(b)) throw smpErrors.badArgType('map', b);
  if (!Object.hasOwn(a, mergeKey)) throw smpErrors.noMergeKey(a, mergeKey);
  if (!Object.hasOwn(b, mergeKey)) throw smpErrors.noMergeKey(b, mergeKey);
  return a[mergeKey] === b[mergeKey];
}
