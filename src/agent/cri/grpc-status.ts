/**
 * gRPC status codes and the coded error every CRI call fails with. The
 * codes are gRPC's canonical ones (numbers on the wire, names here); the
 * agent's runtime adapter maps them onto its own `RuntimeError` codes
 * (NOT_FOUND → NotFound, UNAVAILABLE → Unavailable, …).
 */

/** gRPC's canonical status codes by wire number. */
export const grpcCodes = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export type GrpcCode = (typeof grpcCodes)[number];

/**
 * A failed call: the server's status (from the `grpc-status` and
 * `grpc-message` trailers) or one the client derived from a transport
 * failure (UNAVAILABLE), its deadline (DEADLINE_EXCEEDED), an abort
 * (CANCELLED) or a protocol violation (INTERNAL, UNKNOWN).
 */
export class GrpcError extends Error {
  readonly code: GrpcCode;
  /** The numeric status, as on the wire. */
  readonly status: number;
  /** The full method path, e.g. `/runtime.v1.RuntimeService/Version`. */
  readonly method: string;
  constructor(code: GrpcCode, message: string, method: string, options?: { cause?: unknown }) {
    super(`${method}: ${code}: ${message}`, options);
    this.name = 'GrpcError';
    this.code = code;
    this.status = grpcCodes.indexOf(code);
    this.method = method;
  }
}

export function isGrpcError(e: unknown, code?: GrpcCode): e is GrpcError {
  return e instanceof GrpcError && (code === undefined || e.code === code);
}

/** The name of a wire status; numbers outside the table are UNKNOWN, as gRPC clients treat them. */
export function codeOf(status: number): GrpcCode {
  return grpcCodes[status] ?? 'UNKNOWN';
}

/** When a response has no `grpc-status`, its HTTP status decides (gRPC's HTTP-to-status table). */
export function codeForHttpStatus(status: number): GrpcCode {
  switch (status) {
    case 400:
      return 'INTERNAL';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'UNIMPLEMENTED';
    case 429:
    case 502:
    case 503:
    case 504:
      return 'UNAVAILABLE';
    default:
      return 'UNKNOWN';
  }
}

/** A stream reset by the peer without a status: gRPC's RST_STREAM table. */
export function codeForRstStream(rstCode: number): GrpcCode {
  switch (rstCode) {
    case 0x7: // REFUSED_STREAM: the server never processed it
      return 'UNAVAILABLE';
    case 0x8: // CANCEL
      return 'CANCELLED';
    case 0xb: // ENHANCE_YOUR_CALM
      return 'RESOURCE_EXHAUSTED';
    case 0xc: // INADEQUATE_SECURITY
      return 'PERMISSION_DENIED';
    default:
      return 'INTERNAL';
  }
}

/** `grpc-message` is percent-encoded; a malformed encoding is shown as sent. */
export function decodeGrpcMessage(raw: string | string[] | undefined): string {
  const s = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
