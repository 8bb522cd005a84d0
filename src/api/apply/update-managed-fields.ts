/**
 * Managed fields for non-apply writes (create, update, and JSON, merge and
 * strategic patches; operation `Update`), as the apiserver's field manager
 * records them: the writer owns what it added or changed, other managers
 * lose those fields, and the writer's entry is timestamped.
 *
 * Called by the registry after the new object is final (patched, defaulted)
 * and before it is stored.
 */
import { isObject, type JsonObject } from '../patch/json-value.ts';
import {
  decodeManagedFields,
  emptyManaged,
  encodeManagedFields,
  formatTime,
  isResetManagedFields,
  type Managed,
} from './managed-fields.ts';
import {
  capUpdateManagers,
  identifierFor,
  recordUpdate,
  setManagedFields,
  updaterContext,
  withoutManagedFields,
  type FieldManagerOptions,
} from './managers.ts';
import { updateScaleManagedFields } from './scale.ts';
import { typedForm, zeroObject } from './zero-object.ts';

export interface UpdateManagedFieldsInput extends FieldManagerOptions {
  /** The stored object; undefined for a create. */
  live?: JsonObject;
  /** The object about to be stored. */
  updated: JsonObject;
}

function managedFieldsOf(obj: unknown): unknown {
  return isObject(obj) && isObject(obj.metadata) ? obj.metadata.managedFields : undefined;
}

function decodeOrEmpty(entries: unknown): Managed {
  try {
    return decodeManagedFields(entries);
  } catch {
    return emptyManaged();
  }
}

/**
 * Which entries to start from (`decodeLiveOrNew`): a subresource write
 * cannot set managedFields; a main-resource write may replace them
 * (`[]` clears them), and otherwise keeps the stored ones.
 */
function startingEntries(input: UpdateManagedFieldsInput): Managed {
  const liveEntries = managedFieldsOf(input.live);
  if (input.subresource) return decodeOrEmpty(liveEntries);
  const requested = managedFieldsOf(input.updated);
  if (isResetManagedFields(requested)) return emptyManaged();
  try {
    const managed = decodeManagedFields(requested);
    if (managed.fields.size > 0) return managed;
  } catch {
    // Unreadable entries in the request: keep the stored ones, as upstream does.
  }
  return decodeOrEmpty(liveEntries);
}

/**
 * Returns a copy of `updated` with `metadata.managedFields` recomputed for
 * a write by `manager`. Upstream's exceptions are kept: an existing object
 * without managedFields stays untracked (that is how users switch tracking
 * off), the scale subresource maps ownership of the replica count onto the
 * parent, and when bookkeeping fails the stored entries are kept.
 */
export function updateManagedFields(input: UpdateManagedFieldsInput): JsonObject {
  const time = formatTime(input.time);
  const managed = startingEntries(input);
  const updated = withoutManagedFields(input.updated);
  if (managed.fields.size === 0 && input.live !== undefined) return updated;
  try {
    let next: Managed;
    if (input.subresource === 'scale' && input.live) {
      next = updateScaleManagedFields(input, managed, updated, time);
    } else {
      const ctx = updaterContext(input);
      // Ownership is computed on the typed forms, as upstream computes it on Go objects.
      const live = input.live ? typedForm(withoutManagedFields(input.live), input.type, input.schema) : zeroObject(input.type, input.schema);
      const typedUpdated = typedForm(updated, input.type, input.schema);
      next = recordUpdate(ctx, managed, live, typedUpdated, input.apiVersion, identifierFor(input, 'Update'), time);
      next = capUpdateManagers(next);
    }
    setManagedFields(updated, encodeManagedFields(next));
  } catch {
    // UpdateNoErrors: never fail a write over bookkeeping; keep what was stored.
    setManagedFields(updated, Array.isArray(managedFieldsOf(input.live)) ? structuredClone(managedFieldsOf(input.live) as unknown[]) : undefined);
  }
  return updated;
}
