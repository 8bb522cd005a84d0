/**
 * Per-kind defaults (upstream SetDefaults_* for core/v1, apps/v1, batch/v1,
 * networking/v1, discovery/v1 and storage/v1), applied on every decode of
 * a request body, create and update alike.
 */
import {
  child,
  defaultPod,
  defaultPodTemplate,
  defaultPVCSpec,
  defaultResourceList,
  defaultVolume,
  each,
  embeddedMeta,
  isObj,
  isUnset,
  isZero,
  setDefault,
  setIfZero,
  type Obj,
} from './pod-spec.ts';

const DEFAULT_CLIENT_IP_TIMEOUT = 10800;

export function defaultService(svc: Obj): void {
  const spec = child(svc, 'spec');
  setIfZero(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (isUnset(timeout)) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_TIMEOUT } };
  }
  setIfZero(spec, 'type', 'ClusterIP');
  each(spec.ports, (p) => {
    setIfZero(p, 'protocol', 'TCP');
    if (isZero(p.targetPort)) p.targetPort = p.port;
  });
  const external =
    spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (external) setIfZero(spec, 'externalTrafficPolicy', 'Cluster');
  if (isUnset(spec.internalTrafficPolicy) && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type)) spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer') {
    setDefault(spec, 'allocateLoadBalancerNodePorts', true);
    each(svc.status?.loadBalancer?.ingress, (ing) => {
      if (ing.ip && isUnset(ing.ipMode)) ing.ipMode = 'VIP';
    });
  }
}

export function defaultSecret(secret: Obj): void {
  setIfZero(secret, 'type', 'Opaque');
  // stringData is write-only: upstream merges it into data while decoding.
  if (isObj(secret.stringData)) {
    const data = child(secret, 'data');
    for (const [k, v] of Object.entries(secret.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete secret.stringData;
  }
}

export function defaultNamespace(ns: Obj): void {
  const meta = child(ns, 'metadata');
  if (typeof meta.name === 'string' && meta.name) child(meta, 'labels')['kubernetes.io/metadata.name'] = meta.name;
  setIfZero(child(ns, 'status'), 'phase', 'Active');
}

export function defaultNode(node: Obj): void {
  const status = node.status;
  if (!isObj(status)) return;
  defaultResourceList(status.capacity);
  if (isUnset(status.allocatable) && isObj(status.capacity)) status.allocatable = { ...status.capacity };
  defaultResourceList(status.allocatable);
}

export function defaultPersistentVolume(pv: Obj): void {
  setIfZero(child(pv, 'status'), 'phase', 'Pending');
  const spec = child(pv, 'spec');
  setIfZero(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setDefault(spec, 'volumeMode', 'Filesystem');
  defaultResourceList(spec.capacity);
  if (isObj(spec.hostPath)) setDefault(spec.hostPath, 'type', '');
}

/** A claim, standalone or as a StatefulSet volumeClaimTemplate. */
export function defaultPVC(pvc: Obj): void {
  setIfZero(child(pvc, 'status'), 'phase', 'Pending');
  defaultPVCSpec(child(pvc, 'spec'));
  defaultResourceList(pvc.status.capacity);
  defaultResourceList(pvc.status.allocatedResources);
}

export function defaultEndpoints(ep: Obj): void {
  each(ep.subsets, (ss) => each(ss.ports, (p) => setIfZero(p, 'protocol', 'TCP')));
}

export function defaultResourceQuota(rq: Obj): void {
  if (isObj(rq.spec)) defaultResourceList(rq.spec.hard);
  if (isObj(rq.status)) {
    defaultResourceList(rq.status.hard);
    defaultResourceList(rq.status.used);
  }
}

export function defaultLimitRange(lr: Obj): void {
  each(lr.spec?.limits, (item) => {
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) defaultResourceList(item[k]);
    if (item.type !== 'Container') return;
    // Go leaves these maps empty (and so unserialized) when nothing applies.
    const def: Obj = isObj(item.default) ? item.default : {};
    const req: Obj = isObj(item.defaultRequest) ? item.defaultRequest : {};
    for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in req)) req[k] = v;
    if (Object.keys(def).length) item.default = def;
    if (Object.keys(req).length) item.defaultRequest = req;
  });
}

export function defaultDeployment(d: Obj): void {
  const spec = child(d, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setIfZero(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(child(spec, 'template'));
}

export function defaultReplicaSet(rs: Obj): void {
  const spec = child(rs, 'spec');
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(child(spec, 'template'));
}

export function defaultDaemonSet(ds: Obj): void {
  const spec = child(ds, 'spec');
  const us = child(spec, 'updateStrategy');
  setIfZero(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = child(us, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(child(spec, 'template'));
}

export function defaultStatefulSet(sts: Obj): void {
  const spec = child(sts, 'spec');
  setIfZero(spec, 'podManagementPolicy', 'OrderedReady');
  const us = child(spec, 'updateStrategy');
  if (isZero(us.type)) {
    us.type = 'RollingUpdate';
    setDefault(us, 'rollingUpdate', {});
  }
  if (us.type === 'RollingUpdate' && isObj(us.rollingUpdate)) setDefault(us.rollingUpdate, 'partition', 0);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  setIfZero(retention, 'whenDeleted', 'Retain');
  setIfZero(retention, 'whenScaled', 'Retain');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(child(spec, 'template'));
  each(spec.volumeClaimTemplates, (pvc) => {
    // Upstream serializes these templates as full PVC objects.
    setIfZero(pvc, 'apiVersion', 'v1');
    setIfZero(pvc, 'kind', 'PersistentVolumeClaim');
    embeddedMeta(pvc);
    defaultPVC(pvc);
  });
}

export function defaultJob(job: Obj): void {
  const spec = child(job, 'spec');
  if (isUnset(spec.completions) && isUnset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  if (isUnset(spec.backoffLimit)) spec.backoffLimit = isUnset(spec.backoffLimitPerIndex) ? 6 : 2147483647;
  const template = child(spec, 'template');
  const labels = template.metadata?.labels;
  const meta = child(job, 'metadata');
  if (isObj(labels) && !(isObj(meta.labels) && Object.keys(meta.labels).length)) meta.labels = { ...labels };
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  each(spec.podFailurePolicy?.rules, (rule) => each(rule.onPodConditions, (c) => setIfZero(c, 'status', 'True')));
  setDefault(spec, 'podReplacementPolicy', isObj(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  setDefault(spec, 'manualSelector', false);
  defaultPodTemplate(template);
}

export function defaultCronJob(cj: Obj): void {
  const spec = child(cj, 'spec');
  setIfZero(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jt = child(spec, 'jobTemplate');
  embeddedMeta(jt);
  const jobSpec = child(jt, 'spec');
  each(jobSpec.podFailurePolicy?.rules, (rule) => each(rule.onPodConditions, (c) => setIfZero(c, 'status', 'True')));
  defaultPodTemplate(child(jobSpec, 'template'));
}

export function defaultIngressClass(ic: Obj): void {
  const params = ic.spec?.parameters;
  if (isObj(params)) setDefault(params, 'scope', 'Cluster');
}

export function defaultEndpointSlice(es: Obj): void {
  each(es.ports, (p) => {
    setDefault(p, 'name', '');
    setDefault(p, 'protocol', 'TCP');
  });
}

export function defaultStorageClass(sc: Obj): void {
  setDefault(sc, 'reclaimPolicy', 'Delete');
  setDefault(sc, 'volumeBindingMode', 'Immediate');
}

export { defaultPod, defaultVolume };
