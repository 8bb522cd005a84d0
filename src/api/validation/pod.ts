/**
 * Pods (create, update, status) and Bindings. A running pod's spec is
 * immutable except container images, a shrinking activeDeadlineSeconds,
 * added tolerations and removed scheduling gates.
 */
import { field, root, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { inclusiveRangeError, isQualifiedName, isValidIP } from './names.ts';
import { validatePodSpec, validatePodSpecificAnnotations } from './pod-spec.ts';
import { specDiff } from './pvc-spec.ts';
import { validateTolerations } from './scheduling.ts';
import { arr, deepEqual, immutable, isSet, obj, str, type Obj } from './util.ts';

const SPEC = root('spec');
const MAX_INT32 = 2147483647;

const UPDATABLE = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function imageWhitespace(containers: unknown, path: Path): FieldError[] {
  return arr(containers).flatMap((c, i) => {
    const image = str(obj(c).image);
    return image !== image.trim() ? [field.invalid(path.index(i).child('image'), image, 'must not have leading or trailing whitespace')] : [];
  });
}

function validatePodMetadataAndSpec(pod: Obj): FieldError[] {
  const meta = obj(pod.metadata);
  const spec = obj(pod.spec);
  const errs = [
    ...validateObjectMeta(meta, true, nameIsDNSSubdomain),
    ...validatePodSpecificAnnotations(meta.annotations, spec, root('metadata', 'annotations')),
    ...validatePodSpec(spec, SPEC, { podName: str(meta.name), isPod: true }),
  ];
  if (!str(spec.serviceAccountName))
    arr(spec.volumes).forEach((v, vi) =>
      arr(obj(obj(v).projected).sources).forEach((s, si) => {
        if (isSet(obj(s).serviceAccountToken))
          errs.push(
            field.forbidden(
              SPEC.child('volumes').index(vi).child('projected', 'sources').index(si).child('serviceAccountToken'),
              'must not be specified when serviceAccountName is not set',
            ),
          );
      }),
    );
  errs.push(...imageWhitespace(spec.containers, SPEC.child('containers')));
  errs.push(...imageWhitespace(spec.initContainers, SPEC.child('initContainers')));
  return errs;
}

export function validatePod(pod: Obj): FieldError[] {
  const spec = obj(pod.spec);
  const errs = validatePodMetadataAndSpec(pod);
  if (arr(spec.ephemeralContainers).length > 0) errs.push(field.forbidden(SPEC.child('ephemeralContainers'), 'cannot be set on create'));
  if (str(spec.nodeName) && arr(spec.schedulingGates).length > 0)
    errs.push(field.forbidden(SPEC.child('nodeName'), 'cannot be set until all schedulingGates have been cleared'));
  return errs;
}

function containerUpdates(next: unknown, prev: unknown, path: Path): { errs: FieldError[]; stop: boolean } {
  if (arr(next).length !== arr(prev).length)
    return { errs: [field.forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs = arr(next).flatMap((c, i) => {
    const image = str(obj(c).image);
    const e: FieldError[] = [];
    if (!image) e.push(field.required(path.index(i).child('image')));
    if (image !== image.trim()) e.push(field.invalid(path.index(i).child('image'), image, 'must not have leading or trailing whitespace'));
    return e;
  });
  return { errs, stop: false };
}

function onlyAddedTolerations(next: unknown, prev: unknown, path: Path): FieldError[] {
  for (const o of arr(prev)) {
    const found = arr(next).some((n) => deepEqual({ ...obj(o), tolerationSeconds: obj(n).tolerationSeconds }, n));
    if (!found) return [field.forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(next, path);
}

export function validatePodUpdate(pod: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pod.metadata, old.metadata), ...validatePodMetadataAndSpec(pod)];
  const mirror = 'kubernetes.io/config.mirror';
  const na = obj(obj(pod.metadata).annotations);
  const oa = obj(obj(old.metadata).annotations);
  if (mirror in oa && na[mirror] !== oa[mirror])
    errs.push(field.forbidden(root('metadata', 'annotations').key(mirror), 'may not remove or update mirror pod annotation'));
  if (mirror in na && !(mirror in oa))
    errs.push(field.forbidden(root('metadata', 'annotations').key(mirror), 'may not add mirror pod annotation'));
  const n = obj(pod.spec);
  const o = obj(old.spec);
  for (const k of ['containers', 'initContainers']) {
    const r = containerUpdates(n[k], o[k], SPEC.child(k));
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const ads = SPEC.child('activeDeadlineSeconds');
  if (isSet(n.activeDeadlineSeconds)) {
    const v = n.activeDeadlineSeconds;
    if (v < 0 || v > MAX_INT32) return [...errs, field.invalid(ads, v, inclusiveRangeError(0, MAX_INT32))];
    if (isSet(o.activeDeadlineSeconds) && o.activeDeadlineSeconds < v)
      return [...errs, field.invalid(ads, v, 'must be less than or equal to previous value')];
  } else if (isSet(o.activeDeadlineSeconds)) {
    errs.push(field.invalid(ads, null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...onlyAddedTolerations(n.tolerations, o.tolerations, SPEC.child('tolerations')));
  const oldGates = new Set(arr(o.schedulingGates).map((g) => str(obj(g).name)));
  arr(n.schedulingGates).forEach((g, i) => {
    const name = str(obj(g).name);
    if (!oldGates.has(name))
      errs.push(field.forbidden(SPEC.child('schedulingGates').index(i).child('name'), `only deletion is allowed, but found new scheduling gate '${name}'`));
  });
  if (deepEqual(n, o)) return errs;
  const munged = structuredClone(n);
  for (const k of ['containers', 'initContainers'])
    munged[k] = arr(munged[k]).map((c: Obj, i: number) => ({ ...c, image: obj(arr(o[k])[i]).image }));
  munged.activeDeadlineSeconds = o.activeDeadlineSeconds;
  munged.schedulingGates = o.schedulingGates;
  munged.tolerations = o.tolerations;
  if (typeof o.terminationGracePeriodSeconds === 'number' && o.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1)
    munged.terminationGracePeriodSeconds = o.terminationGracePeriodSeconds;
  if (!deepEqual(munged, o))
    errs.push(field.forbidden(SPEC, `pod updates may not change fields other than ${UPDATABLE.join(',')}\n${specDiff(o, munged)}`));
  return errs;
}

/** ValidatePodStatusUpdate: the status subresource. */
export function validatePodStatusUpdate(pod: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  const status = obj(pod.status);
  const system = new Set(['PodScheduled', 'Ready', 'Initialized']);
  arr(status.conditions).forEach((c, i) => {
    const type = str(obj(c).type);
    if (!system.has(type))
      errs.push(...isQualifiedName(type).map((m) => field.invalid(root('metadata', 'conditions').index(i).child('Type'), type, m)));
  });
  if (str(obj(pod.spec).nodeName) !== str(obj(old.spec).nodeName))
    errs.push(field.forbidden(root('status', 'nodeName'), 'may not be changed directly'));
  const nominated = str(status.nominatedNodeName);
  if (nominated && nominated !== str(obj(old.status).nominatedNodeName))
    errs.push(...nameIsDNSSubdomain(nominated, false).map((m) => field.invalid(root('status', 'nominatedNodeName'), nominated, m)));
  errs.push(...immutable(str(status.qosClass), str(obj(old.status).qosClass), root('status', 'qosClass')));
  for (const k of ['podIPs', 'hostIPs']) {
    const ips = arr(status[k]).map((x) => str(obj(x).ip));
    ips.forEach((ip, i) => errs.push(...isValidIP(ip).map((m) => field.invalid(root('status', k).index(i), ip, m))));
    const seen = new Set<string>();
    ips.forEach((ip, i) => {
      if (seen.has(ip)) errs.push(field.duplicate(root('status', k).index(i), { ip }));
      seen.add(ip);
    });
  }
  const hostIPs = arr(status.hostIPs);
  if (hostIPs.length && str(status.hostIP) !== str(obj(hostIPs[0]).ip))
    errs.push(field.invalid(root('status', 'hostIPs').index(0).child('ip'), str(obj(hostIPs[0]).ip), 'must be equal to `hostIP`'));
  return errs;
}

/** A Binding (pods/binding): the target must be a named Node. */
export function validateBinding(binding: Obj): FieldError[] {
  const target = obj(binding.target);
  const errs: FieldError[] = [];
  if (str(target.kind) && target.kind !== 'Node')
    errs.push(field.notSupported(root('target', 'kind'), target.kind, ['Node', '<empty>']));
  if (!str(target.name)) errs.push(field.required(root('target', 'name')));
  return errs;
}
