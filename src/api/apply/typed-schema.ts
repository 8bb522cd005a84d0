/**
 * The schema as server-side apply sees it, in structured-merge-diff's
 * terms: every value is a scalar, a list or a map, and lists and maps are
 * either atomic (owned and replaced as one leaf) or granular. Lists take
 * their semantics from the field, as upstream's OpenAPI conversion does
 * (kube-openapi `schemaconv`): `+listType` first; else a `merge` patch
 * strategy makes an associative list keyed by the merge key (or a set of
 * scalars without one); else atomic. Values with no schema (unknown fields,
 * `RawExtension`) are "deduced": maps granular, lists atomic.
 */
import { isObject } from '../patch/json-value.ts';
import type { Field, MessageType, Schema, TypeRef } from '../schema/types.ts';
import { keyElement, type PathElement } from './field-path.ts';

/** A value's place in the schema: its type and, for struct fields, the field (which carries list semantics). */
export interface TypeNode {
  /** Undefined: no schema, deduce from the value. */
  readonly ref?: TypeRef;
  readonly field?: Field;
}

export const deduced: TypeNode = {};

export type Atom =
  | { readonly kind: 'scalar' }
  | {
      readonly kind: 'list';
      readonly atomic: boolean;
      /** Key fields of an associative list; empty for a set of scalars. */
      readonly keys: readonly string[];
      readonly element: TypeNode;
      /** The element message type, to find key defaults. */
      readonly elementType?: MessageType;
    }
  | { readonly kind: 'map'; readonly atomic: boolean; readonly type?: MessageType; readonly element: TypeNode };

const scalar: Atom = { kind: 'scalar' };
const deducedList: Atom = { kind: 'list', atomic: true, keys: [], element: deduced };
const deducedMap: Atom = { kind: 'map', atomic: false, element: deduced };

/** Carries the schema; resolves nodes to atoms. */
export class TypedSchema {
  readonly schema: Schema;
  constructor(schema: Schema) {
    this.schema = schema;
  }

  /** The node of a top-level object of `type`. */
  root(type: MessageType): TypeNode {
    return { ref: { kind: 'message', name: type.name } };
  }

  /**
   * The atom of `node` for `value`. Only deduced nodes look at the value;
   * typed nodes answer from the schema (a value of the wrong shape is then
   * handled by the walkers as a leaf).
   */
  atom(node: TypeNode, value?: unknown): Atom {
    const ref = node.ref;
    if (!ref) return deduceAtom(value);
    switch (ref.kind) {
      case 'scalar':
        return scalar;
      case 'special':
        return ref.special === 'RawExtension' || ref.special === 'JSON' || ref.special === 'FieldsV1'
          ? deduceAtom(value)
          : scalar;
      case 'map':
        return { kind: 'map', atomic: node.field?.mapType === 'atomic', element: { ref: ref.values } };
      case 'message': {
        const type = this.schema.type(ref.name);
        if (!type) return deduceAtom(value);
        const atomic = type.structType === 'atomic' || node.field?.mapType === 'atomic';
        return { kind: 'map', atomic, type, element: deduced };
      }
      case 'list':
        return this.listAtom(ref.items, node.field);
    }
  }

  private listAtom(items: TypeRef, field: Field | undefined): Atom {
    const element: TypeNode = { ref: items };
    const elementType = items.kind === 'message' ? this.schema.type(items.name) : undefined;
    const base = { kind: 'list' as const, element, elementType };
    if (field?.listType) {
      if (field.listType === 'atomic') return { ...base, atomic: true, keys: [] };
      if (field.listType === 'set') return { ...base, atomic: false, keys: [] };
      return { ...base, atomic: false, keys: field.listMapKeys ?? [] };
    }
    if (field?.patchStrategy?.split(',').includes('merge')) {
      return { ...base, atomic: false, keys: field.patchMergeKey ? [field.patchMergeKey] : [] };
    }
    return { ...base, atomic: true, keys: [] };
  }

  /** The node of member `key` of a map atom. */
  member(atom: Atom & { kind: 'map' }, key: string): TypeNode {
    if (atom.type) {
      const field = this.schema.field(atom.type, key);
      return field ? { ref: field.type, field } : deduced;
    }
    return atom.element;
  }

  /** Whether `key` is a declared field of a struct (map keys and unknown fields are not). */
  isDeclaredField(atom: Atom & { kind: 'map' }, key: string): boolean {
    return atom.type !== undefined && this.schema.field(atom.type, key) !== undefined;
  }

  /**
   * The path element naming `item` in a granular list, or an error message
   * worded as upstream's (`listItemToPathElement`).
   */
  listItemElement(atom: Atom & { kind: 'list' }, item: unknown): PathElement | string {
    if (atom.keys.length === 0) {
      if (isObject(item)) return "associative list without keys has an element that's a map type";
      if (Array.isArray(item)) return 'not supported: associative list with lists as elements';
      if (item === null || item === undefined) return "associative list without keys has an element that's an explicit null";
      return { value: item };
    }
    if (item === null || item === undefined) return 'associative list with keys may not have a null element';
    if (!isObject(item)) return 'associative list with keys may not have non-map elements';
    const fields: [string, unknown][] = [];
    for (const name of atom.keys) {
      if (Object.hasOwn(item, name)) fields.push([name, item[name]]);
      else {
        const def = this.keyDefault(atom, name);
        if (def !== undefined && def !== null) fields.push([name, def]);
      }
    }
    if (fields.length === 0) {
      return `associative list with keys has an element that omits all key fields ${goQuotedList(atom.keys)} (and doesn't have default values for any key fields)`;
    }
    return keyElement(fields);
  }

  /** The OpenAPI default of a key field (`protocol: TCP` for ports), if the schema publishes one. */
  private keyDefault(atom: Atom & { kind: 'list' }, name: string): unknown {
    if (!atom.elementType) return undefined;
    const field = this.schema.field(atom.elementType, name) as (Field & { default?: unknown }) | undefined;
    return field?.default;
  }
}

function deduceAtom(value: unknown): Atom {
  if (Array.isArray(value)) return deducedList;
  if (isObject(value)) return deducedMap;
  return scalar;
}

/** Go's `%q` of a `[]string`: `["port" "protocol"]`. */
function goQuotedList(keys: readonly string[]): string {
  return `[${keys.map((k) => JSON.stringify(k)).join(' ')}]`;
}
