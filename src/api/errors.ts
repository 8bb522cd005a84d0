/**
 * The error catalogue. Every failure the API returns is an ApiError carrying
 * a Kubernetes `Status` reason and HTTP code; the apiserver turns it into a
 * `Status` object at the edge. Messages follow upstream wording
 * (k8s.io/apimachinery/pkg/api/errors) because kubectl and client libraries
 * show them to users and some tools match on them.
 *
 * Expected outcomes inside components (a failed compare-and-swap, a missing
 * key) are values; they become ApiErrors only where the API answers.
 */
import type { FieldError } from './field-errors.ts';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | 'ServerTimeout';

/** HTTP code for each reason; a test walks every entry. */
export const reasonCodes: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServerTimeout: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** The group and plural resource an error is about, e.g. {group:'apps', resource:'deployments'}. */
export interface GroupResource {
  group: string;
  resource: string;
}

export class ApiError extends Error {
  readonly reason: StatusReason;
  readonly code: number;
  readonly details?: StatusDetails;

  constructor(reason: StatusReason, message: string, details?: StatusDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
    this.reason = reason;
    this.code = reasonCodes[reason];
    this.details = details;
  }

  toStatus(): Status {
    const s: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

export function isApiError(e: unknown, reason?: StatusReason): e is ApiError {
  return e instanceof ApiError && (reason === undefined || e.reason === reason);
}

/** `deployments.apps` or `pods`: how upstream names a resource in messages. */
export function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** `Deployment.apps` or `Pod`: how upstream names a kind in Invalid messages. */
export function qualifiedKind(group: string, kind: string): string {
  return group ? `${kind}.${group}` : kind;
}

export function successStatus(code = 200, details?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
  if (details) s.details = details;
  return s;
}

export const errors = {
  notFound(gr: GroupResource, name: string): ApiError {
    return new ApiError('NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group, kind: gr.resource });
  },
  alreadyExists(gr: GroupResource, name: string): ApiError {
    return new ApiError('AlreadyExists', `${qualified(gr)} "${name}" already exists`, { name, group: gr.group, kind: gr.resource });
  },
  /** Optimistic-concurrency and other write conflicts. */
  conflict(gr: GroupResource, name: string, why: string, causes?: StatusCause[]): ApiError {
    const details: StatusDetails = { name, group: gr.group, kind: gr.resource };
    if (causes) details.causes = causes;
    return new ApiError('Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, details);
  },
  staleObject(gr: GroupResource, name: string): ApiError {
    return errors.conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
  },
  invalid(group: string, kind: string, name: string, fieldErrors: FieldError[]): ApiError {
    const causes = fieldErrors.map((e) => ({ reason: e.type, message: e.message, field: e.field }));
    const list = fieldErrors.map((e) => `${e.field}: ${e.message}`);
    const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return new ApiError('Invalid', `${qualifiedKind(group, kind)} "${name}" is invalid: ${summary}`, {
      name,
      group,
      kind,
      causes,
    });
  },
  badRequest(message: string, causes?: StatusCause[]): ApiError {
    return new ApiError('BadRequest', message, causes ? { causes } : undefined);
  },
  unauthorized(message = 'Unauthorized'): ApiError {
    return new ApiError('Unauthorized', message);
  },
  /** `who` is e.g. `User "bob" cannot get resource "pods" in API group "" in the namespace "default"`. */
  forbidden(gr: GroupResource, name: string, why: string): ApiError {
    const subject = name ? `${qualified(gr)} "${name}"` : qualified(gr);
    return new ApiError('Forbidden', `${subject} is forbidden: ${why}`, { name: name || undefined, group: gr.group, kind: gr.resource });
  },
  methodNotAllowed(): ApiError {
    return new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
  },
  notAcceptable(accepted: string[]): ApiError {
    return new ApiError('NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`);
  },
  unsupportedMediaType(contentType: string, accepted: string[]): ApiError {
    return new ApiError(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
      { causes: [{ reason: 'UnsupportedMediaType', message: contentType }] },
    );
  },
  /** A resourceVersion older than the compacted revision. */
  expired(message: string): ApiError {
    return new ApiError('Expired', message);
  },
  gone(message: string): ApiError {
    return new ApiError('Gone', message);
  },
  tooLarge(message: string): ApiError {
    return new ApiError('RequestEntityTooLarge', message);
  },
  tooManyRequests(message: string, retryAfterSeconds?: number, causes?: StatusCause[]): ApiError {
    const details: StatusDetails = {};
    if (retryAfterSeconds !== undefined) details.retryAfterSeconds = retryAfterSeconds;
    if (causes) details.causes = causes;
    return new ApiError('TooManyRequests', message, details);
  },
  internal(cause: unknown): ApiError {
    const msg = cause instanceof Error ? cause.message : String(cause);
    return new ApiError('InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] }, { cause });
  },
  serviceUnavailable(message: string): ApiError {
    return new ApiError('ServiceUnavailable', message);
  },
  timeout(message: string, retryAfterSeconds?: number): ApiError {
    return new ApiError('Timeout', message, retryAfterSeconds !== undefined ? { retryAfterSeconds } : undefined);
  },
};
