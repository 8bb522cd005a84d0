/**
 * The ownership rules of server-side apply, ported from structured-merge-diff
 * `merge.Updater`:
 * - an update takes ownership of every field it adds or changes and takes
 *   those fields away from other managers (it never conflicts);
 * - an apply merges the configuration into the live object, prunes fields
 *   the applier owned before and no longer sets (unless someone else owns
 *   them), then checks that no field another manager owns changed value;
 *   with `force` those fields change hands instead.
 *
 * Managers are keyed by identifier (see `managed-fields.ts`). Only one API
 * version exists per kind here, so no conversion happens between versions.
 */
import { deepEqual } from '../patch/json-value.ts';
import type { FieldPath } from './field-path.ts';
import { FieldSet } from './field-set.ts';
import type { VersionedSet } from './managed-fields.ts';
import { ensureNamedFieldsAreMembers, merge, removeItems } from './typed-merge.ts';
import type { TypedSchema, TypeNode } from './typed-schema.ts';
import { compare, toFieldSet, type Comparison } from './typed-value.ts';

/** The schema, the object's root type, and fields excluded from ownership (upstream's reset fields). */
export interface UpdaterContext {
  ts: TypedSchema;
  node: TypeNode;
  ignored?: FieldSet;
}

/** A field owned by another manager that the operation would change. */
export interface Conflict {
  managerId: string;
  path: FieldPath;
}

export type ManagerSets = Map<string, VersionedSet>;

function filter(ctx: UpdaterContext, set: FieldSet): FieldSet {
  return ctx.ignored ? set.recursiveDifference(ctx.ignored) : set;
}

function compareFiltered(ctx: UpdaterContext, oldObj: unknown, newObj: unknown): Comparison {
  const c = compare(ctx.ts, oldObj, newObj, ctx.node);
  return { added: filter(ctx, c.added), modified: filter(ctx, c.modified), removed: filter(ctx, c.removed) };
}

/**
 * Moves ownership after `oldObj` became `newObj` on behalf of `workflow`:
 * other managers lose changed fields (or, without `force`, the change is a
 * conflict) and removed fields. Empty managers are dropped.
 */
function update(
  ctx: UpdaterContext,
  oldObj: unknown,
  newObj: unknown,
  managers: ManagerSets,
  workflow: string,
  force: boolean,
): { managers: ManagerSets; comparison: Comparison } | { conflicts: Conflict[] } {
  const comparison = compareFiltered(ctx, oldObj, newObj);
  const changed = comparison.modified.union(comparison.added);
  const conflicts: Conflict[] = [];
  const out: ManagerSets = new Map();
  for (const [id, vs] of managers) {
    if (id === workflow) {
      if (!vs.set.empty()) out.set(id, vs);
      continue;
    }
    const conflictSet = vs.set.intersection(changed);
    for (const path of conflictSet.paths()) conflicts.push({ managerId: id, path });
    const set = vs.set.difference(conflictSet).difference(comparison.removed);
    if (!set.empty()) out.set(id, { ...vs, set });
  }
  if (!force && conflicts.length > 0) return { conflicts };
  return { managers: out, comparison };
}

/**
 * A non-apply write: `manager` now owns what it had, minus what it removed,
 * plus what it added or changed (`Updater.Update`).
 */
export function updateFields(
  ctx: UpdaterContext,
  live: unknown,
  updated: unknown,
  version: string,
  managers: ManagerSets,
  manager: string,
): ManagerSets {
  const r = update(ctx, live, updated, managers, manager, true);
  if ('conflicts' in r) throw new Error('unreachable: forced update reported conflicts');
  const { comparison } = r;
  const previous = r.managers.get(manager)?.set ?? new FieldSet();
  const set = filter(ctx, previous.difference(comparison.removed).union(comparison.modified).union(comparison.added));
  const out = new Map(r.managers);
  if (set.empty()) out.delete(manager);
  else out.set(manager, { set, apiVersion: version, applied: false });
  return out;
}

/** The outcome of an apply: the new object (undefined when nothing changed) and managers, or conflicts. */
export type ApplyFieldsResult = { object: unknown; changed: boolean; managers: ManagerSets } | { conflicts: Conflict[] };

/** `Updater.Apply`: merge, record the applied set, prune, then check ownership. */
export function applyFields(
  ctx: UpdaterContext,
  live: unknown,
  config: unknown,
  version: string,
  managers: ManagerSets,
  manager: string,
  force: boolean,
): ApplyFieldsResult {
  let object: unknown = merge(ctx.ts, live, config, ctx.node) ?? {};
  const lastSet = managers.get(manager);
  const withNew = new Map(managers);
  withNew.set(manager, { set: filter(ctx, toFieldSet(ctx.ts, config, ctx.node)), apiVersion: version, applied: true });
  object = prune(ctx, object, withNew, manager, lastSet);
  const r = update(ctx, live, object, withNew, manager, force);
  if ('conflicts' in r) return r;
  return { object, changed: !deepEqual(live, object), managers: r.managers };
}

/**
 * Removes what `manager` applied last time but not this time, unless
 * another manager (or this apply) claims it; fields the manager never
 * applied are left alone.
 */
function prune(ctx: UpdaterContext, merged: unknown, managers: ManagerSets, manager: string, lastSet: VersionedSet | undefined): unknown {
  if (!lastSet || lastSet.set.empty()) return merged;
  const ensure = (s: FieldSet) => ensureNamedFieldsAreMembers(ctx.ts, s, ctx.node);
  const fieldsOf = (v: unknown) => ensure(toFieldSet(ctx.ts, v, ctx.node));
  const remove = (v: unknown, s: FieldSet) => removeItems(ctx.ts, v, s, ctx.node) ?? {};

  let pruned = remove(merged, ensure(lastSet.set));

  // Add back what anyone still owns.
  let owned = new FieldSet();
  for (const vs of managers.values()) owned = owned.union(vs.set);
  const mergedSet = fieldsOf(merged);
  pruned = remove(merged, mergedSet.difference(fieldsOf(pruned).union(ensure(owned))));

  // Only drop what the manager itself applied before.
  return remove(merged, mergedSet.difference(fieldsOf(pruned)).intersection(ensure(lastSet.set)));
}
