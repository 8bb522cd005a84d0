/** CRI (gRPC) failures as the seam's RuntimeErrors, keeping the runtime's own message. */
import { GrpcError } from '../../cri/grpc-status.ts';
import { RuntimeError, type RuntimeErrorCode } from '../types.ts';

const codes: Partial<Record<GrpcError['code'], RuntimeErrorCode>> = {
  NOT_FOUND: 'NotFound',
  INVALID_ARGUMENT: 'InvalidArgument',
  FAILED_PRECONDITION: 'FailedPrecondition',
  UNAVAILABLE: 'Unavailable',
  DEADLINE_EXCEEDED: 'DeadlineExceeded',
};

/** The runtime's message without the client's `method: CODE:` prefix (what the kubelet shows users). */
export function runtimeMessage(e: GrpcError): string {
  const prefix = `${e.method}: ${e.code}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

export function toRuntimeError(e: unknown, what: string): unknown {
  if (!(e instanceof GrpcError)) return e;
  return new RuntimeError(codes[e.code] ?? 'Internal', `${what}: ${runtimeMessage(e)}`, { cause: e });
}

export function isNotFound(e: unknown): boolean {
  return e instanceof GrpcError && e.code === 'NOT_FOUND';
}
