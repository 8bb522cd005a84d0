/**
 * Wires the components the registry calls — schema decoding, defaulting,
 * validation, patching and field management — into the registry's Hooks.
 */
import { errors } from '../api/errors.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../api/patch/index.ts';
import { schema } from '../api/schema/index.ts';
import { decodeObject } from '../api/schema/decode.ts';
import { validate } from '../api/validation/index.ts';
import { applyDefaults, prepareForCreate } from '../api/defaults/index.ts';
import { applyConflictError, serverSideApply, updateManagedFields, type FieldPath } from '../api/apply/index.ts';
import { findKind } from '../api/resources.ts';
import type { Hooks, Obj } from '../registry/types.ts';

function asObject(v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw errors.badRequest('the patch result is not an object');
  return v as Obj;
}

function apiVersionOf(gvk: { group: string; version: string }): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}

/**
 * Fields an endpoint never hands out (upstream's strategy "reset fields"):
 * the main resource of a kind with a status subresource does not own
 * status, and the status subresource does not own spec.
 */
function resetFields(gvk: { group: string; version: string; kind: string }, subresource: string): FieldPath[] | undefined {
  const info = findKind(gvk.group, gvk.version, gvk.kind);
  if (!info?.subresources.some((s) => s.name === 'status')) return undefined;
  if (subresource === 'status') return [[{ field: 'spec' }]];
  return [[{ field: 'status' }]];
}

export interface HookOptions {
  /** `--service-node-port-range`: validation accepts node ports inside it. */
  nodePortRange?: readonly [number, number];
}

export function createHooks(opts: HookOptions = {}): Hooks {
  return {
    defaults: (gvk, obj) => applyDefaults(gvk, obj),
    prepareForCreate: (gvk, obj) => prepareForCreate(gvk, obj),
    validate: (gvk, obj, old, subresource) => validate(gvk, obj, old, { subresource: subresource || undefined, nodePortRange: opts.nodePortRange }),
    decode(gvk, obj) {
      const type = schema.typeForKind(gvk.group, gvk.version, gvk.kind);
      if (!type) return { object: obj, unknownFields: [] };
      return decodeObject(type, obj, gvk) as { object: Obj; unknownFields: string[] };
    },
    updateManagedFields({ live, updated, manager, gvk, subresource, time }) {
      const type = schema.typeForKind(gvk.group, gvk.version, gvk.kind);
      if (!type) return;
      const out = updateManagedFields({
        live,
        updated,
        manager,
        apiVersion: apiVersionOf(gvk),
        time,
        type,
        schema,
        subresource: subresource || undefined,
        ignoredFields: resetFields(gvk, subresource),
      });
      const mf = (out['metadata'] as Obj | undefined)?.['managedFields'];
      const m = (updated['metadata'] ??= {});
      if (mf === undefined) delete m.managedFields;
      else m.managedFields = mf;
    },
    apply({ live, applied, manager, force, gvk, time }) {
      const type = schema.typeForKind(gvk.group, gvk.version, gvk.kind);
      if (!type) throw errors.badRequest(`server-side apply is not supported for ${gvk.kind}`);
      const res = serverSideApply({ live, applied, manager, force, apiVersion: apiVersionOf(gvk), time, type, schema, ignoredFields: resetFields(gvk, '') });
      if (!res.ok) throw applyConflictError(res.conflicts);
      return res.object as Obj;
    },
    patch(type, gvk, original, patch) {
      switch (type) {
        case 'json':
          return asObject(applyJsonPatch(original, patch));
        case 'merge':
          return asObject(applyMergePatch(original, patch));
        case 'strategic':
          return applyStrategicMergePatch(original, patch, schema.typeForKind(gvk.group, gvk.version, gvk.kind), schema) as Obj;
      }
    },
  };
}
