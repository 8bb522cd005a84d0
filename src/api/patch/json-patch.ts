/**
 * RFC 6902 JSON Patch (`application/json-patch+json`), as the Kubernetes
 * apiserver applies it: with the rules of `gopkg.in/evanphx/json-patch.v4`,
 * the library it uses. Where v4 departs from the RFC we follow v4, because
 * that is what kubectl users see:
 * - `replace` of a missing key in an existing object adds it;
 * - `add`/`remove` with the empty path fail ("doc is missing path");
 * - negative array indices count from the end;
 * - `copy` from a missing key of an existing object copies `null`.
 *
 * The apiserver answers a patch that does not apply with 422 Invalid and the
 * generic message "the server rejected our request due to an error in our
 * request" (`NewGenericServerResponse(422, …)` in `handlers/patch.go`); the
 * precise reason travels as the ApiError's `cause`, for logs.
 */
import { ApiError, errors } from '../errors.ts';
import { deepEqual, isObject } from './json-value.ts';

/** One operation as sent. Fields are checked when the operation runs, as upstream does. */
export type JsonPatchOperation = Record<string, unknown>;

/** Upstream refuses patches with more operations than this (413). */
export const maxJsonPatchOperations = 10000;

/** A patch that does not apply, worded as json-patch v4 words it. */
export class JsonPatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPatchError';
  }
}

/** How Go's encoding/json names a JSON value's type in unmarshal errors. */
function goJsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/**
 * Checks a parsed request body is a JSON Patch: an array of objects (null
 * entries pass, as in Go, and fail later as operation "unknown"). Shape
 * errors are 400s worded as Go's decoder; too many operations is a 413.
 */
export function decodeJsonPatch(body: unknown): JsonPatchOperation[] {
  if (!Array.isArray(body)) {
    if (body === null) return [];
    throw errors.badRequest(`json: cannot unmarshal ${goJsonKind(body)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of body) {
    if (op !== null && !isObject(op)) {
      throw errors.badRequest(`json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (body.length > maxJsonPatchOperations) {
    throw errors.tooLarge(`The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${body.length}`);
  }
  return body.map((op) => (op === null ? {} : (op as JsonPatchOperation)));
}

/**
 * Applies a JSON Patch body to a copy of `doc` (the object as JSON, in the
 * version the client addressed). Shape errors are 400/413 as in
 * `decodeJsonPatch`; an operation that does not apply is the 422 upstream
 * returns, with the `JsonPatchError` as cause.
 */
export function applyJsonPatch(doc: unknown, body: unknown): unknown {
  const ops = decodeJsonPatch(body);
  try {
    return applyJsonPatchOperations(doc, ops);
  } catch (e) {
    if (e instanceof JsonPatchError) {
      return rejectPatch(e);
    }
    throw e;
  }
}

function rejectPatch(cause: JsonPatchError): never {
  throw new ApiError('Invalid', 'the server rejected our request due to an error in our request', {}, { cause });
}

/**
 * The engine: applies decoded operations in order to a deep copy of `doc`
 * and returns it. Throws `JsonPatchError` on the first one that fails.
 */
export function applyJsonPatchOperations(doc: unknown, ops: readonly JsonPatchOperation[]): unknown {
  const root = { doc: structuredClone(doc) };
  for (const op of ops) {
    const kind = typeof op.op === 'string' ? op.op : 'unknown';
    switch (kind) {
      case 'add':
        add(root, op);
        break;
      case 'remove':
        remove(root, op);
        break;
      case 'replace':
        replace(root, op);
        break;
      case 'move':
        move(root, op);
        break;
      case 'test':
        test(root, op);
        break;
      case 'copy':
        copy(root, op);
        break;
      default:
        throw new JsonPatchError(`Unexpected kind: ${kind}`);
    }
  }
  return root.doc;
}

interface Root {
  doc: unknown;
}

/** A container (object or array) and the final, unescaped token of a pointer. */
interface Target {
  container: Record<string, unknown> | unknown[];
  key: string;
}

const missingValue = 'missing value';
const invalidIndex = 'invalid index referenced';

function pathOf(op: JsonPatchOperation, field: 'path' | 'from'): string | undefined {
  const v = op[field];
  return typeof v === 'string' ? v : undefined;
}

/** Operations without `value` behave as if it were null: v4 marshals the absent node as `null`. */
function valueOf(op: JsonPatchOperation): unknown {
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
function findTarget(root: Root, path: string): Target | undefined {
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
function arrayIndex(length: number, key: string): number | undefined {
  if (!/^[+-]?\d+$/.test(key)) return undefined;
  let idx = Number(key);
  if (idx < 0) {
    if (idx < -length) return undefined;
    idx += length;
  }
  return idx < length ? idx : undefined;
}

function parseIndex(key: string): number {
  if (!/^[+-]?\d+$/.test(key)) {
    throw new JsonPatchError(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  }
  return Number(key);
}

function getIn(t: Target): unknown {
  if (Array.isArray(t.container)) {
    const idx = parseIndex(t.key);
    const resolved = arrayIndex(t.container.length, t.key);
    if (resolved === undefined) throw new JsonPatchError(`Unable to access invalid index: ${idx}: ${invalidIndex}`);
    return t.container[resolved];
  }
  // v4 does not distinguish a missing key from a present null here.
  return Object.hasOwn(t.container, t.key) ? t.container[t.key] : undefined;
}

function addIn(t: Target, value: unknown): void {
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

function removeIn(t: Target): void {
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

function add(root: Root, op: JsonPatchOperation): void {
  const path = pathOf(op, 'path');
  if (path === undefined) throw new JsonPatchError(`add operation failed to decode path: ${missingValue}`);
  const t = findTarget(root, path);
  if (!t) throw new JsonPatchError(`add operation does not apply: doc is missing path: "${path}": ${missingValue}`);
  try {
    addIn(t, valueOf(op));
  } catch (e) {
    throw wrap(e, `error in add for path: '${path}'`);
  }
}

function remove(root: Root, op: JsonPatchOperation): void {
  const path = pathOf(op, 'path');
  if (path === undefined) throw new JsonPatchError(`remove operation failed to decode path: ${missingValue}`);
  const t = findTarget(root, path);
  if (!t) throw new JsonPatchError(`remove operation does not apply: doc is missing path: "${path}": ${missingValue}`);
  try {
    removeIn(t);
  } catch (e) {
    throw wrap(e, `error in remove for path: '${path}'`);
  }
}

function replace(root: Root, op: JsonPatchOperation): void {
  const path = pathOf(op, 'path');
  if (path === undefined) throw new JsonPatchError(`replace operation failed to decode path: ${missingValue}`);
  if (path === '') {
    const value = valueOf(op);
    if (!isObject(value) && !Array.isArray(value)) {
      throw new JsonPatchError('replace operation value must be object or array');
    }
    root.doc = value;
    return;
  }
  const t = findTarget(root, path);
  if (!t) throw new JsonPatchError(`replace operation does not apply: doc is missing path: ${path}: ${missingValue}`);
  if (Array.isArray(t.container)) {
    try {
      getIn(t);
    } catch {
      throw new JsonPatchError(`replace operation does not apply: doc is missing key: ${path}: ${missingValue}`);
    }
    t.container[arrayIndex(t.container.length, t.key) as number] = valueOf(op);
    return;
  }
  t.container[t.key] = valueOf(op);
}

function move(root: Root, op: JsonPatchOperation): void {
  const from = pathOf(op, 'from');
  if (from === undefined) throw new JsonPatchError(`move operation failed to decode from: operation, missing from field: ${missingValue}`);
  const src = findTarget(root, from);
  if (!src) throw new JsonPatchError(`move operation does not apply: doc is missing from path: ${from}: ${missingValue}`);
  let value: unknown;
  try {
    value = getIn(src);
    removeIn(src);
  } catch (e) {
    throw wrap(e, `error in move for path: '${src.key}'`);
  }
  const path = pathOf(op, 'path');
  if (path === undefined) throw new JsonPatchError(`move operation failed to decode path: operation missing path field: ${missingValue}`);
  const dst = findTarget(root, path);
  if (!dst) throw new JsonPatchError(`move operation does not apply: doc is missing destination path: ${path}: ${missingValue}`);
  try {
    addIn(dst, value === undefined ? null : value);
  } catch (e) {
    throw wrap(e, `error in move for path: '${path}'`);
  }
}

function test(root: Root, op: JsonPatchOperation): void {
  const path = pathOf(op, 'path');
  if (path === undefined) throw new JsonPatchError(`test operation failed to decode path: operation missing path field: ${missingValue}`);
  const failed = () => new JsonPatchError(`testing value ${path} failed: test failed`);
  if (path === '') {
    if (!deepEqual(root.doc, 'value' in op ? op.value : null)) throw failed();
    return;
  }
  const t = findTarget(root, path);
  if (!t) throw new JsonPatchError(`test operation does not apply: is missing path: ${path}: ${missingValue}`);
  let actual: unknown;
  try {
    actual = getIn(t);
  } catch (e) {
    throw wrap(e, `error in test for path: '${path}'`);
  }
  // v4: a missing or null target matches an absent or null value, and nothing else.
  const expected = 'value' in op ? op.value : undefined;
  if (actual === undefined || actual === null) {
    if (expected === undefined || expected === null) return;
    throw failed();
  }
  if (expected === undefined || !deepEqual(actual, expected)) throw failed();
}

function copy(root: Root, op: JsonPatchOperation): void {
  const from = pathOf(op, 'from');
  if (from === undefined) throw new JsonPatchError(`copy operation failed to decode from: operation, missing from field: ${missingValue}`);
  const src = findTarget(root, from);
  if (!src) throw new JsonPatchError(`copy operation does not apply: doc is missing from path: ${from}: ${missingValue}`);
  let value: unknown;
  try {
    value = getIn(src);
  } catch (e) {
    throw wrap(e, `error in copy for from: '${from}'`);
  }
  const path = pathOf(op, 'path');
  if (path === undefined) throw new JsonPatchError(`copy operation failed to decode path: ${missingValue}`);
  const dst = findTarget(root, path);
  if (!dst) throw new JsonPatchError(`copy operation does not apply: doc is missing destination path: ${path}: ${missingValue}`);
  try {
    addIn(dst, value === undefined ? null : structuredClone(value));
  } catch (e) {
    throw wrap(e, 'error while adding value during copy');
  }
}

function wrap(e: unknown, prefix: string): JsonPatchError {
  if (e instanceof JsonPatchError) return new JsonPatchError(`${prefix}: ${e.message}`);
  throw e;
}
