/**
 * Small helpers over parsed JSON values (the output of `JSON.parse`), shared
 * by the patch engines and server-side apply.
 */

/** A JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values; key order does not matter, list order does. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) {
      if (!Object.hasOwn(b, k) || !deepEqual(a[k], b[k])) return false;
    }
    return true;
  }
  return false;
}

/**
 * Drops `null` members from objects, recursively (through arrays too). A
 * typed Kubernetes object cannot hold an explicit null: decoding turns it
 * into "unset", so patch engines remove them where upstream relies on that.
 */
export function withoutNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => withoutNulls(x)) as T;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
    return out as T;
  }
  return v;
}
