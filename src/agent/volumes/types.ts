/**
 * Pod volumes: the interface the pod sync loop calls. Plain data in and out.
 *
 *   const prepared = await prepareVolumes(pod, host);          // before the sandbox's containers
 *   const mounts = mountsFor(container, prepared, { env });     // per container → CRI mounts
 *   const changed = await refreshVolumes(pod, host);            // on each periodic sync
 *   await cleanupVolumes(podUid, host);                         // after the pod's containers are gone
 *
 * Layout, like /var/lib/kubelet/pods:
 *   <podsDir>/<uid>/volumes/kubernetes.io~empty-dir/<name>     (tmpfs mount for medium Memory)
 *   <podsDir>/<uid>/volumes/kubernetes.io~configmap/<name>     (atomic writer: ..<ts>/ + ..data → it)
 *   <podsDir>/<uid>/volumes/kubernetes.io~secret/<name>
 *   <podsDir>/<uid>/volumes/kubernetes.io~downward-api/<name>
 *   <podsDir>/<uid>/volumes/kubernetes.io~projected/<name>
 * hostPath volumes and PVCs bound to hostPath/local PVs are used in place.
 *
 * Failures are VolumeErrors; `message` is the FailedMount event text.
 */
import type { ObjectLookup } from '../env/lookup.ts';

export interface VolumeHost {
  /** `<dataDir>/agent/pods`; one directory per pod UID below it. */
  podsDir: string;
  lookup: ObjectLookup;
  /** The node's status.allocatable (downward API limit defaults, memory emptyDir size); read through lookup.node when absent. */
  allocatable?: Record<string, string>;
}

export type VolumeKind = 'emptyDir' | 'hostPath' | 'configMap' | 'secret' | 'downwardAPI' | 'projected' | 'persistentVolumeClaim';

export interface PreparedVolume {
  name: string;
  kind: VolumeKind;
  /** Where the volume's content lives on the host (a directory, or a file/socket/device for hostPath). */
  hostPath: string;
  /** The volume itself is read-only (API data volumes; PVC `readOnly`). */
  readOnly: boolean;
}

export interface PreparedVolumes {
  podUid: string;
  /** By volume name. */
  volumes: Record<string, PreparedVolume>;
}

/** One bind mount for CRI's ContainerConfig.mounts. */
export interface Mount {
  containerPath: string;
  hostPath: string;
  readOnly: boolean;
}

export type VolumeErrorCode =
  | 'NotFound' // a ConfigMap/Secret/PVC/PV is missing
  | 'KeyNotFound' // items name a key the object lacks
  | 'HostPathType' // hostPath type check failed
  | 'PVC' // claim not bound, PV unsupported or missing path
  | 'FieldRef' // downward API selector unsupported
  | 'SubPath' // invalid or escaping subPath
  | 'Unsupported' // volume source we do not implement
  | 'Mount' // mount(8)/umount(8)/filesystem failure
  | 'Lookup'; // reading from the API failed

export class VolumeError extends Error {
  readonly code: VolumeErrorCode;
  /** The pod's volume name (empty for failures not tied to one volume). */
  readonly volume: string;
  constructor(code: VolumeErrorCode, volume: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VolumeError';
    this.code = code;
    this.volume = volume;
  }
}

/** `MountVolume.SetUp failed for volume "v" : <reason>`: the FailedMount text. */
export function setUpFailed(code: VolumeErrorCode, volume: string, reason: string, cause?: unknown): VolumeError {
  return new VolumeError(code, volume, `MountVolume.SetUp failed for volume "${volume}" : ${reason}`, { cause });
}
