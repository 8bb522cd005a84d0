/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`), as the
 * apiserver's field manager performs it: the applied configuration is
 * merged into the live object by the schema's list and map semantics,
 * fields this manager applied before and omits now are removed unless
 * someone else owns them, and a field another manager owns with a
 * different value is a conflict unless `force` moves it to us. The
 * manager's Apply entry becomes exactly the applied field set.
 *
 * Malformed requests throw ApiErrors worded as upstream; conflicts are a
 * value (`applyConflictError` turns them into the 409). The caller then
 * defaults, validates and stores the object as for any update, restoring
 * the immutable metadata (uid, creationTimestamp, …) from the live object.
 */
import { ApiError, errors } from '../errors.ts';
import { isObject, withoutNulls, type JsonObject } from '../patch/json-value.ts';
import { describeConflicts, type ApplyConflict } from './conflicts.ts';
import { allowedConflicts, kubectlManager, unforgiven, updateLastApplied } from './last-applied.ts';
import {
  decodeManagedFields,
  encodeManagedFields,
  formatTime,
  ManagedFieldsError,
  type Managed,
} from './managed-fields.ts';
import {
  capUpdateManagers,
  identifierFor,
  recordUpdate,
  setManagedFields,
  stripMeta,
  updaterContext,
  withoutManagedFields,
  type FieldManagerOptions,
} from './managers.ts';
import { TypedError, validateApplied } from './typed-value.ts';
import { applyFields, type Conflict, type UpdaterContext } from './updater.ts';
import { inSchemaOrder, typedForm, zeroObject } from './zero-object.ts';

export interface ServerSideApplyInput extends FieldManagerOptions {
  /** The stored object; undefined when the apply creates it. */
  live?: JsonObject;
  /** The applied configuration (the request body). */
  applied: JsonObject;
  /** `?force=true` (`kubectl apply --server-side --force-conflicts`). */
  force: boolean;
}

export type ServerSideApplyResult = { ok: true; object: JsonObject } | { ok: false; conflicts: ApplyConflict[] };

function gvkString(obj: JsonObject): string {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return `${group}/${version}, Kind=${typeof obj.kind === 'string' ? obj.kind : ''}`;
}

function objectName(obj: JsonObject | undefined): string {
  const meta = obj && isObject(obj.metadata) ? obj.metadata : {};
  const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
  const name = typeof meta.name === 'string' ? meta.name : '';
  return `${ns}/${name}`;
}

/** The apply type check (`versionCheckManager`). */
function checkType(input: ServerSideApplyInput): void {
  const { applied, type } = input;
  const kind = type.gvk?.kind;
  if (applied.apiVersion !== input.apiVersion || (kind !== undefined && applied.kind !== kind)) {
    throw errors.badRequest(`invalid object type: ${gvkString(applied)}`);
  }
}

/** The checks of `structuredMergeManager.Apply` on the configuration. */
function checkConfiguration(input: ServerSideApplyInput, ctx: UpdaterContext): void {
  const { applied } = input;
  if (isObject(applied.metadata) && applied.metadata.managedFields !== undefined && applied.metadata.managedFields !== null) {
    throw errors.badRequest('metadata.managedFields must be nil');
  }
  try {
    validateApplied(ctx.ts, applied, ctx.node);
  } catch (e) {
    if (e instanceof TypedError) {
      throw failure(`failed to create typed patch object (${objectName(applied)}; ${gvkString(applied)}): ${e.message}`, e);
    }
    throw e;
  }
}

/** Upstream returns these as plain errors: a 500 carrying the text. */
function failure(message: string, cause: unknown): ApiError {
  return new ApiError('InternalError', message, undefined, { cause });
}

/**
 * Applies `applied` for `manager` and returns the object to store (with
 * `metadata.managedFields` written) or the conflicts.
 */
export function serverSideApply(input: ServerSideApplyInput): ServerSideApplyResult {
  // Upstream's order: stored managedFields, the type, then the configuration.
  let managed: Managed;
  try {
    managed = decodeManagedFields(input.live && isObject(input.live.metadata) ? input.live.metadata.managedFields : undefined);
  } catch (e) {
    if (e instanceof ManagedFieldsError) throw failure(`failed to decode managed fields: ${e.message}`, e);
    throw e;
  }
  checkType(input);
  const ctx = updaterContext(input);
  checkConfiguration(input, ctx);
  const time = formatTime(input.time);
  // The live object as upstream sees it: converted to Go types and back.
  const live = input.live ? typedForm(withoutManagedFields(input.live), input.type, input.schema) : undefined;

  let result = applyOnce(ctx, input, managed, live, time, input.force);
  if (!result.ok && input.manager === kubectlManager && live) {
    const allowed = allowedConflicts(ctx, live, input.apiVersion);
    if (allowed) {
      const remaining = unforgiven(result.conflicts, allowed);
      result = remaining.length > 0 ? { ok: false, conflicts: remaining } : applyOnce(ctx, input, managed, live, time, true);
    }
  }
  if (!result.ok) return { ok: false, conflicts: describeConflicts(result.conflicts, versionsOf(managed)) };

  const object = result.object;
  if (input.manager === kubectlManager) updateLastApplied(object, input.applied);
  setManagedFields(object, encodeManagedFields(result.managed));
  const ordered = inSchemaOrder(withoutNulls(object), { kind: 'message', name: input.type.name }, input.schema) as JsonObject;
  return { ok: true, object: ordered };
}

function versionsOf(managed: Managed): Map<string, string> {
  return new Map([...managed.fields].map(([id, vs]) => [id, vs.apiVersion]));
}

type Attempt = { ok: true; object: JsonObject; managed: Managed } | { ok: false; conflicts: Conflict[] };

/** One pass of the apply chain below the last-applied rules. */
function applyOnce(
  ctx: UpdaterContext,
  input: ServerSideApplyInput,
  managed: Managed,
  live: JsonObject | undefined,
  time: string,
  force: boolean,
): Attempt {
  // An object nobody tracked yet: its current fields go to `before-first-apply` first.
  if (managed.fields.size === 0 && live) {
    const zero = zeroObject(input.type, input.schema);
    const id = identifierFor(input, 'Update', 'before-first-apply');
    managed = capUpdateManagers(recordUpdate(ctx, managed, zero, live, input.apiVersion, id, time));
  }
  const id = identifierFor(input, 'Apply');
  const base = live ?? zeroObject(input.type, input.schema);
  let r;
  try {
    r = applyFields(ctx, base, input.applied, input.apiVersion, managed.fields, id, force);
  } catch (e) {
    if (e instanceof TypedError) throw failure(`failed to merge config: ${e.message}`, e);
    throw e;
  }
  if ('conflicts' in r) return { ok: false, conflicts: r.conflicts };
  const next: Managed = { fields: r.managers, times: new Map(managed.times) };
  stripMeta(next, id);
  if (r.changed) next.times.set(id, time);
  const object = r.changed ? structuredClone(r.object as JsonObject) : structuredClone(base);
  return { ok: true, object, managed: next };
}
