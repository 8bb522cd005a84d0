/**
 * ImageService messages: listing, status, pulling (with registry
 * credentials), removal and image filesystem usage.
 */
import type { ImageSpec, Int64Value, UInt64Value } from './messages-common.ts';
import type { PodSandboxConfig } from './messages-sandbox.ts';

export interface Image {
  /** The image id (`sha256:…` of its config). */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** Bytes, as the runtime counts them (containerd: unpacked size). */
  size: number;
  /** The image's numeric user, when its config names one. */
  uid?: Int64Value;
  /** The image's user, when it is a name rather than a number. */
  username: string;
  spec?: ImageSpec;
  /** Never garbage-collected (the sandbox image). */
  pinned: boolean;
}

export interface ListImagesRequest {
  filter?: { image?: ImageSpec };
}

export interface ImageStatusResponse {
  /** Absent when the image is not present: not an error. */
  image?: Image;
  info: Record<string, string>;
}

/**
 * Registry credentials for one pull. Either a user name and password, the
 * base64 `user:password` form of a docker config (`auth`), or tokens.
 */
export interface AuthConfig {
  username: string;
  password: string;
  auth: string;
  serverAddress: string;
  identityToken: string;
  registryToken: string;
}

export interface PullImageRequest {
  image?: ImageSpec;
  auth?: AuthConfig;
  /** The pod the image is for (runtimes may pick a platform or handler from it). */
  sandboxConfig?: PodSandboxConfig;
}

export interface FilesystemUsage {
  /** Nanoseconds since the epoch. */
  timestamp: number;
  fsId?: { mountpoint: string };
  usedBytes?: UInt64Value;
  inodesUsed?: UInt64Value;
}

export interface ImageFsInfoResponse {
  imageFilesystems: FilesystemUsage[];
  /** Newer runtimes only: where writable layers live when it differs. */
  containerFilesystems: FilesystemUsage[];
}

export const imageSchema = `
ImageFilter
  image 1 ImageSpec
ListImagesRequest
  filter 1 ImageFilter
Image
  id 1 string
  repoTags 2 []string
  repoDigests 3 []string
  size 4 uint64
  uid 5 Int64Value
  username 6 string
  spec 7 ImageSpec
  pinned 8 bool
ListImagesResponse
  images 1 []Image
ImageStatusRequest
  image 1 ImageSpec
  verbose 2 bool
ImageStatusResponse
  image 1 Image
  info 2 {}string
AuthConfig
  username 1 string
  password 2 string
  auth 3 string
  serverAddress 4 string
  identityToken 5 string
  registryToken 6 string
PullImageRequest
  image 1 ImageSpec
  auth 2 AuthConfig
  sandboxConfig 3 PodSandboxConfig
PullImageResponse
  imageRef 1 string
RemoveImageRequest
  image 1 ImageSpec
FilesystemIdentifier
  mountpoint 1 string
FilesystemUsage
  timestamp 1 int64
  fsId 2 FilesystemIdentifier
  usedBytes 3 UInt64Value
  inodesUsed 4 UInt64Value
ImageFsInfoResponse
  imageFilesystems 1 []FilesystemUsage
  containerFilesystems 2 []FilesystemUsage
`;
