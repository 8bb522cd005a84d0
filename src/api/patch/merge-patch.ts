/**
 * RFC 7386 JSON Merge Patch (`application/merge-patch+json`), as the
 * apiserver applies it through `evanphx/json-patch` v4 `MergePatch`:
 * objects merge recursively, `null` deletes, everything else (arrays
 * included) replaces. Values taken from the patch lose their `null`
 * members, as the RFC requires.
 *
 * kubectl sends merge patches for `label`, `annotate`, `scale` and `patch
 * --type merge`; it is also the fallback for kinds without schema.
 */
import { errors } from '../errors.ts';
import { isObject, withoutNulls, type JsonObject } from './json-value.ts';

/**
 * Returns `original` (not modified) with `patch` merged in. A patch that is
 * `null` or a scalar is a 400 "Invalid JSON Patch", as upstream; an array
 * patch replaces the whole document (the caller's decoding then rejects it).
 */
export function applyMergePatch(original: unknown, patch: unknown): unknown {
  if (Array.isArray(patch)) return withoutNulls(patch);
  if (!isObject(patch)) throw errors.badRequest('Invalid JSON Patch');
  if (!isObject(original)) return withoutNulls(patch);
  return mergeObjects(structuredClone(original), patch);
}

/** Merges into `out` in place; `out` is already a private copy. */
function mergeObjects(out: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
      continue;
    }
    out[key] = mergeValue(out[key], value);
  }
  return out;
}

function mergeValue(current: unknown, patch: unknown): unknown {
  if (!isObject(current)) return withoutNulls(structuredClone(patch));
  // v4 hands a non-object patch value back as sent when the current value is an object.
  if (!isObject(patch)) return structuredClone(patch);
  return mergeObjects(current, patch);
}
