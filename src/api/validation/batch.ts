/**
 * batch/v1 Jobs and CronJobs. A Job's selector and pod labels are
 * generated at create time (see defaults' prepareForCreate) unless
 * `manualSelector` is set; validation then checks they line up.
 */
import { field, root, type FieldError, type Path } from '../field-errors.ts';
import { fromLabelSelector } from '../selectors/label.ts';
import { cronScheduleError, isKnownTimeZone } from './cron.ts';
import { goLabelSelector, goStringMap } from './go-format.ts';
import { nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validatePodTemplateSpec } from './pod-spec.ts';
import { deepEqual, immutable, invalidRaw, isObj, isSet, nonNegative, obj, str, type Obj } from './util.ts';

const SPEC = root('spec');
const MAX_INDEXED_PARALLELISM = 100000;

/** validateJobSpec: the checks shared by Jobs and CronJob job templates. */
function validateJobSpecCommon(spec: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished'])
    errs.push(...nonNegative(spec[k], path.child(k)));
  if (isSet(spec.backoffLimitPerIndex)) {
    errs.push(...nonNegative(spec.backoffLimitPerIndex, path.child('backoffLimitPerIndex')));
    if (spec.completionMode !== 'Indexed')
      errs.push(field.forbidden(path.child('backoffLimitPerIndex'), 'requires indexed completion mode'));
  }
  if (isSet(spec.maxFailedIndexes) && !isSet(spec.backoffLimitPerIndex))
    errs.push(field.required(path.child('backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  if (isSet(spec.completionMode)) {
    if (spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed')
      errs.push(field.notSupported(path.child('completionMode'), spec.completionMode, ['NonIndexed', 'Indexed']));
    if (spec.completionMode === 'Indexed') {
      if (!isSet(spec.completions)) errs.push(field.required(path.child('completions'), 'when completion mode is Indexed'));
      if (typeof spec.parallelism === 'number' && spec.parallelism > MAX_INDEXED_PARALLELISM)
        errs.push(
          field.invalid(path.child('parallelism'), spec.parallelism, `must be less than or equal to ${MAX_INDEXED_PARALLELISM} when completion mode is Indexed`),
        );
    }
  }
  if (isSet(spec.podReplacementPolicy)) {
    const allowed = isObj(spec.podFailurePolicy) ? ['Failed'] : ['Failed', 'TerminatingOrFailed'];
    if (!allowed.includes(spec.podReplacementPolicy))
      errs.push(field.notSupported(path.child('podReplacementPolicy'), spec.podReplacementPolicy, allowed));
  }
  const template = obj(spec.template);
  errs.push(...validatePodTemplateSpec(template, path.child('template')));
  const rp = obj(template.spec).restartPolicy;
  if (rp !== 'OnFailure' && rp !== 'Never')
    errs.push(field.notSupported(path.child('template', 'spec', 'restartPolicy'), str(rp), ['OnFailure', 'Never']));
  else if (rp !== 'Never' && isObj(spec.podFailurePolicy))
    errs.push(field.invalid(path.child('template', 'spec', 'restartPolicy'), rp, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

function hasLabel(meta: Obj, path: Path, key: string, want: string): FieldError[] {
  const labels = obj(meta.labels);
  if (!(key in labels)) return [field.required(path.child('labels').key(key), `must be '${want}'`)];
  if (labels[key] !== want) return [invalidRaw(path.child('labels').key(key), goStringMap(labels), `must be '${want}'`)];
  return [];
}

/** The generated selector and pod labels agree with the Job's name and uid. */
function validateGeneratedSelector(job: Obj, prefixedLabels: boolean): FieldError[] {
  const spec = obj(job.spec);
  if (spec.manualSelector === true) return [];
  const meta = obj(job.metadata);
  const uid = str(meta.uid);
  const name = str(meta.name);
  const tmeta = obj(obj(spec.template).metadata);
  const tp = SPEC.child('template', 'metadata');
  const errs: FieldError[] = [];
  if (!isObj(tmeta.labels)) errs.push(field.required(tp.child('labels'), 'must not be nil'));
  errs.push(...hasLabel(tmeta, tp, 'controller-uid', uid), ...hasLabel(tmeta, tp, 'job-name', name));
  const expected: Record<string, string> = { 'controller-uid': uid, 'job-name': name };
  if (prefixedLabels) {
    errs.push(...hasLabel(tmeta, tp, 'batch.kubernetes.io/controller-uid', uid), ...hasLabel(tmeta, tp, 'batch.kubernetes.io/job-name', name));
    expected['batch.kubernetes.io/controller-uid'] = uid;
    expected['batch.kubernetes.io/job-name'] = name;
  }
  try {
    if (!fromLabelSelector(spec.selector).matches(expected))
      errs.push(invalidRaw(SPEC.child('selector'), goLabelSelector(spec.selector), '`selector` not auto-generated'));
  } catch {
    // an unparsable selector is reported by the spec checks
  }
  return errs;
}

function validateJobSpec(spec: Obj): FieldError[] {
  const errs = validateJobSpecCommon(spec, SPEC);
  if (!isSet(spec.selector)) errs.push(field.required(SPEC.child('selector')));
  else errs.push(...validateLabelSelector(spec.selector, SPEC.child('selector')));
  try {
    const labels = obj(obj(obj(spec.template).metadata).labels);
    if (!fromLabelSelector(spec.selector).matches(labels))
      errs.push(invalidRaw(SPEC.child('template', 'metadata', 'labels'), goStringMap(obj(obj(spec.template).metadata).labels), '`selector` does not match template `labels`'));
  } catch {
    // reported by validateLabelSelector
  }
  return errs;
}

export function validateJob(job: Obj): FieldError[] {
  return [
    ...validateObjectMeta(job.metadata, true, nameIsDNSSubdomain),
    ...validateGeneratedSelector(job, true),
    ...validateJobSpec(obj(job.spec)),
  ];
}

export function validateJobUpdate(job: Obj, old: Obj): FieldError[] {
  const n = obj(job.spec);
  const o = obj(old.spec);
  const oldLabels = obj(obj(obj(o.template).metadata).labels);
  const prefixed = 'batch.kubernetes.io/job-name' in oldLabels && 'batch.kubernetes.io/controller-uid' in oldLabels;
  const errs = [
    ...validateObjectMetaUpdate(job.metadata, old.metadata),
    ...validateGeneratedSelector(job, prefixed),
    ...validateJobSpec(n),
  ];
  errs.push(...immutable(n.selector, o.selector, SPEC.child('selector'), goLabelSelector));
  // A suspended Job that never started may change its scheduling directives.
  const mutableScheduling = o.suspend === true && !isSet(obj(old.status).startTime);
  const strip = (t: Obj) => {
    const c = structuredClone(obj(t));
    if (mutableScheduling) {
      const s = obj(c.spec);
      for (const k of ['nodeSelector', 'affinity', 'tolerations', 'schedulingGates']) delete s[k];
      const m = obj(c.metadata);
      delete m.labels;
      delete m.annotations;
    }
    return c;
  };
  if (!deepEqual(strip(n.template), strip(o.template)))
    errs.push(invalidRaw(SPEC.child('template'), JSON.stringify(n.template ?? null), 'field is immutable'));
  const elastic = n.completionMode === 'Indexed' && n.completions === n.parallelism && o.completions === o.parallelism;
  if (!elastic) errs.push(...immutable(n.completions ?? null, o.completions ?? null, SPEC.child('completions')));
  errs.push(...immutable(n.completionMode, o.completionMode, SPEC.child('completionMode')));
  errs.push(...immutable(n.podFailurePolicy, o.podFailurePolicy, SPEC.child('podFailurePolicy'), (v) => JSON.stringify(v ?? null)));
  errs.push(...immutable(n.backoffLimitPerIndex, o.backoffLimitPerIndex, SPEC.child('backoffLimitPerIndex')));
  errs.push(...immutable(n.managedBy, o.managedBy, SPEC.child('managedBy')));
  return errs;
}

function validateCronJobSpec(spec: Obj, oldSpec?: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = str(spec.schedule);
  const sp = SPEC.child('schedule');
  if (!schedule) errs.push(field.required(sp));
  else {
    const problem = cronScheduleError(schedule);
    if (problem) errs.push(field.invalid(sp, schedule, problem));
    const allowTZ = str(oldSpec?.schedule).includes('TZ');
    if (allowTZ && schedule.includes('TZ') && isSet(spec.timeZone))
      errs.push(field.invalid(sp, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    else if (!allowTZ && schedule.includes('TZ'))
      errs.push(field.invalid(sp, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  errs.push(...nonNegative(spec.startingDeadlineSeconds, SPEC.child('startingDeadlineSeconds')));
  if ((!oldSpec || oldSpec.timeZone !== spec.timeZone) && isSet(spec.timeZone)) {
    const tz = str(spec.timeZone);
    const tp = SPEC.child('timeZone');
    if (!tz) errs.push(field.invalid(tp, tz, 'timeZone must be nil or non-empty string'));
    else if (tz.toLowerCase() === 'local')
      errs.push(field.invalid(tp, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
    else if (!isKnownTimeZone(tz)) errs.push(field.invalid(tp, tz, `unknown time zone ${tz}`));
  }
  const cp = str(spec.concurrencyPolicy);
  if (!cp) errs.push(field.required(SPEC.child('concurrencyPolicy')));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp))
    errs.push(field.notSupported(SPEC.child('concurrencyPolicy'), cp, ['Allow', 'Forbid', 'Replace']));
  const jt = obj(spec.jobTemplate);
  const jp = SPEC.child('jobTemplate');
  const jobSpec = obj(jt.spec);
  errs.push(...validateJobSpecCommon(jobSpec, jp.child('spec')));
  if (isSet(jobSpec.selector))
    errs.push(invalidRaw(jp.child('spec', 'selector'), goLabelSelector(jobSpec.selector), '`selector` will be auto-generated'));
  if (jobSpec.manualSelector === true) errs.push(field.notSupported(jp.child('spec', 'manualSelector'), true, ['nil', 'false']));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, SPEC.child('successfulJobsHistoryLimit')));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, SPEC.child('failedJobsHistoryLimit')));
  return errs;
}

export function validateCronJob(cj: Obj): FieldError[] {
  const errs = [...validateObjectMeta(cj.metadata, true, nameIsDNSSubdomain), ...validateCronJobSpec(obj(cj.spec))];
  const name = str(obj(cj.metadata).name);
  // Job names get an 11-character suffix and must stay within 63.
  if (name.length > 52) errs.push(field.invalid(root('metadata', 'name'), name, 'must be no more than 52 characters'));
  return errs;
}

export function validateCronJobUpdate(cj: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(cj.metadata, old.metadata), ...validateCronJobSpec(obj(cj.spec), obj(old.spec))];
}
