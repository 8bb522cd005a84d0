/**
 * Prefix scans as half-open key ranges, so a backend can answer "keys under
 * `/registry/pods/`" with an index range seek instead of a string match.
 */

/**
 * The smallest string greater than every string that starts with `prefix`,
 * or `undefined` when no such bound exists (the empty prefix, or a prefix made
 * only of U+FFFF). Keys under `prefix` are exactly `prefix <= key < end`.
 *
 * Ordering is by UTF-16 code unit, which agrees with SQLite's BINARY
 * (UTF-8 byte) collation for keys without astral characters; Kubernetes keys
 * are ASCII.
 */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const code = prefix.charCodeAt(i);
    if (code < 0xffff) return prefix.slice(0, i) + String.fromCharCode(code + 1);
  }
  return undefined;
}

/** Whether `key` falls under `prefix` (the in-memory twin of the range above). */
export function hasPrefix(key: string, prefix: string): boolean {
  return prefix === '' || key.startsWith(prefix);
}
