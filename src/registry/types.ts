/**
 * Shared types of the registry: the generic REST store that sits between
 * the HTTP handlers (and in-process controllers) and the storage backend.
 */
import type { FieldError } from '../api/field-errors.ts';
import type { ResourceInfo } from '../api/resources.ts';
import type { UserInfo } from '../apiserver/http.ts';

// API objects travel as plain JSON values. Strongly-typed views (kubernetes-types)
// are used where code reads specific fields.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export interface GVK {
  group: string;
  version: string;
  kind: string;
}

/**
 * Implementations of other components that the registry calls. Injected by
 * the composition root so the registry can be tested with fakes and so each
 * component stays behind a small seam.
 */
export interface Hooks {
  /** Upstream defaulting, in place. */
  defaults(gvk: GVK, obj: Obj): void;
  /**
   * What upstream's create strategies set (status reset, generation 1, a
   * Pod's phase and QoS class, a Job's selector ...). Runs after the name
   * and uid are final and before validation.
   */
  prepareForCreate(gvk: GVK, obj: Obj): void;
  /** Create (old undefined) or update validation. */
  validate(gvk: GVK, obj: Obj, old: Obj | undefined, subresource: string): FieldError[];
  /**
   * Type-checks a decoded request object against the schema, as Go's decoder
   * would: throws 400 for type errors, prunes unknown fields and reports them.
   */
  decode(gvk: GVK, obj: Obj): { object: Obj; unknownFields: string[] };
  /** Records field ownership for a non-apply write. */
  updateManagedFields(args: { live: Obj | undefined; updated: Obj; manager: string; gvk: GVK; subresource: string; time: string }): void;
  /** Server-side apply; conflicts come back as a thrown 409 ApiError. */
  apply(args: { live: Obj | undefined; applied: Obj; manager: string; force: boolean; gvk: GVK; time: string }): Obj;
  /** Applies a JSON patch (RFC 6902), merge patch (RFC 7386) or strategic merge patch; throws ApiErrors for bad patches. */
  patch(type: PatchType, gvk: GVK, original: Obj, patch: unknown): Obj;
}

/** Per-resource behaviour, as upstream's REST strategies. Every hook is optional. */
export interface Strategy {
  /** Before validation on update; `subresource` is '' for the main resource. */
  prepareForUpdate?(obj: Obj, old: Obj, subresource: string): void;
  /**
   * True when an update is only a heartbeat (e.g. a node Lease's renewTime):
   * storage then applies it at once but writes it to disk later, sparing
   * flash a write every few seconds per node (see Backend.update).
   */
  deferrable?(next: Obj, old: Obj): boolean;
  /** Fields a field selector may name, beyond metadata.name and metadata.namespace. */
  fields?(obj: Obj): Record<string, string>;
  /** PUT on a missing object creates it. */
  allowCreateOnUpdate?: boolean;
  /** Seconds of graceful deletion; 0 or undefined means delete at once. */
  gracePeriod?(obj: Obj, requested: number | undefined): number;
  /** DELETE answers with the object instead of a Status. */
  returnDeletedObject?: boolean;
  /** Propagation used when the request names none (Background unless stated). */
  defaultPropagation?: 'Background' | 'Orphan' | 'Foreground';
  /** Upstream forbids deleting some objects (e.g. the default namespaces). Return a reason to refuse. */
  forbidDelete?(obj: Obj): string | undefined;
  /** Called when deletion starts but must wait (finalizers, grace): e.g. a namespace turns Terminating. */
  markDeleting?(obj: Obj): void;
  /** An object with deletionTimestamp set is finished deleting when this holds (default: no finalizers and zero grace). */
  readyToDelete?(obj: Obj): boolean;
}

export type PatchType = 'json' | 'merge' | 'strategic';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: FieldValidation;
  /** Server-side apply only. */
  force?: boolean;
}

export interface WriteContext extends WriteOptions {
  user: UserInfo;
  /** Warnings to return in `Warning` headers. */
  warnings: string[];
  userAgent?: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan' | '';
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface ApiWatchEvent {
  type: WatchEventType;
  /** The object; shared between watchers for stored changes, so read-only. */
  readonly object: Obj;
}

export interface ListResult<T = Obj> {
  items: T[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export type { ResourceInfo };
