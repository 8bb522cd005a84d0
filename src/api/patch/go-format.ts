/**
 * Go's `%v` and `reflect.TypeOf` renderings of decoded JSON values. Upstream
 * error messages embed values this way (`map: map[image:nginx] does not
 * contain declared merge key: name`); clients show them verbatim.
 */
import { isObject } from './json-value.ts';

/** `fmt.Sprintf("%v", v)` for a value decoded by Go's JSON into `interface{}`. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goValue(v[k])}`).join(' ')}]`;
  }
  if (typeof v === 'number') return goNumber(v);
  return String(v);
}

/**
 * Integers print plainly (the apiserver decodes them as int64); other
 * numbers as Go's shortest `%g`, which switches to an exponent below 1e-4
 * and from 1e21.
 */
function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return BigInt(n).toString();
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** `reflect.TypeOf(v).String()` for a decoded JSON value. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}
