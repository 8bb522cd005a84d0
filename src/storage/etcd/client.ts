/**
 * The etcd v3 gRPC connection shared by the backend and the membership
 * calls: one GrpcClient (one HTTP/2 session) per endpoint, typed unary
 * calls with a deadline, and etcd's error texts turned into StorageErrors.
 */
import { GrpcClient } from '../../agent/cri/grpc.ts';
import { isGrpcError } from '../../agent/cri/grpc-status.ts';
import { StorageError } from '../backend.ts';
import { logger } from '../../util/log.ts';
import { decodeEtcd, encodeEtcd, methods, type PbStatusResponse } from './proto.ts';

export interface EtcdTLS {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface EtcdConnectOptions {
  endpoint: string;
  tls?: EtcdTLS;
  timeoutMs?: number;
  /** HTTP/2 keepalive pings while calls (watches) are open; default 10 s. */
  keepaliveMs?: number;
}

/** What etcd puts in the status message of these failures (mvcc/rpctypes). */
const COMPACTED_TEXT = 'required revision has been compacted';
const FUTURE_TEXT = 'required revision is a future revision';

export function isCompactedError(e: unknown): boolean {
  return isGrpcError(e) && e.message.includes(COMPACTED_TEXT);
}

export function isFutureError(e: unknown): boolean {
  return isGrpcError(e) && e.message.includes(FUTURE_TEXT);
}

export class EtcdClient {
  readonly grpc: GrpcClient;
  readonly endpoint: string;
  readonly timeoutMs: number;

  constructor(opts: EtcdConnectOptions) {
    const url = new URL(opts.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`etcd endpoint must be http:// or https://, got ${opts.endpoint}`);
    if (url.protocol === 'https:' && !opts.tls) throw new Error('an https:// etcd endpoint needs tls (CA, client certificate and key)');
    this.endpoint = opts.endpoint;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.grpc = new GrpcClient({
      url: `${url.protocol}//${url.host}`,
      tls: url.protocol === 'https:' ? opts.tls : undefined,
      defaultTimeoutMs: this.timeoutMs,
      keepaliveMs: opts.keepaliveMs ?? 10_000,
      // Large lists (a full Range of a busy prefix) come in one message.
      maxMessageBytes: 512 << 20,
      log: logger('storage').child('etcd-grpc'),
    });
  }

  /** A unary call; transport and server faults come back as raw GrpcErrors (see `toStorageError`). */
  async call<T>(method: string, reqType: string, req: object, resType: string, timeoutMs?: number): Promise<T> {
    const bytes = await this.grpc.unary(method, encodeEtcd(reqType, req), { timeoutMs: timeoutMs ?? this.timeoutMs });
    return decodeEtcd<T>(resType, bytes);
  }

  status(timeoutMs?: number): Promise<PbStatusResponse> {
    return this.call<PbStatusResponse>(methods.status, 'StatusRequest', {}, 'StatusResponse', timeoutMs);
  }

  /** Retries Maintenance.Status until it answers or `withinMs` passes. */
  async waitReady(withinMs: number, signal?: AbortSignal): Promise<PbStatusResponse> {
    const deadline = Date.now() + withinMs;
    let last: unknown;
    for (;;) {
      signal?.throwIfAborted();
      try {
        return await this.status(Math.max(100, Math.min(2000, deadline - Date.now())));
      } catch (e) {
        last = e;
      }
      if (Date.now() >= deadline) throw new StorageError('UNAVAILABLE', `etcd at ${this.endpoint} did not answer within ${withinMs} ms`, { cause: last });
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  close(): Promise<void> {
    return this.grpc.close();
  }
}

/**
 * Any failure of a call as a StorageError: NOT_SUPPORTED for requests etcd
 * will never take (too large: INVALID_ARGUMENT "request is too large", or
 * over the gRPC message limit), so callers do not retry them; UNAVAILABLE
 * for everything else (transport, deadlines, no leader, a full database).
 */
export function toStorageError(e: unknown, what: string): StorageError {
  if (e instanceof StorageError) return e;
  const message = `etcd ${what} failed: ${(e as Error)?.message ?? String(e)}`;
  if (isGrpcError(e) && (e.code === 'INVALID_ARGUMENT' || (e.code === 'RESOURCE_EXHAUSTED' && /larger than max/.test(e.message)))) {
    return new StorageError('NOT_SUPPORTED', message, { cause: e });
  }
  return new StorageError('UNAVAILABLE', message, { cause: e });
}
