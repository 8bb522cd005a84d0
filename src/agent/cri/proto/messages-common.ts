/**
 * Shapes shared by several CRI (runtime.v1) areas, and the `In<T>` helper
 * that turns a decoded (response) shape into the request shape callers
 * build: every field optional, all the way down.
 *
 * Field numbers are facts from the public cri-api definition; the names
 * are the JavaScript spellings used throughout bramble.
 */

/**
 * The request-side view of a message: every field may be left out (proto3
 * sends nothing for it; the runtime sees the default).
 */
export type In<T> = T extends Uint8Array
  ? T
  : T extends readonly (infer E)[]
    ? In<E>[]
    : T extends object
      ? { [K in keyof T]?: In<T[K]> }
      : T;

/** A message with no fields: every Response the CRI leaves empty. */
export type Empty = Record<string, never>;

/** An explicitly set int64, where absence differs from 0 (run_as_user: 0 is root). */
export interface Int64Value {
  value: number;
}

export interface UInt64Value {
  value: number;
}

/** Which image, by reference or id. */
export interface ImageSpec {
  image: string;
  annotations: Record<string, string>;
  /** What the user wrote in the pod spec, before resolution (newer runtimes show it). */
  userSpecifiedImage: string;
  runtimeHandler: string;
}

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

/** Which Linux namespaces a sandbox or container shares with the pod or the node. */
export interface NamespaceOption {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  /** With mode TARGET: the container whose namespace to join. */
  targetId: string;
}

export type SecurityProfileType = 'RuntimeDefault' | 'Unconfined' | 'Localhost';

/** A seccomp or AppArmor profile choice. */
export interface SecurityProfile {
  profileType: SecurityProfileType;
  /** With Localhost: the profile's path or name on the node. */
  localhostRef: string;
}

export interface SELinuxOption {
  user: string;
  role: string;
  type: string;
  level: string;
}

export const commonSchema = `
Empty
Int64Value
  value 1 int64
UInt64Value
  value 1 uint64
ImageSpec
  image 1 string
  annotations 2 {}string
  userSpecifiedImage 18 string
  runtimeHandler 19 string
enum NamespaceMode POD=0 CONTAINER=1 NODE=2 TARGET=3
NamespaceOption
  network 1 NamespaceMode
  pid 2 NamespaceMode
  ipc 3 NamespaceMode
  targetId 4 string
enum SecurityProfileType RuntimeDefault=0 Unconfined=1 Localhost=2
SecurityProfile
  profileType 1 SecurityProfileType
  localhostRef 2 string
SELinuxOption
  user 1 string
  role 2 string
  type 3 string
  level 4 string
`;
