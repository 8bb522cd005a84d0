/**
 * Namespaces, Nodes and PersistentVolumes: the cluster-scoped core kinds.
 */
import { field, root, type FieldError, type Path } from '../field-errors.ts';
import { isQualifiedName, isValidCIDR, isValidLabelValue, parseIPSloppy } from './names.ts';
import { nameIsDNSLabel, nameIsDNSSubdomain, validateKubeFinalizerName, validateLabelName, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { specDiff, validateAccessModes, validateClassName, VOLUME_MODES } from './pvc-spec.ts';
import { readQuantity, validateQuantityValue } from './resources.ts';
import { validateNodeSelector, validateTaintEffect } from './scheduling.ts';
import { arr, deepEqual, duplicateRaw, immutable, invalidRaw, isObj, isSet, obj, str, type Obj } from './util.ts';

function validateNamespaceFinalizers(finalizers: unknown, path: (i: number) => Path): FieldError[] {
  return arr(finalizers).flatMap((f, i) => [
    ...isQualifiedName(str(f)).map((m) => field.invalid(path(i), str(f), m)),
    ...validateKubeFinalizerName(str(f), path(i)),
  ]);
}

export function validateNamespace(ns: Obj): FieldError[] {
  return [
    ...validateObjectMeta(ns.metadata, false, nameIsDNSLabel),
    // Upstream reports spec finalizers against the list, not the item.
    ...validateNamespaceFinalizers(obj(ns.spec).finalizers, () => root('spec', 'finalizers')),
  ];
}

export function validateNamespaceUpdate(ns: Obj, old: Obj): FieldError[] {
  return validateObjectMetaUpdate(ns.metadata, old.metadata);
}

export function validateNamespaceStatusUpdate(ns: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata);
  const phase = str(obj(ns.status).phase);
  if (!isSet(obj(ns.metadata).deletionTimestamp)) {
    if (phase !== 'Active') errs.push(field.invalid(root('status', 'Phase'), phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== 'Terminating')
    errs.push(field.invalid(root('status', 'Phase'), phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  return errs;
}

/** The namespaces/finalize subresource. */
export function validateNamespaceFinalizeUpdate(ns: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(ns.metadata, old.metadata),
    ...validateNamespaceFinalizers(obj(ns.spec).finalizers, (i) => root('spec', 'finalizers').index(i)),
  ];
}

function validateTaints(taints: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(taints).forEach((raw, i) => {
    const t = obj(raw);
    const p = path.index(i);
    errs.push(...validateLabelName(str(t.key), p.child('key')));
    const msgs = isValidLabelValue(str(t.value));
    if (msgs.length) errs.push(field.invalid(p.child('value'), str(t.value), msgs.join(';')));
    errs.push(...validateTaintEffect(t.effect, false, p.child('effect')));
    const k = `${str(t.effect)}\u0000${str(t.key)}`;
    if (seen.has(k)) {
      const e = duplicateRaw(p, `core.Taint{Key:${JSON.stringify(str(t.key))}, Value:${JSON.stringify(str(t.value))}, Effect:${JSON.stringify(str(t.effect))}, TimeAdded:<nil>}`);
      errs.push({ ...e, message: `${e.message}: taints must be unique by key and effect pair` });
      return;
    }
    seen.add(k);
  });
  return errs;
}

function validateNodeResources(node: Obj): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['capacity', 'allocatable'])
    for (const [name, v] of Object.entries(obj(obj(node.status)[k]))) {
      // Upstream builds this path with dots: status.capacity.cpu.
      const p = root('status', k, name);
      const q = readQuantity(v, p, errs);
      if (q) errs.push(...validateQuantityValue(name, q, p));
    }
  return errs;
}

function validatePodCIDRs(spec: Obj): FieldError[] {
  const cidrs = arr(spec.podCIDRs).map(str);
  const p = root('spec', 'podCIDRs');
  const errs = cidrs.flatMap((c, i) => isValidCIDR(c).map((m) => field.invalid(p.index(i), c, m)));
  if (cidrs.length > 1) {
    const fams = cidrs.map((c) => parseIPSloppy(c.split('/')[0]!));
    if (new Set(fams).size !== cidrs.length || cidrs.length > 2)
      errs.push(invalidRaw(p, JSON.stringify(cidrs), 'may specify no more than one CIDR for each IP family'));
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(field.duplicate(p.index(i), c));
      seen.add(c);
    });
  }
  return errs;
}

export function validateNode(node: Obj): FieldError[] {
  const spec = obj(node.spec);
  return [
    ...validateObjectMeta(node.metadata, false, nameIsDNSSubdomain),
    // Upstream reports spec taints under metadata.taints.
    ...validateTaints(spec.taints, root('metadata', 'taints')),
    ...validateNodeResources(node),
    ...validatePodCIDRs(spec),
  ];
}

export function validateNodeUpdate(node: Obj, old: Obj): FieldError[] {
  const n = obj(node.spec);
  const o = obj(old.spec);
  const errs = [...validateObjectMetaUpdate(node.metadata, old.metadata), ...validateNodeResources(node)];
  const seen = new Set<string>();
  arr(obj(node.status).addresses).forEach((a, i) => {
    const k = JSON.stringify([str(obj(a).type), str(obj(a).address)]);
    if (seen.has(k)) errs.push(field.duplicate(root('status', 'addresses').index(i), a));
    seen.add(k);
  });
  const oldCIDRs = arr(o.podCIDRs);
  if (oldCIDRs.length && !deepEqual(oldCIDRs, arr(n.podCIDRs)))
    errs.push(field.forbidden(root('spec', 'podCIDRs'), 'node updates may not change podCIDR except from "" to valid'));
  if (str(o.providerID) && o.providerID !== n.providerID)
    errs.push(field.forbidden(root('spec', 'providerID'), 'node updates may not change providerID except from "" to valid'));
  errs.push(...validateTaints(n.taints, root('metadata', 'taints')));
  if (str(n.externalID) !== str(o.externalID)) errs.push(field.forbidden(root('spec', 'externalID'), 'may not be updated'));
  return errs;
}

const PV_SOURCES = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'glusterfs', 'flocker', 'nfs', 'rbd', 'quobyte', 'cephfs', 'iscsi',
  'cinder', 'fc', 'flexVolume', 'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'scaleIO',
  'local', 'storageos', 'csi',
];

function validatePVSpec(spec: Obj): FieldError[] {
  const p = root('spec');
  const errs: FieldError[] = [];
  if (arr(spec.accessModes).length === 0) errs.push(field.required(p.child('accessModes')));
  errs.push(...validateAccessModes(spec.accessModes, p.child('accessModes')));
  const capacity = obj(spec.capacity);
  if (Object.keys(capacity).length === 0) errs.push(field.required(p.child('capacity')));
  if (!('storage' in capacity) || Object.keys(capacity).length > 1)
    errs.push(field.notSupported(p.child('capacity'), capacity, ['storage']));
  for (const [k, v] of Object.entries(capacity)) {
    const q = readQuantity(v, p.child('capacity').key(k), errs);
    if (q && q.value() < 0) errs.push(field.invalid(p.child('capacity').key(k), q.value(), 'must be a valid resource quantity'));
    if (q && q.sign() <= 0) errs.push(field.invalid(p.child('capacity').key(k), q.toString(), 'must be greater than zero'));
  }
  const reclaim = str(spec.persistentVolumeReclaimPolicy);
  if (reclaim && !['Delete', 'Recycle', 'Retain'].includes(reclaim))
    errs.push(field.notSupported(p.child('persistentVolumeReclaimPolicy'), reclaim, ['Delete', 'Recycle', 'Retain']));
  let affinity = false;
  if (isObj(spec.nodeAffinity)) {
    affinity = true;
    if (isObj(spec.nodeAffinity.required)) errs.push(...validateNodeSelector(spec.nodeAffinity.required, p.child('nodeAffinity', 'required')));
    else errs.push(field.required(p.child('nodeAffinity', 'required'), 'must specify required node constraints'));
  }
  let count = 0;
  for (const k of PV_SOURCES) {
    if (!isSet(spec[k])) continue;
    if (count > 0 && k !== 'flexVolume') {
      errs.push(field.forbidden(p.child(k), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const src = obj(spec[k]);
    if ((k === 'hostPath' || k === 'local' || k === 'nfs') && !str(src.path)) errs.push(field.required(p.child(k, 'path')));
    if (k === 'nfs' && !str(src.server)) errs.push(field.required(p.child(k, 'server')));
    if (k === 'csi') {
      if (!str(src.driver)) errs.push(field.required(p.child(k, 'driver')));
      if (!str(src.volumeHandle)) errs.push(field.required(p.child(k, 'volumeHandle')));
    }
    if (k === 'local' && !affinity) errs.push(field.required(p.child('nodeAffinity'), 'Local volume requires node affinity'));
  }
  if (count === 0) errs.push(field.required(p, 'must specify a volume type'));
  if (isObj(spec.hostPath) && str(spec.hostPath.path).replace(/\/+$/, '') === '' && reclaim === 'Recycle')
    errs.push(field.forbidden(p.child('persistentVolumeReclaimPolicy'), "may not be 'recycle' for a hostPath mount of '/'"));
  errs.push(...validateClassName(spec.storageClassName, p.child('storageClassName')));
  if (isSet(spec.volumeMode) && !VOLUME_MODES.includes(spec.volumeMode))
    errs.push(field.notSupported(p.child('volumeMode'), spec.volumeMode, VOLUME_MODES));
  return errs;
}

export function validatePersistentVolume(pv: Obj): FieldError[] {
  return [...validateObjectMeta(pv.metadata, false, nameIsDNSSubdomain), ...validatePVSpec(obj(pv.spec))];
}

export function validatePersistentVolumeUpdate(pv: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pv.metadata, old.metadata), ...validatePersistentVolume(pv)];
  const source = (s: Obj) => Object.fromEntries(PV_SOURCES.filter((k) => isSet(s[k])).map((k) => [k, s[k]]));
  const n = source(obj(pv.spec));
  const o = source(obj(old.spec));
  if (!deepEqual(n, o))
    errs.push(field.forbidden(root('spec', 'persistentvolumesource'), `spec.persistentvolumesource is immutable after creation\n${specDiff(o, n)}`));
  errs.push(...immutable(obj(pv.spec).volumeMode, obj(old.spec).volumeMode, root('volumeMode')));
  if (isSet(obj(old.spec).nodeAffinity) && !deepEqual(obj(pv.spec).nodeAffinity, obj(old.spec).nodeAffinity))
    errs.push(invalidRaw(root('nodeAffinity'), JSON.stringify(obj(pv.spec).nodeAffinity ?? null), 'field is immutable, except for updating from beta label to GA'));
  return errs;
}

