/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), applied
 * the way the apiserver applies it (`strategicpatch.StrategicMergeMapPatch`
 * with parallel lists merged and unmatched nulls ignored):
 * - objects merge recursively and `null` deletes a member;
 * - lists whose field says `patchStrategy: merge` merge: objects by their
 *   `patchMergeKey`, primitives as a union; other lists are replaced;
 * - directives: `$patch: replace|delete` on objects, `$patch: delete|replace`
 *   as list items, `$retainKeys`, `$setElementOrder/<list>` and
 *   `$deleteFromPrimitiveList/<list>`;
 * - where the schema knows nothing (unknown fields, free-form values) it
 *   degrades to JSON merge semantics.
 *
 * kubectl sends these for client-side `apply`, `set image`, `cordon` and
 * `patch` (the default type). List merging lives in
 * `strategic-merge-lists.ts`.
 */
import type { MessageType, Schema } from '../schema/types.ts';
import { isObject, withoutNulls, type JsonObject } from './json-value.ts';
import { lookupPatchMeta, otherStrategy, type PatchContext } from './patch-meta.ts';
import { SmpError, smpErrors } from './strategic-merge-errors.ts';
import { mergeSliceHandler, applySetElementOrder } from './strategic-merge-lists.ts';
import {
  deleteFromPrimitiveListPrefix,
  directiveMarker,
  extractKey,
  jsonKind,
  removeDirectives,
  retainKeysDirective,
  setElementOrderPrefix,
} from './strategic-merge-directives.ts';

/**
 * Applies `patch` to a copy of `original`, using `type` (the message type of
 * the object, e.g. `io.k8s.api.apps.v1.Deployment`) for merge keys and
 * strategies. `type` undefined means a kind without schema (a custom
 * resource): upstream refuses those with 400.
 *
 * Throws the ApiError upstream answers with: 400 for malformed patches and
 * directives, 422 for lists of lists, 500 (with the raw text) otherwise.
 * Explicit nulls are dropped from the result: in a typed object they mean
 * "unset".
 */
export function applyStrategicMergePatch(
  original: unknown,
  patch: unknown,
  type: MessageType | undefined,
  schema: Schema,
): JsonObject {
  try {
    return strategicMerge(original, patch, type, schema);
  } catch (e) {
    if (e instanceof SmpError) throw e.toApiError();
    throw e;
  }
}

/** As `applyStrategicMergePatch`, but throws the raw `SmpError` (for tests and internal callers). */
export function strategicMerge(original: unknown, patch: unknown, type: MessageType | undefined, schema: Schema): JsonObject {
  if (!type) throw smpErrors.unsupportedFormat();
  if (patch === null) return withoutNulls(isObject(original) ? structuredClone(original) : {});
  if (!isObject(patch)) {
    const kind = Array.isArray(patch) ? 'array' : typeof patch === 'boolean' ? 'bool' : typeof patch;
    throw new SmpError('badRequest', `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`);
  }
  if (original !== undefined && original !== null && !isObject(original)) throw smpErrors.badJSONDoc();
  const merger = new Merger(schema);
  const out = merger.mergeMap(structuredClone(original ?? {}) as JsonObject, structuredClone(patch), {
    kind: 'message',
    type,
  });
  return withoutNulls(out);
}

/** Same Go type: scalars must also agree on JSON type (string vs number vs bool). */
function sameType(a: unknown, b: unknown): boolean {
  const ka = jsonKind(a);
  if (ka !== jsonKind(b)) return false;
  return ka !== 'scalar' || typeof a === typeof b;
}

/** Holds the schema; every method works on private copies and may mutate its arguments. */
export class Merger {
  readonly schema: Schema;
  constructor(schema: Schema) {
    this.schema = schema;
  }

  mergeMap(original: JsonObject, patch: JsonObject, ctx: PatchContext): JsonObject {
    if (Object.hasOwn(patch, directiveMarker)) return this.mapDirective(patch[directiveMarker], patch);
    applyRetainKeys(original, patch);
    applySetElementOrder(this, original, patch, ctx);

    for (let [key, patchValue] of Object.entries(patch)) {
      let isDeleteList = false;
      if (key.startsWith(deleteFromPrimitiveListPrefix)) {
        key = extractKey(key, deleteFromPrimitiveListPrefix);
        isDeleteList = true;
      }
      if (patchValue === null) {
        delete original[key];
        continue;
      }
      if (!Object.hasOwn(original, key) || !sameType(original[key], patchValue)) {
        // Nothing to merge with: take the patch value (a deletion list adds nothing).
        if (!isDeleteList) this.takePatchValue(original, key, patchValue);
        continue;
      }
      const meta = lookupPatchMeta(ctx, key, this.schema);
      const strategy = otherStrategy(meta.strategies);
      switch (jsonKind(patchValue)) {
        case 'map':
          original[key] =
            strategy === 'replace'
              ? patchValue
              : this.mergeMap(original[key] as JsonObject, patchValue as JsonObject, meta.context);
          break;
        case 'slice':
          original[key] = mergeSliceHandler(
            this,
            original[key] as unknown[],
            patchValue as unknown[],
            meta,
            strategy,
            isDeleteList,
          ).merged;
          break;
        default:
          original[key] = patchValue;
      }
    }
    return original;
  }

  private takePatchValue(original: JsonObject, key: string, patchValue: unknown): void {
    const r = removeDirectives(withoutNulls(patchValue));
    if (r.keep) original[key] = r.value;
    else delete original[key];
  }

  /** `$patch` on an object: `replace` keeps only the patch, `delete` empties it. */
  private mapDirective(directive: unknown, patch: JsonObject): JsonObject {
    if (directive === 'replace') {
      delete patch[directiveMarker];
      return patch;
    }
    if (directive === 'delete') return {};
    throw smpErrors.badPatchType(directive, patch);
  }
}

/**
 * `$retainKeys`: drop members of `original` not listed; every non-null
 * member the patch sets must be listed (400 otherwise).
 */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, retainKeysDirective)) return;
  const retain = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(retain)) throw smpErrors.badPatchFormatForRetainKeys();
  const keep = new Set<unknown>(retain);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix)) continue;
    if (!keep.has(k)) throw smpErrors.badPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}
