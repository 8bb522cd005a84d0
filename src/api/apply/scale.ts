/**
 * Ownership through the `scale` subresource (apimachinery
 * `managedfields.ScaleHandler`): upstream runs the field manager on the
 * autoscaling/v1 Scale object, whose only owned field is `spec.replicas`,
 * translating the parent's entries to Scale entries and back. We apply the
 * same translation directly on the parent:
 * - managers owning the parent's replica count own the Scale's;
 * - a scale write that changes the count takes it from them;
 * - back on the parent, Update entries that owned the count lose it, and
 *   every Scale owner of the count gets an entry of its own (without a
 *   time, as upstream writes it) for the parent's replica path.
 */
import { deepEqual, isObject, type JsonObject } from '../patch/json-value.ts';
import type { FieldPath } from './field-path.ts';
import { FieldSet } from './field-set.ts';
import { managerIdentifier, parseIdentifier, type Managed } from './managed-fields.ts';
import { capUpdateManagers, identifierFor, type FieldManagerOptions } from './managers.ts';

const scaleVersion = 'autoscaling/v1';
const replicasPath: FieldPath = [{ field: 'spec' }, { field: 'replicas' }];

function replicasOf(obj: unknown): unknown {
  return isObject(obj) && isObject(obj.spec) ? obj.spec.replicas : undefined;
}

/** The Scale's entries: owners of the replica count, re-identified at autoscaling/v1. */
function toSubresource(parent: Managed): Managed {
  const out: Managed = { fields: new Map(), times: new Map() };
  for (const [id, vs] of parent.fields) {
    if (!vs.set.has(replicasPath)) continue;
    const scaleId = managerIdentifier({ ...parseIdentifier(id), apiVersion: scaleVersion });
    out.fields.set(scaleId, { set: FieldSet.of(replicasPath), apiVersion: scaleVersion, applied: vs.applied });
    out.times.set(scaleId, parent.times.get(id));
  }
  return out;
}

/** The parent's entries after the Scale's changed (`ToParent`). */
function toParent(parent: Managed, scale: Managed, parentVersion: string): Managed {
  const out: Managed = { fields: new Map(), times: new Map() };
  const remaining = new Map(scale.fields);
  for (const [id, vs] of parent.fields) {
    if (!vs.set.has(replicasPath)) {
      out.fields.set(id, vs);
      out.times.set(id, parent.times.get(id));
      continue;
    }
    if (remaining.has(id)) {
      out.fields.set(id, vs);
      out.times.set(id, parent.times.get(id));
      remaining.delete(id);
      continue;
    }
    const set = vs.set.difference(FieldSet.of(replicasPath));
    if (!set.empty()) {
      out.fields.set(id, { ...vs, set });
      out.times.set(id, parent.times.get(id));
    }
  }
  for (const [id, vs] of remaining) {
    if (!vs.set.has(replicasPath)) continue;
    out.fields.set(id, { set: FieldSet.of(replicasPath), apiVersion: parentVersion, applied: vs.applied });
    out.times.set(id, parent.times.get(id));
  }
  return out;
}

/** The parent's entries after a write through `/scale` that may have changed `spec.replicas`. */
export function updateScaleManagedFields(
  opts: FieldManagerOptions & { live?: JsonObject },
  parent: Managed,
  updated: JsonObject,
  time: string,
): Managed {
  let scale = toSubresource(parent);
  // The Scale's own field manager: untracked (no owners) stays untracked.
  if (scale.fields.size > 0 && !deepEqual(replicasOf(opts.live), replicasOf(updated))) {
    const id = identifierFor({ ...opts, apiVersion: scaleVersion, subresource: 'scale' }, 'Update');
    const fields = new Map<string, { set: FieldSet; apiVersion: string; applied: boolean }>();
    for (const [other, vs] of scale.fields) {
      if (other === id) continue;
      const set = vs.set.difference(FieldSet.of(replicasPath));
      if (!set.empty()) fields.set(other, { ...vs, set });
    }
    fields.set(id, { set: FieldSet.of(replicasPath), apiVersion: scaleVersion, applied: false });
    const times = new Map(scale.times);
    times.set(id, time);
    scale = capUpdateManagers({ fields, times });
  }
  return toParent(parent, scale, opts.apiVersion);
}
