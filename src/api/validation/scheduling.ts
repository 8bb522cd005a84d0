/**
 * Scheduling constraints in a pod spec: node and pod (anti-)affinity,
 * tolerations and topology spread constraints.
 */
import { field, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSLabel, nameIsDNSSubdomain, validateLabelName, validateLabelSelector } from './meta.ts';
import { isValidLabelValue } from './names.ts';
import { arr, isObj, isSet, obj, str, type Obj } from './util.ts';

function validateNodeSelectorRequirement(rq: Obj, allowInvalidValues: boolean, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const values = arr(rq.values);
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(field.required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0)
        errs.push(field.forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1)
        errs.push(field.required(path.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(field.invalid(path.child('operator'), str(rq.operator), 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(rq.key), path.child('key')));
  if (!allowInvalidValues)
    values.forEach((v, i) => errs.push(...isValidLabelValue(str(v)).map((m) => field.invalid(path.child('values').index(i), v, m))));
  return errs;
}

function validateNodeFieldSelectorRequirement(rq: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const values = arr(rq.values);
  if (rq.operator === 'In' || rq.operator === 'NotIn') {
    if (values.length !== 1)
      errs.push(field.required(path.child('values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else errs.push(field.invalid(path.child('operator'), str(rq.operator), 'not a valid selector operator'));
  if (rq.key !== 'metadata.name') errs.push(field.invalid(path.child('key'), str(rq.key), 'not a valid field selector key'));
  else
    values.forEach((v, i) =>
      errs.push(...nameIsDNSSubdomain(str(v), false).map((m) => field.invalid(path.child('values').index(i), v, m))),
    );
  return errs;
}

function validateNodeSelectorTerm(term: Obj, allowInvalidValues: boolean, path: Path): FieldError[] {
  return [
    ...arr(term.matchExpressions).flatMap((r, j) =>
      validateNodeSelectorRequirement(obj(r), allowInvalidValues, path.child('matchExpressions').index(j)),
    ),
    ...arr(term.matchFields).flatMap((r, j) => validateNodeFieldSelectorRequirement(obj(r), path.child('matchFields').index(j))),
  ];
}

/** A required node selector (node affinity, PV node affinity). */
export function validateNodeSelector(sel: Obj, path: Path): FieldError[] {
  const termsPath = path.child('nodeSelectorTerms');
  const terms = arr(sel.nodeSelectorTerms);
  if (terms.length === 0) return [field.required(termsPath, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => validateNodeSelectorTerm(obj(t), false, termsPath.index(i)));
}

function validateWeight(w: unknown, path: Path): FieldError[] {
  const n = typeof w === 'number' ? w : 0;
  return n <= 0 || n > 100 ? [field.invalid(path, n, 'must be in the range 1-100')] : [];
}

function validateLabelKeys(keys: unknown, selector: unknown, path: Path): FieldError[] {
  const list = arr(keys);
  if (list.length === 0) return [];
  if (!isObj(selector)) return [field.forbidden(path, 'must not be specified when labelSelector is not set')];
  return list.flatMap((k, i) => validateLabelName(str(k), path.index(i)));
}

function validatePodAffinityTerm(term: Obj, path: Path): FieldError[] {
  const errs = [
    ...validateLabelSelector(term.labelSelector, path.child('labelSelector')),
    ...validateLabelSelector(term.namespaceSelector, path.child('namespaceSelector')),
  ];
  for (const ns of arr(term.namespaces))
    errs.push(...nameIsDNSLabel(str(ns), false).map((m) => field.invalid(path.child('namespace'), ns, m)));
  errs.push(...validateLabelKeys(term.matchLabelKeys, term.labelSelector, path.child('matchLabelKeys')));
  errs.push(...validateLabelKeys(term.mismatchLabelKeys, term.labelSelector, path.child('mismatchLabelKeys')));
  const mismatch = new Set(arr(term.mismatchLabelKeys));
  arr(term.matchLabelKeys).forEach((k, i) => {
    if (mismatch.has(k))
      errs.push(field.invalid(path.child('matchLabelKeys').index(i), k, 'exists in both matchLabelKeys and mismatchLabelKeys'));
  });
  const topologyKey = str(term.topologyKey);
  if (!topologyKey) errs.push(field.required(path.child('topologyKey'), 'can not be empty'));
  errs.push(...validateLabelName(topologyKey, path.child('topologyKey')));
  return errs;
}

function validatePodAffinity(pa: Obj, path: Path): FieldError[] {
  const req = path.child('requiredDuringSchedulingIgnoredDuringExecution');
  const pref = path.child('preferredDuringSchedulingIgnoredDuringExecution');
  return [
    ...arr(pa.requiredDuringSchedulingIgnoredDuringExecution).flatMap((t, i) => validatePodAffinityTerm(obj(t), req.index(i))),
    ...arr(pa.preferredDuringSchedulingIgnoredDuringExecution).flatMap((t, i) => [
      ...validateWeight(obj(t).weight, pref.index(i).child('weight')),
      ...validatePodAffinityTerm(obj(obj(t).podAffinityTerm), pref.index(i).child('podAffinityTerm')),
    ]),
  ];
}

export function validateAffinity(aff: unknown, path: Path): FieldError[] {
  if (!isObj(aff)) return [];
  const errs: FieldError[] = [];
  if (isObj(aff.nodeAffinity)) {
    const na = aff.nodeAffinity;
    const np = path.child('nodeAffinity');
    if (isObj(na.requiredDuringSchedulingIgnoredDuringExecution))
      errs.push(...validateNodeSelector(na.requiredDuringSchedulingIgnoredDuringExecution, np.child('requiredDuringSchedulingIgnoredDuringExecution')));
    const pp = np.child('preferredDuringSchedulingIgnoredDuringExecution');
    arr(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      errs.push(...validateWeight(obj(t).weight, pp.index(i).child('weight')));
      errs.push(...validateNodeSelectorTerm(obj(obj(t).preference), true, pp.index(i).child('preference')));
    });
  }
  if (isObj(aff.podAffinity)) errs.push(...validatePodAffinity(aff.podAffinity, path.child('podAffinity')));
  if (isObj(aff.podAntiAffinity)) errs.push(...validatePodAffinity(aff.podAntiAffinity, path.child('podAntiAffinity')));
  return errs;
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Taint effects; empty is allowed for tolerations (any effect). */
export function validateTaintEffect(effect: unknown, allowEmpty: boolean, path: Path): FieldError[] {
  const e = str(effect);
  if (!allowEmpty && !e) return [field.required(path)];
  return TAINT_EFFECTS.includes(e) ? [] : [field.notSupported(path, e, TAINT_EFFECTS)];
}

export function validateTolerations(tolerations: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  arr(tolerations).forEach((raw, i) => {
    const t = obj(raw);
    const idx = path.index(i);
    const key = str(t.key);
    const op = str(t.operator);
    if (key) errs.push(...validateLabelName(key, idx.child('key')));
    if (!key && op !== 'Exists')
      errs.push(field.invalid(idx.child('operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (isSet(t.tolerationSeconds) && t.effect !== 'NoExecute')
      errs.push(field.invalid(idx.child('effect'), str(t.effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    if (op === 'Equal' || op === '') {
      const msgs = isValidLabelValue(str(t.value));
      if (msgs.length) errs.push(field.invalid(idx.child('operator'), str(t.value), msgs.join(';')));
    } else if (op === 'Exists') {
      if (str(t.value)) errs.push(field.invalid(idx.child('operator'), t.value, "value must be empty when `operator` is 'Exists'"));
    } else errs.push(field.notSupported(idx.child('operator'), op, ['Equal', 'Exists']));
    if (str(t.effect)) errs.push(...validateTaintEffect(t.effect, true, idx.child('effect')));
  });
  return errs;
}

export function validateTopologySpreadConstraints(list: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const items = arr(list).map(obj);
  items.forEach((c, i) => {
    const p = path.index(i);
    const maxSkew = typeof c.maxSkew === 'number' ? c.maxSkew : 0;
    if (maxSkew <= 0) errs.push(field.invalid(p.child('maxSkew'), maxSkew, 'must be greater than zero'));
    if (!str(c.topologyKey)) errs.push(field.required(p.child('topologyKey'), 'can not be empty'));
    const actions = ['DoNotSchedule', 'ScheduleAnyway'];
    if (!actions.includes(c.whenUnsatisfiable)) errs.push(field.notSupported(p.child('whenUnsatisfiable'), str(c.whenUnsatisfiable), actions));
    if (items.slice(i + 1).some((o) => o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable))
      errs.push(field.duplicate(p.child('{topologyKey, whenUnsatisfiable}'), `{${str(c.topologyKey)}, ${str(c.whenUnsatisfiable)}}`));
    if (isSet(c.minDomains)) {
      if (c.minDomains <= 0) errs.push(field.invalid(p.child('minDomains'), c.minDomains, 'must be greater than zero'));
      if (c.whenUnsatisfiable !== 'DoNotSchedule')
        errs.push(
          field.invalid(p.child('minDomains'), c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${str(c.whenUnsatisfiable)}`),
        );
    }
    for (const k of ['nodeAffinityPolicy', 'nodeTaintsPolicy'])
      if (isSet(c[k]) && c[k] !== 'Honor' && c[k] !== 'Ignore') errs.push(field.notSupported(p.child(k), c[k], ['Honor', 'Ignore']));
    const keys = arr(c.matchLabelKeys);
    if (keys.length) {
      const sel = obj(c.labelSelector);
      const selKeys = new Set([...Object.keys(obj(sel.matchLabels)), ...arr(sel.matchExpressions).map((e) => obj(e).key)]);
      if (!isObj(c.labelSelector)) errs.push(field.forbidden(p.child('matchLabelKeys'), 'must not be specified when labelSelector is not set'));
      keys.forEach((k, j) => {
        errs.push(...validateLabelName(str(k), p.child('matchLabelKeys').index(j)));
        if (selKeys.has(k)) errs.push(field.invalid(p.child('matchLabelKeys').index(j), k, 'exists in both matchLabelKeys and labelSelector'));
      });
    }
    errs.push(...validateLabelSelector(c.labelSelector, p.child('labelSelector')));
  });
  return errs;
}
