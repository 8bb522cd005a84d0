/**
 * Wires the components the registry calls — schema decoding, defaulting,
 * validation, patching and field management — into the registry's Hooks.
 */
import { errors } from '../api/errors.ts';
import { applyJsonPatch, JsonPatchError } from '../api/patch/json-patch.ts';
import { applyMergePatch } from '../api/patch/merge-patch.ts';
import { strategicMerge } from '../api/patch/strategic-merge.ts';
import { schema } from '../api/schema/index.ts';
import { decodeObject } from '../api/schema/decode.ts';
import { validate } from '../api/validation/index.ts';
import { applyDefaults, prepareForCreate } from '../api/defaults/index.ts';
import type { Hooks, Obj } from '../registry/types.ts';

function asObject(v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw errors.badRequest('the patch result is not an object');
  return v as Obj;
}

export function createHooks(): Hooks {
  return {
    defaults: (gvk, obj) => applyDefaults(gvk, obj),
    prepareForCreate: (gvk, obj) => prepareForCreate(gvk, obj),
    validate: (gvk, obj, old, subresource) => validate(gvk, obj, old, { subresource: subresource || undefined }),
    decode(gvk, obj) {
      const type = schema.typeForKind(gvk.group, gvk.version, gvk.kind);
      if (!type) return { object: obj, unknownFields: [] };
      return decodeObject(type, obj, gvk) as { object: Obj; unknownFields: string[] };
    },
    updateManagedFields: () => {},
    apply: ({ live, applied }) => ({ ...(live ?? {}), ...applied }),
    patch(type, gvk, original, patch) {
      switch (type) {
        case 'json':
          try {
            return asObject(applyJsonPatch(original, patch));
          } catch (e) {
            if (e instanceof JsonPatchError) throw errors.invalid(gvk.group, gvk.kind, original['metadata']?.name ?? '', []);
            throw e;
          }
        case 'merge':
          return asObject(applyMergePatch(original, patch));
        case 'strategic':
          return strategicMerge(original, patch, schema.typeForKind(gvk.group, gvk.version, gvk.kind), schema);
      }
    },
  };
}
