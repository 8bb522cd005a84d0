/**
 * Helpers for validating plain decoded JSON the way upstream validates Go
 * structs: an absent field, `null`, `""`, `0` and `false` are all the Go zero
 * value for non-pointer fields (protobuf requests carry zeros on the wire).
 */
import { field, type FieldError, type Path } from '../field-errors.ts';
import { goValue } from './go-format.ts';

/** A decoded JSON object; fields are read defensively. */
export type Obj = Record<string, any>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The object at `v`, or an empty one (Go's zero struct). */
export const obj = (v: unknown): Obj => (isObj(v) ? v : {});

/** The array at `v`, or an empty one (Go's nil slice). */
export const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);

/** The string at `v`, or `""`. */
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The number at `v`, or 0. */
export const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** A map of strings (labels, selectors, annotations); non-objects read as empty. */
export const strMap = (v: unknown): Record<string, string> => (isObj(v) ? (v as Record<string, string>) : {});

/** Whether a pointer field is set (present and not null). */
export const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** Whether a field holds a non-zero value (Go: `len(x) != 0` / `x != 0`). */
export const nonZero = (v: unknown): boolean => {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) return Object.keys(v).length > 0;
  return true;
};

/** Upstream's `IsNegativeErrorMsg`. */
export const NEGATIVE = 'must be greater than or equal to 0';
/** Upstream's `FieldImmutableErrorMsg`. */
export const IMMUTABLE = 'field is immutable';

/** `ValidateNonnegativeField` for an optional integer. */
export function nonNegative(value: unknown, path: Path): FieldError[] {
  return typeof value === 'number' && value < 0 ? [field.invalid(path, value, NEGATIVE)] : [];
}

/**
 * Deep equality with Go's semantic rules for decoded JSON: missing, null
 * and empty collections compare equal (nil and empty maps/slices are
 * indistinguishable once serialized with omitempty).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  const empty = (v: unknown) =>
    v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
  if (empty(a) && empty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

/**
 * `ValidateImmutableField`: `Invalid value: <new>: field is immutable`, the
 * value printed as Go prints it.
 */
export function immutable(newVal: unknown, oldVal: unknown, path: Path, render = goValue): FieldError[] {
  if (deepEqual(newVal, oldVal)) return [];
  return [invalidRaw(path, render(newVal), IMMUTABLE)];
}

/**
 * An Invalid error whose value is already rendered (Go's `%#v` for maps
 * and structs, which JSON cannot reproduce).
 */
export function invalidRaw(path: Path | string, rendered: string, detail?: string): FieldError {
  return {
    type: 'FieldValueInvalid',
    field: String(path),
    message: `Invalid value: ${rendered}${detail ? `: ${detail}` : ''}`,
  };
}

/** An Unsupported error whose value is already rendered. */
export function notSupportedRaw(path: Path | string, rendered: string, supported: readonly string[]): FieldError {
  const list = supported.length ? `: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : '';
  return { type: 'FieldValueNotSupported', field: String(path), message: `Unsupported value: ${rendered}${list}` };
}

/** A Duplicate error whose value is already rendered. */
export function duplicateRaw(path: Path | string, rendered: string): FieldError {
  return { type: 'FieldValueDuplicate', field: String(path), message: `Duplicate value: ${rendered}` };
}

/** Each message of a format check as an Invalid error on `path`. */
export function eachInvalid(path: Path, value: unknown, msgs: string[]): FieldError[] {
  return msgs.map((m) => field.invalid(path, value, m));
}
