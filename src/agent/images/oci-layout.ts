/**
 * Builds OCI image-layout archives (the `oci-layout` + `index.json` +
 * `blobs/sha256/…` tree, as one tar) from uncompressed layer tars: the
 * form `ctr images import` reads and air-gapped users side-load.
 *
 * The image name goes in the `io.containerd.image.name` annotation of the
 * top-level descriptor (what containerd's importer names the image after)
 * and the short tag in `org.opencontainers.image.ref.name` (what other
 * OCI tools read). One platform gives a plain manifest; several give a
 * nested image index, so one name serves amd64 and arm64 boards alike.
 *
 * Layers stay uncompressed: compressed bytes would depend on the zlib
 * build, and the digests must not.
 */
import { createHash } from 'node:crypto';
import { writeTar, type TarEntry } from './tar.ts';

export interface Platform {
  os: 'linux';
  /** OCI architecture names: `amd64`, `arm64`, `arm`. */
  architecture: string;
  variant?: string;
}

/** The runnable part of an image config (OCI `config` object). */
export interface ImageRunConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  /** `uid[:gid]` or a name from the image's /etc/passwd. */
  user?: string;
  labels?: Record<string, string>;
}

export interface PlatformImage {
  platform: Platform;
  /** Uncompressed layer tars, lowest first. */
  layers: Uint8Array[];
  config: ImageRunConfig;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export const MEDIA_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

/** The platform this process runs on, in OCI terms. */
export function hostPlatform(): Platform {
  switch (process.arch) {
    case 'x64':
      return { os: 'linux', architecture: 'amd64' };
    case 'arm64':
      return { os: 'linux', architecture: 'arm64', variant: 'v8' };
    case 'arm':
      return { os: 'linux', architecture: 'arm', variant: 'v7' };
    default:
      return { os: 'linux', architecture: process.arch };
  }
}

export interface ImageLayout {
  /** The archive bytes. */
  tar: Uint8Array;
  /** The descriptor `index.json` points at (a manifest, or an index for several platforms). */
  target: Descriptor;
}

/** Builds the layout archive of one named image. */
export function buildImageLayout(name: string, images: PlatformImage[]): ImageLayout {
  if (images.length === 0) throw new Error('an image needs at least one platform');
  const blobs = new Map<string, Uint8Array>();
  const put = (mediaType: string, bytes: Uint8Array, extra?: Partial<Descriptor>): Descriptor => {
    const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
    blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.length, ...extra };
  };
  const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

  const manifests = images.map((img) => {
    const layers = img.layers.map((l) => put(MEDIA_LAYER_TAR, l));
    const config = put(MEDIA_CONFIG, json(imageConfig(img, layers)));
    return put(MEDIA_MANIFEST, json({ schemaVersion: 2, mediaType: MEDIA_MANIFEST, config, layers }), { platform: img.platform });
  });
  const annotations = { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tagOf(name) };
  let target: Descriptor;
  if (manifests.length === 1) target = { ...manifests[0], annotations };
  else target = { ...put(MEDIA_INDEX, json({ schemaVersion: 2, mediaType: MEDIA_INDEX, manifests })), annotations };

  const entries: TarEntry[] = [
    { name: 'oci-layout', type: 'file', data: json({ imageLayoutVersion: '1.0.0' }) },
    { name: 'index.json', type: 'file', data: json({ schemaVersion: 2, mediaType: MEDIA_INDEX, manifests: [target] }) },
    { name: 'blobs', type: 'dir' },
    { name: 'blobs/sha256', type: 'dir' },
  ];
  for (const digest of [...blobs.keys()].sort()) {
    entries.push({ name: `blobs/sha256/${digest.slice('sha256:'.length)}`, type: 'file', data: blobs.get(digest)! });
  }
  return { tar: writeTar(entries), target };
}

function imageConfig(img: PlatformImage, layers: Descriptor[]): unknown {
  const c = img.config;
  const config: Record<string, unknown> = {};
  if (c.user) config.User = c.user;
  config.Env = c.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  if (c.entrypoint) config.Entrypoint = c.entrypoint;
  if (c.cmd) config.Cmd = c.cmd;
  config.WorkingDir = c.workingDir ?? '/';
  if (c.labels) config.Labels = c.labels;
  return {
    created: '1970-01-01T00:00:00Z',
    architecture: img.platform.architecture,
    ...(img.platform.variant ? { variant: img.platform.variant } : {}),
    os: img.platform.os,
    config,
    // Uncompressed layers: each diff id is the layer's own digest.
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    history: layers.map(() => ({ created: '1970-01-01T00:00:00Z', created_by: 'bramble build-test-images' })),
  };
}

/** `repo/name:tag` → `tag` (`latest` when there is none). */
function tagOf(name: string): string {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(colon + 1) : 'latest';
}
