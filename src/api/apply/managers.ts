/**
 * The bookkeeping around the ownership rules that every write shares
 * (apimachinery's field manager chain): who the current manager is, the
 * merge of a write into the manager's entry with a fresh timestamp, the
 * metadata fields nobody owns, and the cap on Update entries.
 */
import { isObject, type JsonObject } from '../patch/json-value.ts';
import type { MessageType, Schema } from '../schema/types.ts';
import { FieldSet } from './field-set.ts';
import type { FieldPath } from './field-path.ts';
import { managerIdentifier, type Managed } from './managed-fields.ts';
import { TypedSchema } from './typed-schema.ts';
import { updateFields, type UpdaterContext } from './updater.ts';

/** What every managed-fields operation needs to know. */
export interface FieldManagerOptions {
  /** The field manager (`?fieldManager=`, else the user agent's product). Empty becomes `unknown`. */
  manager: string;
  /** The version the client wrote in, e.g. `apps/v1`. */
  apiVersion: string;
  /** Now: the time recorded for the manager's entry (RFC 3339 string or Date). */
  time: string | Date;
  /** The object's message type, e.g. `io.k8s.api.apps.v1.Deployment`. */
  type: MessageType;
  schema: Schema;
  /** `status`, `scale`, … when writing through a subresource. */
  subresource?: string;
  /**
   * Fields this endpoint never hands out (upstream's "reset fields" of the
   * resource strategy), e.g. `[['status']]` on a main resource. Paths and
   * everything below them are left out of every comparison and set.
   */
  ignoredFields?: FieldPath[];
}

/** Upstream caps Update entries at this many; older ones are merged into `ancient-changes`. */
export const maxUpdateManagers = 10;

/** Metadata no manager owns (`stripMetaManager`). */
const strippedFields = FieldSet.of(
  [{ field: 'apiVersion' }],
  [{ field: 'kind' }],
  [{ field: 'metadata' }],
  [{ field: 'metadata' }, { field: 'name' }],
  [{ field: 'metadata' }, { field: 'namespace' }],
  [{ field: 'metadata' }, { field: 'creationTimestamp' }],
  [{ field: 'metadata' }, { field: 'selfLink' }],
  [{ field: 'metadata' }, { field: 'uid' }],
  [{ field: 'metadata' }, { field: 'clusterName' }],
  [{ field: 'metadata' }, { field: 'generation' }],
  [{ field: 'metadata' }, { field: 'managedFields' }],
  [{ field: 'metadata' }, { field: 'resourceVersion' }],
);

export function updaterContext(opts: FieldManagerOptions): UpdaterContext {
  const ts = new TypedSchema(opts.schema);
  const ignored = opts.ignoredFields?.length ? FieldSet.of(...opts.ignoredFields) : undefined;
  return { ts, node: ts.root(opts.type), ignored };
}

export function identifierFor(opts: FieldManagerOptions, operation: 'Apply' | 'Update', manager = opts.manager): string {
  return managerIdentifier({
    manager: manager || 'unknown',
    operation,
    apiVersion: opts.apiVersion,
    subresource: opts.subresource,
  });
}

/** Removes unowned metadata from one manager's set, dropping the manager if nothing is left. */
export function stripMeta(managed: Managed, id: string): void {
  const vs = managed.fields.get(id);
  if (!vs) return;
  const set = vs.set.difference(strippedFields);
  if (set.empty()) managed.fields.delete(id);
  else managed.fields.set(id, { ...vs, set });
}

/**
 * Records a non-apply write by `id` (`managedFieldsUpdater` over
 * `Updater.Update`): ownership is computed for a throwaway workflow, then
 * merged into the manager's entry, whose time moves only if the write
 * changed something it now owns.
 */
export function recordUpdate(
  ctx: UpdaterContext,
  managed: Managed,
  live: unknown,
  updated: unknown,
  version: string,
  id: string,
  time: string,
): Managed {
  const workflow = 'current-operation';
  const fields = updateFields(ctx, live, updated, version, managed.fields, workflow);
  const next: Managed = { fields, times: new Map(managed.times) };
  stripMeta(next, workflow);
  const current = next.fields.get(workflow);
  if (current) {
    next.fields.delete(workflow);
    const previous = next.fields.get(id);
    next.fields.set(id, { ...current, set: previous ? current.set.union(previous.set) : current.set });
    next.times.set(id, time);
  }
  return next;
}

function seconds(t: string | undefined): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/**
 * Keeps at most `max` Update entries: the oldest are folded, per API
 * version, into one `ancient-changes` entry (`capManagersManager`).
 */
export function capUpdateManagers(managed: Managed, max = maxUpdateManagers): Managed {
  const updaters = [...managed.fields].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= max) return managed;
  const fields = new Map(managed.fields);
  const times = new Map(managed.times);
  updaters.sort((a, b) => seconds(times.get(a)) - seconds(times.get(b)) || (a < b ? -1 : a > b ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const id = updaters[i];
    const vs = fields.get(id)!;
    const time = times.get(id);
    const bucket = managerIdentifier({ manager: 'ancient-changes', operation: 'Update', apiVersion: vs.apiVersion });
    const first = firstByVersion.get(vs.apiVersion);
    if (first === undefined) {
      firstByVersion.set(vs.apiVersion, id);
      continue;
    }
    if (!fields.has(bucket)) {
      fields.set(bucket, fields.get(first)!);
      fields.delete(first);
    }
    fields.set(bucket, { ...vs, set: vs.set.union(fields.get(bucket)!.set) });
    fields.delete(id);
    length--;
    times.set(bucket, time);
  }
  return { fields, times };
}

/** A deep copy of `obj` without `metadata.managedFields`. */
export function withoutManagedFields(obj: unknown): JsonObject {
  const copy = structuredClone(isObject(obj) ? obj : {});
  if (isObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

/** Writes encoded entries into `obj.metadata.managedFields` (or removes the field). */
export function setManagedFields(obj: JsonObject, entries: unknown[] | undefined): void {
  if (!isObject(obj.metadata)) {
    if (!entries) return;
    obj.metadata = {};
  }
  const meta = obj.metadata as JsonObject;
  if (entries) meta.managedFields = entries;
  else delete meta.managedFields;
}
