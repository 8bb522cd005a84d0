/**
 * The directive vocabulary of strategic merge patch and helpers to read it,
 * shared by the map and list halves of the engine.
 */
import { isObject, type JsonObject } from './json-value.ts';
import { smpErrors } from './strategic-merge-errors.ts';

export const directiveMarker = '$patch';
export const retainKeysDirective = '$retainKeys';
export const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList';
export const setElementOrderPrefix = '$setElementOrder';

/** Which of Go's reflect kinds a JSON value decodes to; maps and slices recurse, the rest replace. */
export function jsonKind(v: unknown): 'map' | 'slice' | 'null' | 'scalar' {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'slice';
  if (isObject(v)) return 'map';
  return 'scalar';
}

/**
 * Removes list items and map members that carry `$patch`, recursively, and
 * reports whether `v` itself should be kept. Other directives are left, as
 * upstream leaves them.
 */
export function removeDirectives(v: unknown): { value: unknown; keep: boolean } {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const item of v) {
      const r = removeDirectives(item);
      if (r.keep) out.push(r.value);
    }
    return { value: out, keep: true };
  }
  if (isObject(v)) {
    if (Object.hasOwn(v, directiveMarker)) return { value: undefined, keep: false };
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      const r = removeDirectives(x);
      if (r.keep) out[k] = r.value;
    }
    return { value: out, keep: true };
  }
  return { value: v, keep: true };
}

/** The part after `<prefix>/` of a directive key. */
export function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    if (prefix === deleteFromPrimitiveListPrefix) throw smpErrors.badPatchFormatForPrimitiveList();
    if (prefix === setElementOrderPrefix) throw smpErrors.badPatchFormatForSetElementOrderList();
    throw smpErrors.internal(`fail to find unknown prefix "${prefix}" in ${key}\n`);
  }
  return key.slice(slash + 1);
}

