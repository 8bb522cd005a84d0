/**
 * PersistentVolumeClaim specs, wherever they appear: PVC objects, generic
 * ephemeral volume templates. Also the PVC kind's create/update rules.
 */
import { field, root, type FieldError, type Path } from '../field-errors.ts';
import { validateAnnotations, validateLabelSelector, validateLabels, validateObjectMeta, validateObjectMetaUpdate, nameIsDNSLabel, nameIsDNSSubdomain } from './meta.ts';
import { isDNS1123Subdomain } from './names.ts';
import { readQuantity, validateQuantityValue } from './resources.ts';
import { arr, deepEqual, immutable, isObj, isSet, obj, str, type Obj } from './util.ts';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const VOLUME_MODES = ['Block', 'Filesystem'];

/** Access modes: known values, and ReadWriteOncePod alone. */
export function validateAccessModes(modes: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let rwop = false;
  let other = false;
  for (const m of arr(modes)) {
    if (!ACCESS_MODES.includes(m)) errs.push(field.notSupported(path, m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (ACCESS_MODES.includes(m)) other = true;
  }
  if (rwop && other) errs.push(field.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

/** A StorageClass (or VolumeAttributesClass) reference is a DNS subdomain. */
export function validateClassName(name: unknown, path: Path): FieldError[] {
  const s = str(name);
  return s ? isDNS1123Subdomain(s).map((m) => field.invalid(path, s, m)) : [];
}

function validateDataSource(ref: Obj, path: Path, withNamespace: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(ref.name)) errs.push(field.required(path.child('name')));
  if (!str(ref.kind)) errs.push(field.required(path.child('kind')));
  const apiGroup = str(ref.apiGroup);
  if (!apiGroup && ref.kind !== 'PersistentVolumeClaim')
    errs.push(field.invalid(path, str(ref.kind), "must be 'PersistentVolumeClaim' when referencing the default apiGroup"));
  if (apiGroup) errs.push(...isDNS1123Subdomain(apiGroup).map((m) => field.invalid(path.child('apiGroup'), apiGroup, m)));
  if (withNamespace && str(ref.namespace))
    errs.push(...nameIsDNSLabel(str(ref.namespace), false).map((m) => field.invalid(path.child('namespace'), ref.namespace, m)));
  return errs;
}

export function validatePVCSpec(specIn: unknown, path: Path): FieldError[] {
  const spec = obj(specIn);
  const errs: FieldError[] = [];
  if (arr(spec.accessModes).length === 0)
    errs.push(field.required(path.child('accessModes'), 'at least 1 access mode is required'));
  if (isObj(spec.selector)) errs.push(...validateLabelSelector(spec.selector, path.child('selector')));
  errs.push(...validateAccessModes(spec.accessModes, path.child('accessModes')));
  const storagePath = path.child('resources').key('storage');
  const requests = obj(obj(spec.resources).requests);
  if (!isSet(requests.storage)) errs.push(field.required(storagePath));
  else {
    const q = readQuantity(requests.storage, storagePath, errs);
    if (q && q.sign() <= 0) errs.push(field.invalid(storagePath, q.toString(), 'must be greater than zero'));
    else if (q) errs.push(...validateQuantityValue('storage', q, storagePath));
  }
  errs.push(...validateClassName(spec.storageClassName, path.child('storageClassName')));
  if (isSet(spec.volumeMode) && !VOLUME_MODES.includes(spec.volumeMode))
    errs.push(field.notSupported(path.child('volumeMode'), spec.volumeMode, VOLUME_MODES));
  if (isObj(spec.dataSource)) errs.push(...validateDataSource(spec.dataSource, path.child('dataSource'), false));
  if (isObj(spec.dataSourceRef)) errs.push(...validateDataSource(spec.dataSourceRef, path.child('dataSourceRef'), true));
  const ds = obj(spec.dataSource);
  const dsr = obj(spec.dataSourceRef);
  if (isObj(spec.dataSourceRef) && str(dsr.namespace)) {
    if (isObj(spec.dataSource))
      errs.push(field.invalid(path, String(path.child('dataSource')), 'may not be specified when dataSourceRef.namespace is specified'));
  } else if (isObj(spec.dataSource) && isObj(spec.dataSourceRef)) {
    if (str(ds.apiGroup) !== str(dsr.apiGroup) || ds.kind !== dsr.kind || ds.name !== dsr.name)
      errs.push(field.invalid(path, String(path.child('dataSource')), 'must match dataSourceRef'));
  }
  errs.push(...validateClassName(spec.volumeAttributesClassName, path.child('volumeAttributesClassName')));
  return errs;
}

const TEMPLATE_META_FORBIDDEN = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

/** Embedded object metadata where only labels and annotations may be set. */
export function validateTemplateObjectMeta(metaIn: unknown, path: Path): FieldError[] {
  const meta = obj(metaIn);
  const errs = [...validateAnnotations(meta.annotations, path.child('annotations')), ...validateLabels(meta.labels, path.child('labels'))];
  for (const k of TEMPLATE_META_FORBIDDEN) {
    const v = meta[k];
    const set = Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && v !== '' && v !== 0;
    if (set) errs.push(field.forbidden(path.child(k), 'cannot be set'));
  }
  return errs;
}

export function validatePVCTemplate(tmplIn: unknown, path: Path): FieldError[] {
  const tmpl = obj(tmplIn);
  return [...validateTemplateObjectMeta(tmpl.metadata, path.child('metadata')), ...validatePVCSpec(tmpl.spec, path.child('spec'))];
}

/** A readable summary of how two specs differ, in place of upstream's cmp.Diff. */
export function specDiff(oldSpec: unknown, newSpec: unknown): string {
  const o = obj(oldSpec);
  const n = obj(newSpec);
  const keys = [...new Set([...Object.keys(o), ...Object.keys(n)])].sort();
  const lines = keys
    .filter((k) => !deepEqual(o[k], n[k]))
    .flatMap((k) => [`-\t${k}: ${JSON.stringify(o[k] ?? null)}`, `+\t${k}: ${JSON.stringify(n[k] ?? null)}`]);
  return lines.join('\n');
}

export function validatePVC(pvc: Obj): FieldError[] {
  return [
    ...validateObjectMeta(pvc.metadata, true, nameIsDNSSubdomain),
    ...validatePVCSpec(pvc.spec, root('spec')),
  ];
}

/**
 * A claim's spec is immutable except: volumeName may be set once,
 * storageClassName may be set once when unset, and a bound claim may grow
 * its storage request (never shrink it).
 */
export function validatePVCUpdate(pvc: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pvc.metadata, old.metadata), ...validatePVC(pvc)];
  const n = structuredClone(obj(pvc.spec));
  const o = structuredClone(obj(old.spec));
  if (!str(o.volumeName)) o.volumeName = n.volumeName;
  const oldAnno = obj(obj(old.metadata).annotations)['volume.beta.kubernetes.io/storage-class'];
  if (!isSet(o.storageClassName) && isSet(n.storageClassName) && (oldAnno === undefined || oldAnno === n.storageClassName))
    o.storageClassName = n.storageClassName;
  if (obj(pvc.status).phase === 'Bound') {
    if (isObj(obj(n.resources).requests)) obj(n.resources).requests.storage = obj(obj(o.resources).requests).storage;
    if (isSet(n.volumeAttributesClassName)) n.volumeAttributesClassName = o.volumeAttributesClassName;
  }
  if (!deepEqual(n, o))
    errs.push(
      field.forbidden(
        root('spec'),
        `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiff(o, n)}`,
      ),
    );
  const sink: FieldError[] = [];
  const newSize = readQuantity(obj(obj(pvc.spec).resources).requests?.storage ?? '0', root('x'), sink);
  const oldSize = readQuantity(obj(obj(old.spec).resources).requests?.storage ?? '0', root('x'), sink);
  if (newSize && oldSize && newSize.cmp(oldSize) < 0)
    errs.push(field.forbidden(root('spec', 'resources', 'requests', 'storage'), 'field can not be less than previous value'));
  errs.push(...immutable(obj(pvc.spec).volumeMode, obj(old.spec).volumeMode, root('volumeMode')));
  return errs;
}
