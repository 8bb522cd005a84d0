/**
 * The type schema: bramble's own description of the Kubernetes built-in
 * types it serves (fields, JSON names, protobuf field numbers, Go pointer-ness,
 * patch strategies and list types). One table drives:
 * - protobuf request decoding (field numbers, which zero values mean "unset"),
 * - JSON decoding: unknown-field detection (fieldValidation), pruning, type checks,
 * - strategic merge patch (merge keys and strategies),
 * - server-side apply (list types, map keys, atomic structs),
 * - the OpenAPI v3 documents (`kubectl explain`, client-side apply).
 *
 * Type names are the OpenAPI definition names, e.g.
 * `io.k8s.api.apps.v1.Deployment`, `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`.
 */

export type Scalar = 'string' | 'int32' | 'int64' | 'bool' | 'double' | 'bytes';

/**
 * Types with a custom JSON form:
 * Quantity (string), IntOrString (number or string), Time/MicroTime (RFC 3339
 * string or null), Duration (string), RawExtension/JSON (any JSON value),
 * FieldsV1 (any JSON object).
 */
export type Special = 'Quantity' | 'IntOrString' | 'Time' | 'MicroTime' | 'Duration' | 'RawExtension' | 'JSON' | 'FieldsV1';

export type TypeRef =
  | { kind: 'scalar'; scalar: Scalar }
  | { kind: 'special'; special: Special }
  | { kind: 'message'; name: string }
  | { kind: 'list'; items: TypeRef }
  /** Keys are always strings. */
  | { kind: 'map'; values: TypeRef };

export interface Field {
  /** JSON name. */
  name: string;
  /** Protobuf field number. */
  tag: number;
  type: TypeRef;
  /**
   * Go `*T` (or slice/map): a zero value present on the protobuf wire is
   * meaningful. For non-pointer fields, Go always marshals the field, so a
   * zero value on the wire means "unset".
   */
  pointer: boolean;
  /** Required in the OpenAPI sense (no `omitempty`, not `+optional`). */
  required?: boolean;
  /** Strategic merge patch strategy from the Go `patchStrategy` tag. */
  patchStrategy?: 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';
  /** Strategic merge patch key from the Go `patchMergeKey` tag. */
  patchMergeKey?: string;
  /** Server-side apply list semantics (`+listType`). Lists default to atomic. */
  listType?: 'atomic' | 'set' | 'map';
  /** `+listMapKey` values, for listType map. */
  listMapKeys?: string[];
  /** `+mapType` for maps; maps default to granular. */
  mapType?: 'atomic' | 'granular';
  /** Allowed values (`+enum`), for OpenAPI and explain. For lists, the values of the items. */
  enum?: string[];
  /**
   * The `default` upstream's OpenAPI publishes for this field (from `+default`
   * markers and Go zero values of non-pointer fields). Documentation only:
   * defaulting of stored objects is the registry's business.
   */
  default?: unknown;
  /**
   * Set on fields that JSON shows at this level but that Go embeds through an
   * inline struct (`Volume` embeds `VolumeSource`): the protobuf field number
   * of the embedding field in this message. `tag` is then the number inside
   * the embedded message, so such fields are never found by `fieldByTag`.
   */
  inline?: number;
  description?: string;
}

/** A struct embedded with `json:",inline"`: one protobuf field, flattened in JSON. */
export interface Embedded {
  /** Protobuf field number of the embedding field. */
  tag: number;
  /** Message type name of the embedded struct. */
  type: string;
  /**
   * Go struct order: how many of the type's own (non-inline) fields are
   * declared before the embedding. The copied fields sit there in `fields`.
   */
  position: number;
}

export interface MessageType {
  name: string;
  fields: Field[];
  /** `+structType=atomic` for server-side apply. */
  structType?: 'atomic' | 'granular';
  /** Top-level kinds carry their group/version/kind. */
  gvk?: { group: string; version: string; kind: string };
  /**
   * The kind exists in every group version (meta/v1 `DeleteOptions`,
   * `WatchEvent`); `gvk` then names the core form (`v1`).
   */
  sharedKind?: boolean;
  /** Structs embedded inline; their fields also appear in `fields` with `inline` set. */
  embedded?: Embedded[];
  /** Upstream's `x-kubernetes-unions` (a discriminator and the fields it selects). */
  unions?: { discriminator: string; fields: Record<string, string> }[];
  description?: string;
}

/** Read access to the schema. Implemented in `src/api/schema/index.ts`. */
export interface Schema {
  type(name: string): MessageType | undefined;
  /** The message type of a top-level kind, e.g. ('apps','v1','Deployment'). */
  typeForKind(group: string, version: string, kind: string): MessageType | undefined;
  field(type: MessageType, jsonName: string): Field | undefined;
  fieldByTag(type: MessageType, tag: number): Field | undefined;
  /** All message types, for OpenAPI generation. */
  all(): Iterable<MessageType>;
}
