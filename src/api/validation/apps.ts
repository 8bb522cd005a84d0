/**
 * apps/v1: Deployment, ReplicaSet, DaemonSet, StatefulSet and
 * ControllerRevision, as upstream apps validation and the apps/v1
 * strategies (immutable selectors) check them.
 */
import { field, root, type FieldError, type Path } from '../field-errors.ts';
import { fromLabelSelector, type Selector } from '../selectors/label.ts';
import { goIntOrString, goLabelSelector, goStringMap } from './go-format.ts';
import { nameIsDNSLabel, nameIsDNSSubdomain, validateLabelSelector, validateLabels, validateAnnotations, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { isValidPercent } from './names.ts';
import { validatePodSpecificAnnotations, validatePodTemplateSpec } from './pod-spec.ts';
import { deepEqual, immutable, invalidRaw, isObj, isSet, nonNegative, NEGATIVE, notSupportedRaw, obj, str, type Obj } from './util.ts';

const SPEC = root('spec');

/** Compiles a selector; undefined when it cannot be (reported elsewhere). */
function compile(sel: unknown): Selector | undefined {
  try {
    return fromLabelSelector(isObj(sel) ? (sel as any) : undefined);
  } catch {
    return undefined;
  }
}

function selectorMismatch(sel: Selector, template: Obj, path: Path): FieldError[] {
  const labels = obj(template.metadata).labels;
  if (sel.empty || sel.matches(obj(labels) as Record<string, string>)) return [];
  return [invalidRaw(path, goStringMap(labels), '`selector` does not match template `labels`')];
}

/** A required, non-empty selector that matches the template (Deployment, ReplicaSet, StatefulSet). */
function validateSelector(spec: Obj, kind: string, path: Path): { errs: FieldError[]; sel?: Selector } {
  const errs: FieldError[] = [];
  const sp = path.child('selector');
  if (!isSet(spec.selector)) errs.push(field.required(sp));
  else {
    errs.push(...validateLabelSelector(spec.selector, sp));
    const s = obj(spec.selector);
    if (Object.keys(obj(s.matchLabels)).length + (Array.isArray(s.matchExpressions) ? s.matchExpressions.length : 0) === 0)
      errs.push(invalidRaw(sp, goLabelSelector(spec.selector), `empty selector is invalid for ${kind}`));
  }
  const sel = compile(spec.selector);
  if (!sel) errs.push(invalidRaw(sp, goLabelSelector(spec.selector), kind === 'statefulset' ? '' : 'invalid label selector'));
  return { errs, sel };
}

function restartAndDeadline(template: Obj, path: Path, kind: string): FieldError[] {
  const spec = obj(template.spec);
  const errs: FieldError[] = [];
  if (spec.restartPolicy !== 'Always')
    errs.push(field.notSupported(path.child('spec', 'restartPolicy'), str(spec.restartPolicy), ['Always']));
  if (isSet(spec.activeDeadlineSeconds))
    errs.push(field.forbidden(path.child('spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kind} is not Supported`));
  return errs;
}

/** ValidatePodTemplateSpecForReplicaSet. */
function validateTemplateForReplicaSet(spec: Obj, sel: Selector, path: Path): FieldError[] {
  const template = obj(spec.template);
  return [
    ...selectorMismatch(sel, template, path.child('metadata', 'labels')),
    ...validatePodTemplateSpec(template, path),
    ...restartAndDeadline(template, path, 'ReplicaSet'),
  ];
}

function percentValue(v: unknown): number | undefined {
  if (typeof v !== 'string' || isValidPercent(v).length) return undefined;
  return Number(v.slice(0, -1));
}

/** getIntOrPercentValue: a percentage's number, an int, or 0 for a bad string. */
function intOrPercentValue(v: unknown): number {
  const p = percentValue(v);
  if (p !== undefined) return p;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return 0;
}

function validatePositiveIntOrPercent(v: unknown, path: Path): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalidRaw(path, goIntOrString(v), m));
  if (typeof v === 'number' && v < 0) return [field.invalid(path, v, NEGATIVE)];
  return [];
}

function notMoreThan100(v: unknown, path: Path): FieldError[] {
  const p = percentValue(v);
  return p !== undefined && p > 100 ? [invalidRaw(path, goIntOrString(v), 'must not be greater than 100%')] : [];
}

function validateDeploymentStrategy(s: Obj, path: Path): FieldError[] {
  switch (s.type) {
    case 'Recreate':
      return isSet(s.rollingUpdate)
        ? [field.forbidden(path.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")]
        : [];
    case 'RollingUpdate': {
      if (!isObj(s.rollingUpdate)) return [field.required(path.child('rollingUpdate'), 'this should be defaulted and never be nil')];
      const ru = s.rollingUpdate;
      const rp = path.child('rollingUpdate');
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')),
        ...validatePositiveIntOrPercent(ru.maxSurge, rp.child('maxSurge')),
      ];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0)
        errs.push(invalidRaw(rp.child('maxUnavailable'), goIntOrString(ru.maxUnavailable ?? 0), 'may not be 0 when `maxSurge` is 0'));
      errs.push(...notMoreThan100(ru.maxUnavailable, rp.child('maxUnavailable')));
      return errs;
    }
    default:
      return [notSupportedRaw(path, renderStrategy('apps.DeploymentStrategy', s), ['Recreate', 'RollingUpdate'])];
  }
}

function renderStrategy(type: string, s: Obj): string {
  return `${type}{Type:${JSON.stringify(str(s.type))}, RollingUpdate:${isSet(s.rollingUpdate) ? JSON.stringify(s.rollingUpdate) : 'nil'}}`;
}

function validateDeploymentSpec(spec: Obj): FieldError[] {
  const errs = [...nonNegative(spec.replicas, SPEC.child('replicas'))];
  const { errs: selErrs, sel } = validateSelector(spec, 'deployment', SPEC);
  errs.push(...selErrs);
  if (sel) errs.push(...validateTemplateForReplicaSet(spec, sel, SPEC.child('template')));
  errs.push(...validateDeploymentStrategy(obj(spec.strategy), SPEC.child('strategy')));
  errs.push(...nonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds')));
  errs.push(...nonNegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit')));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    errs.push(...nonNegative(spec.progressDeadlineSeconds, SPEC.child('progressDeadlineSeconds')));
    if (spec.progressDeadlineSeconds <= (typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0))
      errs.push(field.invalid(SPEC.child('progressDeadlineSeconds'), spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

export function validateDeployment(d: Obj): FieldError[] {
  return [...validateObjectMeta(d.metadata, true, nameIsDNSSubdomain), ...validateDeploymentSpec(obj(d.spec))];
}

/** apps/v1 selectors are immutable once set. */
function selectorImmutable(n: Obj, o: Obj): FieldError[] {
  return immutable(obj(n.spec).selector, obj(o.spec).selector, SPEC.child('selector'), goLabelSelector);
}

export function validateDeploymentUpdate(d: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(d.metadata, old.metadata), ...validateDeploymentSpec(obj(d.spec)), ...selectorImmutable(d, old)];
}

function validateReplicaSetSpec(spec: Obj): FieldError[] {
  const errs = [...nonNegative(spec.replicas, SPEC.child('replicas')), ...nonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds'))];
  // Upstream reuses the Deployment wording for an empty ReplicaSet selector.
  const { errs: selErrs, sel } = validateSelector(spec, 'deployment', SPEC);
  errs.push(...selErrs);
  if (sel) errs.push(...validateTemplateForReplicaSet(spec, sel, SPEC.child('template')));
  return errs;
}

export function validateReplicaSet(rs: Obj): FieldError[] {
  return [...validateObjectMeta(rs.metadata, true, nameIsDNSSubdomain), ...validateReplicaSetSpec(obj(rs.spec))];
}

export function validateReplicaSetUpdate(rs: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(rs.metadata, old.metadata), ...validateReplicaSetSpec(obj(rs.spec)), ...selectorImmutable(rs, old)];
}

function validateDaemonSetStrategy(s: Obj, path: Path): FieldError[] {
  switch (s.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      if (!isObj(s.rollingUpdate)) return [field.required(path.child('rollingUpdate'))];
      const ru = s.rollingUpdate;
      const rp = path.child('rollingUpdate');
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')),
        ...validatePositiveIntOrPercent(ru.maxSurge, rp.child('maxSurge')),
        ...notMoreThan100(ru.maxUnavailable, rp.child('maxUnavailable')),
        ...notMoreThan100(ru.maxSurge, rp.child('maxSurge')),
      ];
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge)
        errs.push(invalidRaw(rp.child('maxSurge'), goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) errs.push(field.required(rp.child('maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      return errs;
    }
    default:
      return [notSupportedRaw(path, renderStrategy('apps.DaemonSetUpdateStrategy', s), ['RollingUpdate', 'OnDelete'])];
  }
}

function validateDaemonSetSpec(spec: Obj): FieldError[] {
  const errs = validateLabelSelector(spec.selector, SPEC.child('selector'));
  const template = obj(spec.template);
  const sel = compile(spec.selector);
  if (sel && !sel.matches(obj(obj(template.metadata).labels) as Record<string, string>))
    errs.push(invalidRaw(SPEC.child('template', 'metadata', 'labels'), goStringMap(obj(template.metadata).labels), '`selector` does not match template `labels`'));
  const s = obj(spec.selector);
  if (isSet(spec.selector) && Object.keys(obj(s.matchLabels)).length + (Array.isArray(s.matchExpressions) ? s.matchExpressions.length : 0) === 0)
    errs.push(invalidRaw(SPEC.child('selector'), goLabelSelector(spec.selector), 'empty selector is invalid for daemonset'));
  errs.push(...validatePodTemplateSpec(template, SPEC.child('template')));
  errs.push(...restartAndDeadline(template, SPEC.child('template'), 'DaemonSet'));
  errs.push(...nonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds')));
  errs.push(...nonNegative(spec.templateGeneration, SPEC.child('templateGeneration')));
  errs.push(...validateDaemonSetStrategy(obj(spec.updateStrategy), SPEC.child('updateStrategy')));
  errs.push(...nonNegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit')));
  return errs;
}

export function validateDaemonSet(ds: Obj): FieldError[] {
  return [...validateObjectMeta(ds.metadata, true, nameIsDNSSubdomain), ...validateDaemonSetSpec(obj(ds.spec))];
}

export function validateDaemonSetUpdate(ds: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(ds.metadata, old.metadata), ...validateDaemonSetSpec(obj(ds.spec)), ...selectorImmutable(ds, old)];
}

function validateStatefulSetSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const pmp = str(spec.podManagementPolicy);
  if (!pmp) errs.push(field.required(SPEC.child('podManagementPolicy')));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel')
    errs.push(field.invalid(SPEC.child('podManagementPolicy'), pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = obj(spec.updateStrategy);
  const usp = SPEC.child('updateStrategy');
  if (!str(us.type)) errs.push(field.required(usp));
  else if (us.type === 'OnDelete') {
    if (isSet(us.rollingUpdate))
      errs.push(invalidRaw(usp.child('rollingUpdate'), JSON.stringify(us.rollingUpdate), "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (us.type === 'RollingUpdate') {
    if (isObj(us.rollingUpdate)) {
      const rp = usp.child('rollingUpdate');
      errs.push(...nonNegative(us.rollingUpdate.partition, rp.child('partition')));
      if (isSet(us.rollingUpdate.maxUnavailable)) {
        const mu = us.rollingUpdate.maxUnavailable;
        errs.push(...validatePositiveIntOrPercent(mu, rp.child('maxUnavailable')));
        if (intOrPercentValue(mu) === 0) errs.push(invalidRaw(rp.child('maxUnavailable'), goIntOrString(mu), 'cannot be 0'));
        errs.push(...notMoreThan100(mu, rp.child('maxUnavailable')));
      }
    }
  } else errs.push(invalidRaw(usp, JSON.stringify(us), "must be 'RollingUpdate' or 'OnDelete'"));
  const ret = spec.persistentVolumeClaimRetentionPolicy;
  if (isObj(ret))
    for (const k of ['whenDeleted', 'whenScaled'])
      if (ret[k] !== 'Retain' && ret[k] !== 'Delete')
        errs.push(field.notSupported(SPEC.child('persistentVolumeClaimRetentionPolicy', k), str(ret[k]), ['Retain', 'Delete']));
  errs.push(...nonNegative(spec.replicas, SPEC.child('replicas')));
  errs.push(...nonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds')));
  if (isObj(spec.ordinals)) errs.push(...nonNegative(spec.ordinals.start, SPEC.child('ordinals.start')));
  const { errs: selErrs, sel } = validateSelector(spec, 'statefulset', SPEC);
  errs.push(...selErrs);
  const template = obj(spec.template);
  const tp = SPEC.child('template');
  if (sel) {
    // Upstream checks only the template's metadata here, not its pod spec.
    const meta = obj(template.metadata);
    errs.push(...selectorMismatch(sel, template, tp.child('metadata', 'labels')));
    errs.push(...validateLabels(meta.labels, tp.child('labels')));
    errs.push(...validateAnnotations(meta.annotations, tp.child('annotations')));
    errs.push(...validatePodSpecificAnnotations(meta.annotations, obj(template.spec), tp.child('annotations')));
  }
  errs.push(...restartAndDeadline(template, tp, 'StatefulSet'));
  return errs;
}

export function validateStatefulSet(sts: Obj): FieldError[] {
  return [...validateObjectMeta(sts.metadata, true, nameIsDNSLabel), ...validateStatefulSetSpec(obj(sts.spec))];
}

const STS_MUTABLE = ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy'];

export function validateStatefulSetUpdate(sts: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(sts.metadata, old.metadata), ...validateStatefulSetSpec(obj(sts.spec))];
  const n = { ...obj(sts.spec) };
  const o = obj(old.spec);
  for (const k of STS_MUTABLE) n[k] = o[k];
  if (!deepEqual(n, o))
    errs.push(
      field.forbidden(
        SPEC,
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  return errs;
}

export function validateControllerRevision(cr: Obj): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, true, nameIsDNSSubdomain);
  if (!isSet(cr.data)) errs.push(field.required(root('data'), 'data is mandatory'));
  errs.push(...nonNegative(cr.revision, root('revision')));
  return errs;
}

export function validateControllerRevisionUpdate(cr: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(cr.metadata, old.metadata),
    ...validateControllerRevision(cr),
    ...immutable(cr.data, old.data, root('data'), (v) => JSON.stringify(v)),
  ];
}

/** Status subresource checks shared by the apps kinds: counters are non-negative. */
export function validateAppsStatus(status: unknown, counters: string[]): FieldError[] {
  const s = obj(status);
  return counters.flatMap((k) => nonNegative(s[k], root('status', k)));
}
