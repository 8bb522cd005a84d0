/**
 * Object metadata, labels, annotations, owner references, finalizers and
 * label selectors, as upstream apimachinery/pkg/api/validation and
 * apis/meta/v1/validation check them (plus core's finalizer-name rule).
 */
import { field, root, type FieldError, type Path } from '../field-errors.ts';
import { goStrings } from './go-format.ts';
import {
  byteLength,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
} from './names.ts';
import { arr, deepEqual, IMMUTABLE, invalidRaw, isObj, isSet, nonNegative, obj, str, strMap, type Obj } from './util.ts';

/** Validates a name (or a generateName prefix, when `prefix` is set). */
export type NameFn = (name: string, prefix: boolean) => string[];

/** A generateName may end in '-': check it as if a suffix followed. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

export const nameIsDNSSubdomain: NameFn = (n, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(n) : n);
export const nameIsDNSLabel: NameFn = (n, prefix) => isDNS1123Label(prefix ? maskTrailingDash(n) : n);
export const nameIsDNS1035Label: NameFn = (n, prefix) => isDNS1035Label(prefix ? maskTrailingDash(n) : n);

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function validateLabelName(key: string, path: Path): FieldError[] {
  return isQualifiedName(key).map((m) => field.invalid(path, key, m));
}

/** Keys and values of a label map; errors carry the map's path, as upstream. */
export function validateLabels(labels: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(strMap(labels))) {
    errs.push(...validateLabelName(k, path));
    for (const m of isValidLabelValue(str(v))) errs.push(field.invalid(path, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(strMap(annotations))) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(field.invalid(path, k, m));
    total += byteLength(k) + byteLength(str(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(field.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/** Splits an apiVersion as schema.ParseGroupVersion does; undefined when malformed. */
export function parseGroupVersion(apiVersion: string): { group: string; version: string } | undefined {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: apiVersion };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return undefined;
}

function renderOwnerRef(r: Obj): string {
  const b = (v: unknown) => (isSet(v) ? `(*bool)(${v})` : '(*bool)(nil)');
  return `v1.OwnerReference{APIVersion:${JSON.stringify(str(r.apiVersion))}, Kind:${JSON.stringify(str(r.kind))}, Name:${JSON.stringify(str(r.name))}, UID:${JSON.stringify(str(r.uid))}, Controller:${b(r.controller)}, BlockOwnerDeletion:${b(r.blockOwnerDeletion)}}`;
}

export function validateOwnerReferences(refs: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  const list = arr(refs);
  for (const raw of list) {
    const r = obj(raw);
    const gv = parseGroupVersion(str(r.apiVersion));
    const version = gv?.version ?? '';
    if (!version) errs.push(field.invalid(path.child('apiVersion'), str(r.apiVersion), 'version must not be empty'));
    if (!str(r.kind)) errs.push(field.invalid(path.child('kind'), str(r.kind), 'kind must not be empty'));
    if (!str(r.name)) errs.push(field.invalid(path.child('name'), str(r.name), 'name must not be empty'));
    if (!str(r.uid)) errs.push(field.invalid(path.child('uid'), str(r.uid), 'uid must not be empty'));
    if (gv && gv.group === '' && version === 'v1' && r.kind === 'Event')
      errs.push(invalidRaw(path, renderOwnerRef(r), '/v1, Kind=Event is disallowed from being an owner'));
    if (r.controller === true) {
      const name = `${str(r.kind)}/${str(r.name)}`;
      if (firstController)
        errs.push(
          invalidRaw(
            path,
            `[]v1.OwnerReference{${list.map((x) => renderOwnerRef(obj(x))).join(', ')}}`,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`,
          ),
        );
      else firstController = name;
    }
  }
  return errs;
}

/** Generic finalizer checks (errors on the list's path), then core's per-item rule. */
export function validateFinalizers(finalizers: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(finalizers).map(str);
  for (const f of list) errs.push(...isQualifiedName(f).map((m) => field.invalid(path, f, m)));
  if (list.includes('orphan') && list.includes('foregroundDeletion'))
    errs.push(invalidRaw(path, goStrings(list), 'finalizer orphan and foregroundDeletion cannot be both set'));
  return errs;
}

/** Core's rule: an unqualified finalizer must be one of the standard ones. */
export function validateKubeFinalizerName(name: string, path: Path): FieldError[] {
  if (name.split('/').length === 1 && !STANDARD_FINALIZERS.has(name))
    return [field.invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified')];
  return [];
}

/**
 * ValidateObjectMeta for create, with core's finalizer rule. The apiserver
 * has already filled the namespace from the URL (and cleared it for
 * cluster-scoped kinds) and generated a name from generateName.
 */
export function validateObjectMeta(
  metaIn: unknown,
  requiresNamespace: boolean,
  nameFn: NameFn,
  path: Path = root('metadata'),
): FieldError[] {
  const meta = obj(metaIn);
  const errs: FieldError[] = [];
  const generateName = str(meta.generateName);
  if (generateName)
    for (const m of nameFn(generateName, true)) errs.push(field.invalid(path.child('generateName'), generateName, m));
  const name = str(meta.name);
  if (!name) errs.push(field.required(path.child('name'), 'name or generateName is required'));
  else for (const m of nameFn(name, false)) errs.push(field.invalid(path.child('name'), name, m));
  const namespace = str(meta.namespace);
  if (requiresNamespace) {
    if (!namespace) errs.push(field.required(path.child('namespace')));
    else for (const m of nameIsDNSLabel(namespace, false)) errs.push(field.invalid(path.child('namespace'), namespace, m));
  } else if (namespace) {
    errs.push(field.forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...nonNegative(meta.generation, path.child('generation')));
  errs.push(...commonMeta(meta, path));
  errs.push(...validateFinalizers(meta.finalizers, path.child('finalizers')));
  errs.push(...kubeFinalizers(meta, path));
  return errs;
}

function commonMeta(meta: Obj, path: Path): FieldError[] {
  return [
    ...validateLabels(meta.labels, path.child('labels')),
    ...validateAnnotations(meta.annotations, path.child('annotations')),
    ...validateOwnerReferences(meta.ownerReferences, path.child('ownerReferences')),
  ];
}

function kubeFinalizers(meta: Obj, path: Path): FieldError[] {
  return arr(meta.finalizers).flatMap((f, i) => validateKubeFinalizerName(str(f), path.child('finalizers').index(i)));
}

/** Go's time.Time String() for an RFC 3339 timestamp (`2024-01-02 03:04:05 +0000 UTC`). */
function goTime(v: unknown): string {
  if (!isSet(v)) return 'null';
  const d = new Date(str(v));
  if (Number.isNaN(d.getTime())) return JSON.stringify(v);
  return `${d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} +0000 UTC`;
}

/**
 * ValidateObjectMetaUpdate. Like upstream's BeforeUpdate, a missing uid,
 * deletionTimestamp or deletionGracePeriodSeconds means "unchanged", and
 * creationTimestamp changes are ignored (the registry keeps the old one).
 * A missing resourceVersion is left to the registry, which decides between
 * a conditional and an unconditional update.
 */
export function validateObjectMetaUpdate(newIn: unknown, oldIn: unknown, path: Path = root('metadata')): FieldError[] {
  const n = obj(newIn);
  const o = obj(oldIn);
  const errs: FieldError[] = [];
  if (isSet(o.deletionTimestamp)) {
    const old = new Set(arr(o.finalizers).map(str));
    const extra = [...new Set(arr(n.finalizers).map(str))].filter((f) => !old.has(f)).sort();
    if (extra.length)
      errs.push(
        field.forbidden(
          path.child('finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers ${goStrings(extra)}`,
        ),
      );
  }
  if (typeof n.generation === 'number' && n.generation < (typeof o.generation === 'number' ? o.generation : 0))
    errs.push(field.invalid(path.child('generation'), n.generation, 'must not be decremented'));
  const same = (k: string, render: (v: unknown) => string = (v) => JSON.stringify(v ?? '')) => {
    const direct = k === 'name' || k === 'namespace';
    const nv = direct ? str(n[k]) : k === 'uid' ? (str(n.uid) ? n.uid : o.uid) : isSet(n[k]) ? n[k] : o[k];
    if (!deepEqual(nv, direct ? str(o[k]) : o[k])) errs.push(invalidRaw(path.child(k), render(nv), IMMUTABLE));
  };
  same('name');
  same('namespace');
  same('uid');
  same('deletionTimestamp', goTime);
  same('deletionGracePeriodSeconds', (v) => (isSet(v) ? String(v) : 'null'));
  errs.push(...commonMeta(n, path));
  errs.push(...kubeFinalizers(n, path));
  return errs;
}

/** Options for {@link validateLabelSelector}, as upstream's LabelSelectorValidationOptions. */
export interface SelectorOptions {
  allowInvalidLabelValue?: boolean;
}

export function validateLabelSelector(selIn: unknown, path: Path, opts: SelectorOptions = {}): FieldError[] {
  if (!isObj(selIn)) return [];
  const errs: FieldError[] = [...validateLabels(selIn.matchLabels, path.child('matchLabels'))];
  arr(selIn.matchExpressions).forEach((e, i) => {
    errs.push(...validateSelectorRequirement(obj(e), path.child('matchExpressions').index(i), opts));
  });
  return errs;
}

function validateSelectorRequirement(sr: Obj, path: Path, opts: SelectorOptions): FieldError[] {
  const errs: FieldError[] = [];
  const values = arr(sr.values);
  switch (sr.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0)
        errs.push(field.required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0)
        errs.push(field.forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(field.invalid(path.child('operator'), str(sr.operator), 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(sr.key), path.child('key')));
  if (!opts.allowInvalidLabelValue)
    values.forEach((v, i) => {
      for (const m of isValidLabelValue(str(v))) errs.push(field.invalid(path.child('values').index(i), v, m));
    });
  return errs;
}
