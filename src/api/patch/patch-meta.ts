/**
 * Strategic-merge metadata lookup: what the Go struct tags
 * (`patchStrategy`, `patchMergeKey`) say about a field, read from the
 * schema. Where the schema has nothing to say (an unknown field, a
 * free-form `RawExtension`, the values of a map) the field gets no
 * strategy, so maps merge and lists are replaced: JSON merge semantics.
 */
import type { MessageType, Schema, TypeRef } from '../schema/types.ts';

/** Where we are in the object: inside a message, inside a Go map, or somewhere untyped. */
export type PatchContext =
  | { kind: 'message'; type: MessageType }
  | { kind: 'map'; values: TypeRef }
  | { kind: 'free' };

export const freeContext: PatchContext = { kind: 'free' };

/** What a field's tags and type say. `context` describes the field's value (for lists: their items). */
export interface PatchMeta {
  strategies: string[];
  mergeKey: string;
  context: PatchContext;
}

const none: PatchMeta = { strategies: [], mergeKey: '', context: freeContext };

/** The context for values of type `ref`; lists are looked through to their items. */
export function contextFor(ref: TypeRef | undefined, schema: Schema): PatchContext {
  if (!ref) return freeContext;
  switch (ref.kind) {
    case 'message': {
      const type = schema.type(ref.name);
      return type ? { kind: 'message', type } : freeContext;
    }
    case 'map':
      return { kind: 'map', values: ref.values };
    case 'list':
      return contextFor(ref.items, schema);
    default:
      return freeContext;
  }
}

/** Metadata for member `key` of a value in context `ctx`. */
export function lookupPatchMeta(ctx: PatchContext, key: string, schema: Schema): PatchMeta {
  if (ctx.kind === 'map') return { ...none, context: contextFor(ctx.values, schema) };
  if (ctx.kind === 'free') return none;
  const field = schema.field(ctx.type, key);
  if (!field) return none;
  return {
    strategies: field.patchStrategy ? field.patchStrategy.split(',') : [],
    mergeKey: field.patchMergeKey ?? '',
    context: contextFor(field.type, schema),
  };
}

/** Splits off `retainKeys` (it only governs the client-side diff) and returns the other strategy. */
export function otherStrategy(strategies: string[]): string {
  return strategies.find((s) => s !== 'retainKeys') ?? '';
}
