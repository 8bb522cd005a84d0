/**
 * ResourceQuotas and LimitRanges: resource names valid for their context
 * and quantities that are non-negative and consistent (min ≤ default ≤ max).
 */
import { field, root, type FieldError, type Path } from '../field-errors.ts';
import { Quantity } from '../quantity.ts';
import { goStrings } from './go-format.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { isQualifiedName } from './names.ts';
import {
  isOvercommitAllowed,
  readQuantity,
  validateContainerResourceName,
  validateQuantityValue,
  validateQuotaResourceName,
  validateResourceName,
} from './resources.ts';
import { arr, invalidRaw, isObj, obj, str, type Obj } from './util.ts';

const SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];
/** Which resources each scope may constrain (upstream's IsResourceQuotaScopeValidForResource). */
const POD_OBJECT_COUNT = ['pods', 'count/pods'];
const POD_COMPUTE = ['cpu', 'requests.cpu', 'limits.cpu', 'memory', 'requests.memory', 'limits.memory'];

function scopeAllowsResource(scope: string, resource: string): boolean {
  switch (scope) {
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
      return POD_OBJECT_COUNT.includes(resource) || POD_COMPUTE.includes(resource) || resource.includes('ephemeral-storage') || resource.startsWith('requests.') || resource.startsWith('limits.') || resource.startsWith('hugepages-');
    case 'BestEffort':
      return POD_OBJECT_COUNT.includes(resource);
    case 'CrossNamespacePodAffinity':
      return POD_OBJECT_COUNT.includes(resource);
    default:
      return true;
  }
}

function validateResourceMap(list: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(obj(list))) {
    const p = path.key(k);
    errs.push(...validateQuotaResourceName(k, p));
    const q = readQuantity(v, p, errs);
    if (q) errs.push(...validateQuantityValue(k, q, p));
  }
  return errs;
}

function validateQuotaSpec(spec: Obj): FieldError[] {
  const p = root('spec');
  const errs = validateResourceMap(spec.hard, p.child('hard'));
  const scopes = arr(spec.scopes).map(str);
  const hard = Object.keys(obj(spec.hard)).sort();
  for (const scope of scopes) {
    if (!SCOPES.includes(scope)) errs.push(invalidRaw(p.child('scopes'), goStrings(scopes), 'unsupported scope'));
    for (const r of hard)
      if (!r.includes('/') && !scopeAllowsResource(scope, r))
        errs.push(invalidRaw(p.child('scopes'), goStrings(scopes), 'unsupported scope applied to resource'));
  }
  const conflicting = (a: string, b: string, set: string[]) => set.includes(a) && set.includes(b);
  if (conflicting('BestEffort', 'NotBestEffort', scopes) || conflicting('Terminating', 'NotTerminating', scopes))
    errs.push(invalidRaw(p.child('scopes'), goStrings(scopes), 'conflicting scopes'));
  if (isObj(spec.scopeSelector)) {
    const sp = p.child('scopeSelector', 'matchExpressions');
    const names: string[] = [];
    for (const raw of arr(spec.scopeSelector.matchExpressions)) {
      const req = obj(raw);
      const scope = str(req.scopeName);
      names.push(scope);
      if (!SCOPES.includes(scope)) errs.push(field.invalid(sp.child('scopeName'), scope, 'unsupported scope'));
      const existsOnly = ['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity'];
      if (existsOnly.includes(scope) && req.operator !== 'Exists')
        errs.push(
          field.invalid(
            sp.child('operator'),
            str(req.operator),
            'must be \'Exists\' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity',
          ),
        );
      const values = arr(req.values);
      if (req.operator === 'In' || req.operator === 'NotIn') {
        if (values.length === 0)
          errs.push(field.required(sp.child('values'), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
      } else if (req.operator === 'Exists' || req.operator === 'DoesNotExist') {
        if (values.length)
          errs.push(invalidRaw(sp.child('values'), goStrings(values), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
      } else errs.push(field.invalid(sp.child('operator'), str(req.operator), 'not a valid selector operator'));
    }
    if (conflicting('BestEffort', 'NotBestEffort', names) || conflicting('Terminating', 'NotTerminating', names))
      errs.push(invalidRaw(sp, goStrings(scopes), 'conflicting scopes'));
  }
  return errs;
}

export function validateResourceQuota(rq: Obj): FieldError[] {
  const status = obj(rq.status);
  return [
    ...validateObjectMeta(rq.metadata, true, nameIsDNSSubdomain),
    ...validateQuotaSpec(obj(rq.spec)),
    ...validateResourceMap(status.hard, root('status', 'hard')),
    ...validateResourceMap(status.used, root('status', 'used')),
  ];
}

export function validateResourceQuotaUpdate(rq: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(rq.metadata, old.metadata), ...validateQuotaSpec(obj(rq.spec))];
  const n = new Set(arr(obj(rq.spec).scopes).map(str));
  const o = new Set(arr(obj(old.spec).scopes).map(str));
  if (n.size !== o.size || [...n].some((s) => !o.has(s)))
    errs.push(invalidRaw(root('spec', 'scopes'), goStrings(arr(obj(rq.spec).scopes)), 'field is immutable'));
  return errs;
}

export function validateResourceQuotaStatusUpdate(rq: Obj, old: Obj): FieldError[] {
  const status = obj(rq.status);
  return [
    ...validateObjectMetaUpdate(rq.metadata, old.metadata),
    ...validateResourceMap(status.hard, root('status', 'hard')),
    ...validateResourceMap(status.used, root('status', 'used')),
  ];
}

function limitTypeErrors(type: string, path: Path): FieldError[] {
  const errs = isQualifiedName(type).map((m) => field.invalid(path, type, m));
  if (errs.length) return errs;
  if (!type.includes('/') && !['Pod', 'Container', 'PersistentVolumeClaim'].includes(type))
    return [field.invalid(path, type, 'must be a standard limit type or fully qualified')];
  return [];
}

export function validateLimitRange(lr: Obj): FieldError[] {
  const errs = validateObjectMeta(lr.metadata, true, nameIsDNSSubdomain);
  const seen = new Set<string>();
  arr(obj(lr.spec).limits).forEach((raw, i) => {
    const item = obj(raw);
    const p = root('spec', 'limits').index(i);
    const type = str(item.type);
    errs.push(...limitTypeErrors(type, p.child('type')));
    if (seen.has(type)) errs.push(field.duplicate(p.child('type'), type));
    seen.add(type);
    const nameCheck = (name: string, path: Path) =>
      type === 'Pod' || type === 'Container' ? validateContainerResourceName(name, path) : validateResourceName(name, path);
    const read = (key: string): Map<string, Quantity> => {
      const out = new Map<string, Quantity>();
      for (const [k, v] of Object.entries(obj(item[key]))) {
        errs.push(...nameCheck(k, p.child(key).key(k)));
        const q = readQuantity(v, p.child(key).key(k), errs);
        if (q) out.set(k, q);
      }
      return out;
    };
    const max = read('max');
    const min = read('min');
    let defaults = new Map<string, Quantity>();
    let defaultRequests = new Map<string, Quantity>();
    if (type === 'Pod') {
      if (Object.keys(obj(item.default)).length) errs.push(field.forbidden(p.child('default'), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(obj(item.defaultRequest)).length)
        errs.push(field.forbidden(p.child('defaultRequest'), "may not be specified when `type` is 'Pod'"));
    } else {
      defaults = read('default');
      defaultRequests = read('defaultRequest');
    }
    if (type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage'))
      errs.push(field.required(p.child('limits'), 'either minimum or maximum storage value is required, but neither was provided'));
    const ratios = read('maxLimitRequestRatio');
    const keys = new Set([...max.keys(), ...min.keys(), ...defaults.keys(), ...defaultRequests.keys(), ...ratios.keys()]);
    for (const k of keys) {
      const mn = min.get(k);
      const mx = max.get(k);
      const df = defaults.get(k);
      const dr = defaultRequests.get(k);
      const ratio = ratios.get(k);
      const s = (q: Quantity) => q.toString();
      if (mn && mx && mn.cmp(mx) > 0) errs.push(field.invalid(p.child('min').key(k), s(mn), `min value ${s(mn)} is greater than max value ${s(mx)}`));
      if (dr && mn && mn.cmp(dr) > 0)
        errs.push(field.invalid(p.child('defaultRequest').key(k), s(dr), `min value ${s(mn)} is greater than default request value ${s(dr)}`));
      if (dr && mx && dr.cmp(mx) > 0)
        errs.push(field.invalid(p.child('defaultRequest').key(k), s(dr), `default request value ${s(dr)} is greater than max value ${s(mx)}`));
      if (dr && df && dr.cmp(df) > 0)
        errs.push(field.invalid(p.child('defaultRequest').key(k), s(dr), `default request value ${s(dr)} is greater than default limit value ${s(df)}`));
      if (df && mn && mn.cmp(df) > 0) errs.push(field.invalid(p.child('default').key(k), s(mn), `min value ${s(mn)} is greater than default value ${s(df)}`));
      if (df && mx && df.cmp(mx) > 0) errs.push(field.invalid(p.child('default').key(k), s(mx), `default value ${s(df)} is greater than max value ${s(mx)}`));
      if (ratio && ratio.cmp(Quantity.of(1)) < 0)
        errs.push(field.invalid(p.child('maxLimitRequestRatio').key(k), s(ratio), `ratio ${s(ratio)} is less than 1`));
      if (ratio && mn && mx) {
        const limit = mx.milliValue() / mn.milliValue();
        if (ratio.milliValue() / 1000 > limit)
          errs.push(field.invalid(p.child('maxLimitRequestRatio').key(k), s(ratio), `ratio ${s(ratio)} is greater than max/min = ${limit.toFixed(6)}`));
      }
      if (!isOvercommitAllowed(k) && df && dr && df.cmp(dr) !== 0)
        errs.push(field.invalid(p.child('defaultRequest').key(k), s(dr), `default value ${s(df)} must equal to defaultRequest value ${s(dr)} in ${k}`));
    }
  });
  return errs;
}

export function validateLimitRangeUpdate(lr: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(lr.metadata, old.metadata), ...validateLimitRange(lr)];
}
