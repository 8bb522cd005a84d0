/**
 * Typed client for the CRI ImageService (runtime.v1): list, status, pull
 * (with registry credentials), remove and image filesystem usage.
 */
import type { CallOptions, GrpcClient } from './grpc.ts';
import { decodeCri, encodeCri } from './proto/index.ts';
import type { AuthConfig, FilesystemUsage, Image, ImageFsInfoResponse, ImageSpec, ImageStatusResponse, In, PodSandboxConfig } from './proto/index.ts';

const service = '/runtime.v1.ImageService/';

/** Pulls over a Pi's link can take long; the kubelet sets no deadline at all. */
const pullTimeoutMs = 30 * 60_000;

export class ImageServiceClient {
  private readonly grpc: GrpcClient;

  constructor(grpc: GrpcClient) {
    this.grpc = grpc;
  }

  async listImages(filter?: In<ImageSpec>, opts?: CallOptions): Promise<Image[]> {
    return (await this.call<{ images: Image[] }>('ListImages', 'ListImagesRequest', 'ListImagesResponse', { filter: filter && { image: filter } }, opts)).images;
  }

  /** The image if present (by reference or id), or undefined: absence is not an error. */
  async imageStatus(image: string, opts?: CallOptions): Promise<Image | undefined> {
    return (await this.imageStatusVerbose(image, false, opts)).image;
  }

  /** ImageStatus with the runtime's extra `info` (verbose). */
  imageStatusVerbose(image: string, verbose = true, opts?: CallOptions): Promise<ImageStatusResponse> {
    return this.call('ImageStatus', 'ImageStatusRequest', 'ImageStatusResponse', { image: { image }, verbose }, opts);
  }

  /**
   * Pulls an image, with credentials for its registry if given; resolves
   * with the image reference the runtime resolved it to (its id).
   */
  async pullImage(image: string, auth?: In<AuthConfig>, sandboxConfig?: In<PodSandboxConfig>, opts?: CallOptions): Promise<string> {
    const r = await this.call<{ imageRef: string }>('PullImage', 'PullImageRequest', 'PullImageResponse', { image: { image }, auth, sandboxConfig }, { timeoutMs: pullTimeoutMs, ...opts });
    return r.imageRef;
  }

  /** Removes an image by reference or id; removing an absent image succeeds. */
  async removeImage(image: string, opts?: CallOptions): Promise<void> {
    await this.call('RemoveImage', 'RemoveImageRequest', 'Empty', { image: { image } }, opts);
  }

  /** Usage of the filesystem holding images (for the kubelet's image GC and node status). */
  async imageFsInfo(opts?: CallOptions): Promise<FilesystemUsage[]> {
    return (await this.call<ImageFsInfoResponse>('ImageFsInfo', 'Empty', 'ImageFsInfoResponse', {}, opts)).imageFilesystems;
  }

  private async call<T>(method: string, requestType: string, responseType: string, request: object, opts?: CallOptions): Promise<T> {
    const bytes = await this.grpc.unary(service + method, encodeCri(requestType, request), opts);
    return decodeCri<T>(responseType, bytes);
  }
}
