/**
 * Defaults for pod specs wherever they appear (Pods and every workload
 * template), following upstream core/v1 SetDefaults_PodSpec,
 * SetDefaults_Container, SetDefaults_Volume, SetDefaults_Probe and friends,
 * plus the shapes Go always serializes (`resources: {}`,
 * `creationTimestamp: null` in embedded metadata).
 */
import { canonicalQuantity } from '../quantity.ts';

/** A decoded JSON object, defaulted in place. */
export type Obj = Record<string, any>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isUnset = (v: unknown): boolean => v === undefined || v === null;
/** Go's zero value for a non-pointer string/number field. */
export const isZero = (v: unknown): boolean => v === undefined || v === null || v === '' || v === 0;

/** The object at `o[key]`, created when missing. */
export function child(o: Obj, key: string): Obj {
  if (!isObj(o[key])) o[key] = {};
  return o[key];
}

export function each(list: unknown, fn: (item: Obj) => void): void {
  if (Array.isArray(list)) for (const item of list) if (isObj(item)) fn(item);
}

/** Sets a field only when it is unset (a pointer field: 0 and false count as set). */
export function setDefault(o: Obj, key: string, value: unknown): void {
  if (isUnset(o[key])) o[key] = value;
}

/** Sets a field when it holds Go's zero value (a non-pointer field). */
export function setIfZero(o: Obj, key: string, value: unknown): void {
  if (isZero(o[key])) o[key] = value;
}

/**
 * Canonicalizes every quantity in a resource list, rounded up to millis as
 * upstream's SetDefaults_ResourceList does. Unparsable values are left for
 * validation to report.
 */
export function defaultResourceList(list: unknown): void {
  if (!isObj(list)) return;
  for (const [k, v] of Object.entries(list)) {
    const c = canonicalQuantity(v, { milli: true });
    if (c !== undefined) list[k] = c;
  }
}

/** Canonicalizes a single quantity field (no milli rounding). */
export function defaultQuantity(o: Obj, key: string): void {
  const c = canonicalQuantity(o[key]);
  if (c !== undefined) o[key] = c;
}

/** Embedded ObjectMeta always serializes a (null) creationTimestamp in Go. */
export function embeddedMeta(o: Obj): void {
  const meta = child(o, 'metadata');
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
}

/**
 * The tag docker's reference parser would find; `latest` when neither a
 * tag nor a digest is given, and empty for unparsable references.
 */
export function imageTag(image: string): string {
  if (!image || /\s/.test(image)) return '';
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const hasDigest = at >= 0;
  let rest = name;
  const firstSlash = name.indexOf('/');
  if (firstSlash >= 0) {
    const host = name.slice(0, firstSlash);
    if (host.includes('.') || host.includes(':') || host === 'localhost') rest = name.slice(firstSlash + 1);
  }
  const colon = rest.lastIndexOf(':');
  const tagged = colon > rest.lastIndexOf('/');
  const repo = tagged ? rest.slice(0, colon) : rest;
  const tag = tagged ? rest.slice(colon + 1) : '';
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repo)) return '';
  if (tagged && !/^\w[\w.-]{0,127}$/.test(tag)) return '';
  if (!tag && !hasDigest) return 'latest';
  return tag;
}

function defaultObjectFieldSelector(ref: unknown): void {
  if (isObj(ref)) setIfZero(ref, 'apiVersion', 'v1');
}

function defaultHTTPGet(h: unknown): void {
  if (!isObj(h)) return;
  setIfZero(h, 'path', '/');
  setIfZero(h, 'scheme', 'HTTP');
}

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  setIfZero(p, 'timeoutSeconds', 1);
  setIfZero(p, 'periodSeconds', 10);
  setIfZero(p, 'successThreshold', 1);
  setIfZero(p, 'failureThreshold', 3);
  defaultHTTPGet(p.httpGet);
  if (isObj(p.grpc)) setDefault(p.grpc, 'service', '');
}

/** SetDefaults_Container, plus nested ports, env, probes and hooks. */
export function defaultContainer(c: Obj): void {
  if (isZero(c.imagePullPolicy)) c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  setIfZero(c, 'terminationMessagePath', '/dev/termination-log');
  setIfZero(c, 'terminationMessagePolicy', 'File');
  each(c.ports, (p) => setIfZero(p, 'protocol', 'TCP'));
  each(c.env, (e) => {
    if (isObj(e.valueFrom)) {
      defaultObjectFieldSelector(e.valueFrom.fieldRef);
      if (isObj(e.valueFrom.resourceFieldRef)) defaultQuantity(e.valueFrom.resourceFieldRef, 'divisor');
    }
  });
  for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[k]);
  if (isObj(c.lifecycle)) for (const hook of ['postStart', 'preStop']) if (isObj(c.lifecycle[hook])) defaultHTTPGet(c.lifecycle[hook].httpGet);
  const resources = child(c, 'resources');
  defaultResourceList(resources.limits);
  defaultResourceList(resources.requests);
}

function defaultDownwardItems(items: unknown): void {
  each(items, (i) => {
    defaultObjectFieldSelector(i.fieldRef);
    if (isObj(i.resourceFieldRef)) defaultQuantity(i.resourceFieldRef, 'divisor');
  });
}

/** Persistent volume claim specs: volume mode and resource quantities. */
export function defaultPVCSpec(spec: Obj): void {
  setDefault(spec, 'volumeMode', 'Filesystem');
  if (isObj(spec.resources)) {
    defaultResourceList(spec.resources.limits);
    defaultResourceList(spec.resources.requests);
  }
}

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
];

/** SetDefaults_Volume and the per-source defaults (file modes, hostPath type, ...). */
export function defaultVolume(v: Obj): void {
  if (!VOLUME_SOURCES.some((k) => !isUnset(v[k]))) v.emptyDir = {};
  if (isObj(v.emptyDir)) defaultQuantity(v.emptyDir, 'sizeLimit');
  if (isObj(v.hostPath)) setDefault(v.hostPath, 'type', '');
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected']) if (isObj(v[k])) setDefault(v[k], 'defaultMode', 420);
  if (isObj(v.downwardAPI)) defaultDownwardItems(v.downwardAPI.items);
  if (isObj(v.projected))
    each(v.projected.sources, (s) => {
      if (isObj(s.downwardAPI)) defaultDownwardItems(s.downwardAPI.items);
      if (isObj(s.serviceAccountToken)) setDefault(s.serviceAccountToken, 'expirationSeconds', 3600);
    });
  if (isObj(v.rbd)) {
    setIfZero(v.rbd, 'pool', 'rbd');
    setIfZero(v.rbd, 'user', 'admin');
    setIfZero(v.rbd, 'keyring', '/etc/ceph/keyring');
  }
  if (isObj(v.iscsi)) setIfZero(v.iscsi, 'iscsiInterface', 'default');
  if (isObj(v.azureDisk)) {
    setDefault(v.azureDisk, 'cachingMode', 'ReadWrite');
    setDefault(v.azureDisk, 'fsType', 'ext4');
    setDefault(v.azureDisk, 'readOnly', false);
    setDefault(v.azureDisk, 'kind', 'Shared');
  }
  if (isObj(v.scaleIO)) {
    setIfZero(v.scaleIO, 'storageMode', 'ThinProvisioned');
    setIfZero(v.scaleIO, 'fsType', 'xfs');
  }
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate)) {
    const t = v.ephemeral.volumeClaimTemplate;
    embeddedMeta(t);
    defaultPVCSpec(child(t, 'spec'));
  }
}

/** SetDefaults_PodSpec and everything nested in a pod spec. */
export function defaultPodSpec(spec: Obj): void {
  setIfZero(spec, 'dnsPolicy', 'ClusterFirst');
  setIfZero(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setIfZero(spec, 'schedulerName', 'default-scheduler');
  each(spec.volumes, defaultVolume);
  for (const k of ['containers', 'initContainers', 'ephemeralContainers']) each(spec[k], defaultContainer);
  if (isObj(spec.overhead)) defaultResourceList(spec.overhead);
}

/** A pod template: embedded metadata and the pod spec. */
export function defaultPodTemplate(template: Obj): void {
  embeddedMeta(template);
  defaultPodSpec(child(template, 'spec'));
}

/** SetDefaults_Pod: what only real Pods get, on top of the pod spec defaults. */
export function defaultPod(pod: Obj): void {
  const spec = child(pod, 'spec');
  defaultPodSpec(spec);
  for (const k of ['containers', 'initContainers'])
    each(spec[k], (c) => {
      const r = child(c, 'resources');
      if (!isObj(r.limits)) return;
      const requests = child(r, 'requests');
      for (const [name, q] of Object.entries(r.limits)) if (!(name in requests)) requests[name] = q;
    });
  setDefault(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true)
    for (const k of ['containers', 'initContainers'])
      each(spec[k], (c) => each(c.ports, (p) => setIfZero(p, 'hostPort', p.containerPort)));
}
