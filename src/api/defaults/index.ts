/**
 * Defaulting, as a Kubernetes 1.32 API server applies it while decoding a
 * request: {@link applyDefaults} fills what upstream's SetDefaults_*
 * functions fill and canonicalizes quantities, so `kubectl get -o yaml`
 * shows the same fields as upstream. {@link prepareForCreate} adds what the
 * upstream registry strategies set on create only.
 */
import {
  defaultCronJob,
  defaultDaemonSet,
  defaultDeployment,
  defaultEndpoints,
  defaultEndpointSlice,
  defaultIngressClass,
  defaultJob,
  defaultLimitRange,
  defaultNamespace,
  defaultNode,
  defaultPersistentVolume,
  defaultPod,
  defaultPVC,
  defaultReplicaSet,
  defaultResourceQuota,
  defaultSecret,
  defaultService,
  defaultStatefulSet,
  defaultStorageClass,
} from './kinds.ts';
import type { Obj } from './pod-spec.ts';

export { prepareForCreate, podQOSClass } from './create.ts';
export { imageTag } from './pod-spec.ts';

/** Group, version and kind of the object being defaulted. */
export interface GVK {
  group: string;
  version: string;
  kind: string;
}

const DEFAULTERS: Record<string, (obj: Obj) => void> = {
  '/Namespace': defaultNamespace,
  '/Node': defaultNode,
  '/Pod': defaultPod,
  '/Service': defaultService,
  '/Endpoints': defaultEndpoints,
  '/Secret': defaultSecret,
  '/PersistentVolume': defaultPersistentVolume,
  '/PersistentVolumeClaim': defaultPVC,
  '/ResourceQuota': defaultResourceQuota,
  '/LimitRange': defaultLimitRange,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/DaemonSet': defaultDaemonSet,
  'apps/StatefulSet': defaultStatefulSet,
  'batch/Job': defaultJob,
  'batch/CronJob': defaultCronJob,
  'networking.k8s.io/IngressClass': defaultIngressClass,
  'discovery.k8s.io/EndpointSlice': defaultEndpointSlice,
  'storage.k8s.io/StorageClass': defaultStorageClass,
};

/**
 * Applies upstream's defaults for `gvk` to a decoded object, in place.
 * Kinds without defaults (ConfigMap, Event, Lease, Ingress, ...) are left
 * untouched; so are fields already set.
 */
export function applyDefaults(gvk: GVK, obj: Record<string, any>): void {
  if (gvk.version !== 'v1') return;
  DEFAULTERS[`${gvk.group}/${gvk.kind}`]?.(obj);
}
