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
import {
  addIn,
  arrayIndex,
  findTarget,
  getIn,
  JsonPatchError,
  missingValue,
  pathOf,
  removeIn,
  valueOf,
  type JsonPatchOperation,
  type Root,
} from './json-pointer.ts';

export { JsonPatchError, type JsonPatchOperation };


/** Upstream refuses patches with more operations than this (413). */
export const maxJsonPatchOperations = 10000;

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
