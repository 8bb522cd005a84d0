/** Helpers for the system-owned parts of ObjectMeta. */
import { randomInt, randomUUID } from 'node:crypto';
import type { Obj } from './types.ts';

/** RFC 3339 at second precision, as metav1.Time serialises. */
export function nowTime(ms: number = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** RFC 3339 with microseconds, as metav1.MicroTime serialises. */
export function nowMicroTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const alphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** upstream SimpleNameGenerator: base (max 58 chars) + 5 random characters. */
export function generateName(base: string): string {
  let s = base.length > 58 ? base.slice(0, 58) : base;
  for (let i = 0; i < 5; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

export function newUID(): string {
  return randomUUID();
}

export function meta(obj: Obj): Obj {
  if (!obj['metadata'] || typeof obj['metadata'] !== 'object') obj['metadata'] = {};
  return obj['metadata'] as Obj;
}

/** Deep structural equality for JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ka = Object.keys(a as object).filter((k) => (a as Obj)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Obj)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Obj)[k], (b as Obj)[k]));
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
