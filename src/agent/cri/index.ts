/**
 * The CRI client: one gRPC connection to the runtime's socket serving both
 * the RuntimeService and the ImageService (containerd serves both there).
 */
import type { Logger } from '../../util/log.ts';
import { GrpcClient } from './grpc.ts';
import { ImageServiceClient } from './image-client.ts';
import { RuntimeServiceClient } from './runtime-client.ts';

export { GrpcClient, type CallOptions, type GrpcClientOptions } from './grpc.ts';
export { GrpcError, isGrpcError, type GrpcCode } from './grpc-status.ts';
export { ImageServiceClient } from './image-client.ts';
export { RuntimeServiceClient } from './runtime-client.ts';
export type * from './proto/index.ts';

export interface CriClient {
  runtime: RuntimeServiceClient;
  images: ImageServiceClient;
  /** Closes the connection; calls in flight fail. */
  close(): Promise<void>;
}

/** Connects (lazily, on the first call) to a CRI runtime's unix socket. */
export function connectCri(socketPath: string, opts: { defaultTimeoutMs?: number; log?: Logger } = {}): CriClient {
  const grpc = new GrpcClient({ socketPath, ...opts });
  return {
    runtime: new RuntimeServiceClient(grpc),
    images: new ImageServiceClient(grpc),
    close: () => grpc.close(),
  };
}
