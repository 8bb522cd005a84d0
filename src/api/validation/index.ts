/**
 * Validation of every served kind, as a Kubernetes 1.32 API server does it:
 * the registry calls {@link validate} after defaulting (and, for creates,
 * after name generation, uid assignment and `prepareForCreate`) and turns a
 * non-empty result into a 422 Invalid Status.
 */
import type { FieldError } from '../field-errors.ts';
import {
  validateAppsStatus,
  validateControllerRevision,
  validateControllerRevisionUpdate,
  validateDaemonSet,
  validateDaemonSetUpdate,
  validateDeployment,
  validateDeploymentUpdate,
  validateReplicaSet,
  validateReplicaSetUpdate,
  validateStatefulSet,
  validateStatefulSetUpdate,
} from './apps.ts';
import { validateCronJob, validateCronJobUpdate, validateJob, validateJobUpdate } from './batch.ts';
import {
  validateNamespace,
  validateNamespaceFinalizeUpdate,
  validateNamespaceStatusUpdate,
  validateNamespaceUpdate,
  validateNode,
  validateNodeUpdate,
  validatePersistentVolume,
  validatePersistentVolumeUpdate,
} from './cluster.ts';
import {
  validateConfigMap,
  validateConfigMapUpdate,
  validateSecret,
  validateSecretUpdate,
  validateServiceAccount,
  validateServiceAccountUpdate,
} from './config.ts';
import { eventToCore, validateEvent, validateEventUpdate } from './event.ts';
import {
  validateEndpointSlice,
  validateEndpointSliceUpdate,
  validateLease,
  validateLeaseUpdate,
  validatePodDisruptionBudget,
  validatePodDisruptionBudgetStatus,
  validatePodDisruptionBudgetUpdate,
  validateScale,
  validateStorageClass,
  validateStorageClassUpdate,
} from './groups.ts';
import { validateObjectMetaUpdate } from './meta.ts';
import { validateIngress, validateIngressClass, validateIngressClassUpdate, validateIngressStatusUpdate, validateIngressUpdate } from './networking.ts';
import { validateBinding, validatePod, validatePodStatusUpdate, validatePodUpdate } from './pod.ts';
import { validatePVC, validatePVCUpdate } from './pvc-spec.ts';
import {
  validateLimitRange,
  validateLimitRangeUpdate,
  validateResourceQuota,
  validateResourceQuotaStatusUpdate,
  validateResourceQuotaUpdate,
} from './quota.ts';
import { validateEndpoints, validateService, validateServiceUpdate } from './service.ts';
import type { Obj } from './util.ts';

export type { FieldError } from '../field-errors.ts';

/** Group, version and kind of the object being validated. */
export interface GVK {
  group: string;
  version: string;
  kind: string;
}

/** Which write is being validated, beyond plain create and update. */
export interface ValidateOptions {
  /**
   * `status` (status updates), `scale` (the body is an autoscaling/v1
   * Scale), `binding` (a Binding for pods/binding), `eviction`,
   * `finalize` (namespaces/finalize).
   */
  subresource?: string;
  /** The cluster's `--service-node-port-range`; 30000-32767 by default. */
  nodePortRange?: readonly [number, number];
}

interface KindRules {
  create(obj: Obj, opts: ValidateOptions): FieldError[];
  update?(obj: Obj, old: Obj, opts: ValidateOptions): FieldError[];
  status?(obj: Obj, old: Obj): FieldError[];
}

const appsStatus =
  (counters: string[]) =>
  (o: Obj, old: Obj): FieldError[] => [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateAppsStatus(o.status, counters)];

const RULES: Record<string, KindRules> = {
  '/Namespace': { create: validateNamespace, update: validateNamespaceUpdate, status: validateNamespaceStatusUpdate },
  '/Node': { create: validateNode, update: validateNodeUpdate, status: validateNodeUpdate },
  '/Pod': { create: validatePod, update: validatePodUpdate, status: validatePodStatusUpdate },
  '/Binding': { create: validateBinding },
  '/Service': {
    create: (o, opts) => validateService(o, opts),
    update: (o, old, opts) => validateServiceUpdate(o, old, opts),
  },
  '/Endpoints': { create: validateEndpoints, update: (o, old) => [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateEndpoints(o)] },
  '/ConfigMap': { create: validateConfigMap, update: validateConfigMapUpdate },
  '/Secret': { create: validateSecret, update: validateSecretUpdate },
  '/Event': { create: (o) => validateEvent(o, false), update: (o, old) => validateEventUpdate(o, old, false) },
  '/ServiceAccount': { create: validateServiceAccount, update: validateServiceAccountUpdate },
  '/PersistentVolume': { create: validatePersistentVolume, update: validatePersistentVolumeUpdate },
  '/PersistentVolumeClaim': { create: validatePVC, update: validatePVCUpdate },
  '/ResourceQuota': { create: validateResourceQuota, update: validateResourceQuotaUpdate, status: validateResourceQuotaStatusUpdate },
  '/LimitRange': { create: validateLimitRange, update: validateLimitRangeUpdate },
  'apps/Deployment': {
    create: validateDeployment,
    update: validateDeploymentUpdate,
    status: appsStatus(['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount']),
  },
  'apps/ReplicaSet': {
    create: validateReplicaSet,
    update: validateReplicaSetUpdate,
    status: appsStatus(['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']),
  },
  'apps/DaemonSet': {
    create: validateDaemonSet,
    update: validateDaemonSetUpdate,
    status: appsStatus([
      'currentNumberScheduled',
      'numberMisscheduled',
      'desiredNumberScheduled',
      'numberReady',
      'observedGeneration',
      'updatedNumberScheduled',
      'numberAvailable',
      'numberUnavailable',
      'collisionCount',
    ]),
  },
  'apps/StatefulSet': {
    create: validateStatefulSet,
    update: validateStatefulSetUpdate,
    status: appsStatus(['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount']),
  },
  'apps/ControllerRevision': { create: validateControllerRevision, update: validateControllerRevisionUpdate },
  'batch/Job': { create: validateJob, update: validateJobUpdate },
  'batch/CronJob': { create: validateCronJob, update: validateCronJobUpdate },
  'networking.k8s.io/Ingress': { create: validateIngress, update: validateIngressUpdate, status: validateIngressStatusUpdate },
  'networking.k8s.io/IngressClass': { create: validateIngressClass, update: validateIngressClassUpdate },
  'coordination.k8s.io/Lease': { create: validateLease, update: validateLeaseUpdate },
  'discovery.k8s.io/EndpointSlice': { create: validateEndpointSlice, update: validateEndpointSliceUpdate },
  'storage.k8s.io/StorageClass': { create: validateStorageClass, update: validateStorageClassUpdate },
  'policy/PodDisruptionBudget': {
    create: validatePodDisruptionBudget,
    update: validatePodDisruptionBudgetUpdate,
    status: validatePodDisruptionBudgetStatus,
  },
  'policy/Eviction': { create: () => [] },
  'events.k8s.io/Event': {
    create: (o) => validateEvent(eventToCore(o), true),
    update: (o, old) => validateEventUpdate(eventToCore(o), eventToCore(old), true),
  },
  'autoscaling/Scale': { create: validateScale, update: validateScale },
};

/**
 * Validates a create (`old` undefined) or an update of a decoded object.
 * Unknown kinds validate cleanly: only the served kinds have rules.
 */
export function validate(gvk: GVK, obj: Record<string, any>, old?: Record<string, any>, opts: ValidateOptions = {}): FieldError[] {
  const sub = opts.subresource;
  if (sub === 'scale' || gvk.kind === 'Scale') return validateScale(obj);
  if (sub === 'binding') return validateBinding(obj);
  if (sub === 'eviction') return [];
  const rules = RULES[`${gvk.group}/${gvk.kind}`];
  if (!rules) return [];
  if (!old) return rules.create(obj, opts);
  if (sub === 'finalize' && gvk.kind === 'Namespace') return validateNamespaceFinalizeUpdate(obj, old);
  if (sub === 'status') return rules.status ? rules.status(obj, old) : validateObjectMetaUpdate(obj.metadata, old.metadata);
  if (rules.update) return rules.update(obj, old, opts);
  return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...rules.create(obj, opts)];
}
