/**
 * `metadata.managedFields`: decoding entries into per-manager field sets
 * and encoding them back, as apimachinery's `managedfields/internal` does.
 * A manager is identified by its name, operation, subresource and (for
 * Update only) API version, so one applier keeps one Apply entry across
 * versions while updaters get one entry per version they wrote with.
 */
import { isObject, type JsonObject } from '../patch/json-value.ts';
import { goJson } from './field-path.ts';
import type { FieldSet } from './field-set.ts';
import { fieldSetFromFieldsV1, fieldSetToFieldsV1 } from './fields-v1.ts';

/** One entry as it appears in the object. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: JsonObject;
  subresource?: string;
}

/** A manager's fields, the version they were written in, and whether it owns them by applying. */
export interface VersionedSet {
  set: FieldSet;
  apiVersion: string;
  applied: boolean;
}

/** Field sets and times by manager identifier. */
export interface Managed {
  fields: Map<string, VersionedSet>;
  times: Map<string, string | undefined>;
}

export function emptyManaged(): Managed {
  return { fields: new Map(), times: new Map() };
}

/** A managedFields list that cannot be read; upstream's wording. */
export class ManagedFieldsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManagedFieldsError';
  }
}

/**
 * The identifier upstream builds (`BuildManagerIdentifier`): the entry as
 * Go's JSON without time, fields and, for Apply, the API version.
 */
export function managerIdentifier(e: { manager?: string; operation?: string; apiVersion?: string; subresource?: string }): string {
  const parts: string[] = [];
  if (e.manager) parts.push(`"manager":${goJson(e.manager)}`);
  if (e.operation) parts.push(`"operation":${goJson(e.operation)}`);
  if (e.apiVersion && e.operation !== 'Apply') parts.push(`"apiVersion":${goJson(e.apiVersion)}`);
  if (e.subresource) parts.push(`"subresource":${goJson(e.subresource)}`);
  return `{${parts.join(',')}}`;
}

/** The identifier's parts. */
export function parseIdentifier(id: string): { manager?: string; operation?: string; apiVersion?: string; subresource?: string } {
  return JSON.parse(id) as { manager?: string; operation?: string; apiVersion?: string; subresource?: string };
}

function describe(e: JsonObject): string {
  return JSON.stringify(e);
}

/** Reads `metadata.managedFields`; throws `ManagedFieldsError` on a malformed entry. */
export function decodeManagedFields(entries: unknown): Managed {
  const managed = emptyManaged();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new ManagedFieldsError('managedFields must be a list');
  entries.forEach((raw, i) => {
    if (!isObject(raw)) throw new ManagedFieldsError(`managed fields entry ${i} must be an object`);
    const e = raw as ManagedFieldsEntry;
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new ManagedFieldsError('operation must be `Apply` or `Update`');
    if (!e.apiVersion) throw new ManagedFieldsError('apiVersion must not be empty');
    if (!e.fieldsType) throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new ManagedFieldsError(`invalid fieldsType "${e.fieldsType}" in managed fields entry ${i}`);
    let set: FieldSet;
    try {
      set = fieldSetFromFieldsV1(e.fieldsV1 ?? {});
    } catch (err) {
      throw new ManagedFieldsError(`error decoding versioned set from ${describe(raw)}: error decoding set: ${(err as Error).message}`);
    }
    const id = managerIdentifier(e);
    managed.fields.set(id, { set, apiVersion: e.apiVersion, applied: e.operation === 'Apply' });
    managed.times.set(id, typeof e.time === 'string' ? e.time : undefined);
  });
  return managed;
}

function seconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Writes the entries back, ordered as upstream orders them: Apply before
 * Update, then oldest first, then by manager, API version and subresource.
 * Returns undefined when no manager is left (the field is then omitted).
 */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.fields.size === 0) return undefined;
  const out: ManagedFieldsEntry[] = [];
  for (const [id, vs] of managed.fields) {
    const idParts = parseIdentifier(id);
    const entry: ManagedFieldsEntry = {};
    if (idParts.manager) entry.manager = idParts.manager;
    const operation = vs.applied ? 'Apply' : idParts.operation;
    if (operation) entry.operation = operation;
    if (vs.apiVersion) entry.apiVersion = vs.apiVersion;
    const time = managed.times.get(id);
    if (time) entry.time = time;
    entry.fieldsType = 'FieldsV1';
    entry.fieldsV1 = fieldSetToFieldsV1(vs.set);
    if (idParts.subresource) entry.subresource = idParts.subresource;
    out.push(entry);
  }
  return out.sort(
    (p, q) =>
      cmp(p.operation ?? '', q.operation ?? '') ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager ?? '', q.manager ?? '') ||
      cmp(p.apiVersion ?? '', q.apiVersion ?? '') ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
}

/** Upstream treats `[]` and `[{}]` in a request as "clear managedFields". */
export function isResetManagedFields(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && isObject(entries[0]) && Object.keys(entries[0]).length === 0;
}

/** RFC 3339 with whole seconds in UTC, as metav1.Time serializes. */
export function formatTime(t: string | Date): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
