/**
 * JSON Pointer (RFC 6901) resolution and the container edits JSON Patch
 * makes, with `evanphx/json-patch` v4's rules (see `json-patch.ts`).
 */
import { isObject } from './json-value.ts';

/** One operation as sent. Fields are checked when the operation runs, as upstream does. */
export type JsonPatchOperation = Record<string, unknown>;

/** A patch that does not apply, worded as json-patch v4 words it. */
export class JsonPatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPatchError';
  }
}

export interface Root {
  doc: unknown;
}

/** A container (object or array) and the final, unescaped token of a pointer. */
export interface Target {
  container: Record<string, unknown> | unknown[];
  key: string;
}

export const missingValue = 'missing value';
const invalidIndex = 'invalid index referenced';

export function pathOf(op: JsonPatchOperation, field: 'path' | 'from'): string | undefined {
  const v = op[field];
  return typeof v === 'string' ? v : undefined;
}

/** Operations without `value` behave as if it were null: v4 marshals the absent node as `null`. */
export function valueOf(op: JsonPatchOperation): unknown {
  return 'value' in op ? structuredClone(op.value) : null;
}

function unescape(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

/**
 * Resolves every token but the last. Like v4 it splits on `/` and ignores
 * what precedes the first slash, and fails (undefined) on anything missing,
 * null or scalar along the way.
 */
export function findTarget(root: Root, path: string): Target | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let node: unknown = root.doc;
  if (!isObject(node) && !Array.isArray(node)) return undefined;
  for (const raw of split.slice(1, -1)) {
    const part = unescape(raw);
    let next: unknown;
    if (Array.isArray(node)) {
      const idx = arrayIndex(node.length, part);
      if (idx === undefined) return undefined;
      next = node[idx];
    } else {
      next = (node as Record<string, unknown>)[part];
    }
    if (!isObject(next) && !Array.isArray(next)) return undefined;
    node = next;
  }
  return { container: node as Record<string, unknown> | unknown[], key: unescape(split[split.length - 1]) };
}

/** Go's strconv.Atoi, then v4's negative-index rule, for reads. */
export function arrayIndex(length: number, key: string): number | undefined {
  if (!/^[+-]?\d+$/.test(key)) return undefined;
  let idx = Number(key);
  if (idx < 0) {
    if (idx < -length) return undefined;
    idx += length;
  }
  return idx < length ? idx : undefined;
}

export function parseIndex(key: string): number {
  if (!/^[+-]?\d+$/.test(key)) {
    throw new JsonPatchError(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  }
  return Number(key);
}

export function getIn(t: Target): unknown {
  if (Array.isArray(t.container)) {
    const idx = parseIndex(t.key);
    const resolved = arrayIndex(t.container.length, t.key);
    if (resolved === undefined) throw new JsonPatchError(`Unable to access invalid index: ${idx}: ${invalidIndex}`);
    return t.container[resolved];
  }
  // v4 does not distinguish a missing key from a present null here.
  return Object.hasOwn(t.container, t.key) ? t.container[t.key] : undefined;
}

export function addIn(t: Target, value: unknown): void {
  if (!Array.isArray(t.container)) {
    t.container[t.key] = value;
    return;
  }
  if (t.key === '-') {
    t.container.push(value);
    return;
  }
  if (!/^[+-]?\d+$/.test(t.key)) {
    throw new JsonPatchError(
      `value was not a proper array index: '${t.key}': strconv.Atoi: parsing ${JSON.stringify(t.key)}: invalid syntax`,
    );
  }
  let idx = Number(t.key);
  const size = t.container.length + 1;
  if (idx >= size || idx < -size) throw new JsonPatchError(`Unable to access invalid index: ${idx}: ${invalidIndex}`);
  if (idx < 0) idx += size;
  t.container.splice(idx, 0, value);
}

export function removeIn(t: Target): void {
  if (!Array.isArray(t.container)) {
    if (!Object.hasOwn(t.container, t.key)) {
      throw new JsonPatchError(`Unable to remove nonexistent key: ${t.key}: ${missingValue}`);
    }
    delete t.container[t.key];
    return;
  }
  let idx = parseIndex(t.key);
  const len = t.container.length;
  if (idx >= len || idx < -len) throw new JsonPatchError(`Unable to access invalid index: ${idx}: ${invalidIndex}`);
  if (idx < 0) idx += len;
  t.container.splice(idx, 1);
}

