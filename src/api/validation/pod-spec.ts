/**
 * Pod specs (ValidatePodSpec) and pod templates (ValidatePodTemplateSpec),
 * shared by Pods and every workload kind.
 */
import { field, type FieldError, type Path } from '../field-errors.ts';
import { checkHostPortConflicts, validateContainerCommon, validateSeccompProfile, type ContainerContext } from './containers.ts';
import { validateAnnotations, validateLabels, nameIsDNSSubdomain } from './meta.ts';
import { inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidID, isValidIP } from './names.ts';
import { validateContainerProbe, validateLifecycle } from './probes.ts';
import { validateResourceRequirements } from './resources.ts';
import { validateAffinity, validateTolerations, validateTopologySpreadConstraints } from './scheduling.ts';
import { arr, invalidRaw, isObj, isSet, obj, str, type Obj } from './util.ts';
import { validateVolumes } from './volumes.ts';

/** How the spec is embedded: a Pod's own spec is checked a little more strictly than a template. */
export interface PodSpecOptions {
  /** The pod's name, for generic ephemeral volume claim names (Pods only). */
  podName?: string;
  /** The spec belongs to a Pod, not a template. */
  isPod?: boolean;
}

const MAX_INT32 = 2147483647;

function validateContainers(spec: Obj, ctx: ContainerContext, grace: number | undefined, path: Path): FieldError[] {
  const containers = arr(spec.containers).map(obj);
  if (containers.length === 0) return [field.required(path)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, ctx, p));
    if (names.has(str(c.name))) errs.push(field.duplicate(p.child('name'), str(c.name)));
    else names.add(str(c.name));
    if (isSet(c.lifecycle)) errs.push(...validateLifecycle(c.lifecycle, grace, p.child('lifecycle')));
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const)
      errs.push(...validateContainerProbe(kind, c[kind], grace, p.child(kind)));
    if (isSet(c.restartPolicy)) errs.push(field.forbidden(p.child('restartPolicy'), 'may not be set for non-init containers'));
  });
  return [...errs, ...checkHostPortConflicts(containers, path)];
}

function validateInitContainers(spec: Obj, ctx: ContainerContext, grace: number | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(arr(spec.containers).map((c) => str(obj(c).name)));
  arr(spec.initContainers).forEach((raw, i) => {
    const c = obj(raw);
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, ctx, p));
    let restartAlways = false;
    if (isSet(c.restartPolicy)) {
      if (c.restartPolicy !== 'Always') errs.push(field.notSupported(p.child('restartPolicy'), c.restartPolicy, ['Always']));
      restartAlways = c.restartPolicy === 'Always';
    }
    const name = str(c.name);
    if (names.has(name)) errs.push(field.duplicate(p.child('name'), name));
    else if (name) names.add(name);
    errs.push(...checkHostPortConflicts([c], path));
    if (restartAlways) {
      if (isSet(c.lifecycle)) errs.push(...validateLifecycle(c.lifecycle, grace, p.child('lifecycle')));
      for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const)
        errs.push(...validateContainerProbe(kind, c[kind], grace, p.child(kind)));
    } else {
      for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'])
        if (isSet(c[k])) errs.push(field.forbidden(p.child(k), 'may not be set for init containers without restartPolicy=Always'));
    }
  });
  return errs;
}

function validateEphemeralContainers(spec: Obj, ctx: ContainerContext, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const others = new Set([...arr(spec.containers), ...arr(spec.initContainers)].map((c) => str(obj(c).name)));
  const all = new Set(others);
  const disallowed = ['ports', 'resources', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resizePolicy', 'restartPolicy'];
  arr(spec.ephemeralContainers).forEach((raw, i) => {
    const c = obj(raw);
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, ctx, p));
    const name = str(c.name);
    if (all.has(name)) errs.push(field.duplicate(p.child('name'), name));
    else all.add(name);
    if (str(c.targetContainerName) && !others.has(c.targetContainerName))
      errs.push(field.notFound(p.child('targetContainerName'), c.targetContainerName));
    for (const k of disallowed) {
      const v = c[k];
      if (isSet(v) && !(isObj(v) && Object.keys(v).length === 0) && !(Array.isArray(v) && v.length === 0))
        errs.push(field.forbidden(p.child(k), 'cannot be set for an Ephemeral Container'));
    }
    arr(c.volumeMounts).forEach((vm, j) => {
      for (const k of ['subPath', 'subPathExpr'])
        if (str(obj(vm)[k])) errs.push(field.forbidden(p.child('volumeMounts').index(j).child(k), 'cannot be set for an Ephemeral Container'));
    });
  });
  return errs;
}

const SYSCTL_RE = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;

function sysctlNamespace(name: string): 'net' | 'ipc' | '' {
  const n = name.replaceAll('/', '.');
  if (n.startsWith('net.')) return 'net';
  if (n.startsWith('kernel.shm') || n.startsWith('kernel.msg') || n === 'kernel.sem' || n.startsWith('fs.mqueue.')) return 'ipc';
  return '';
}

function validatePodSecurityContext(spec: Obj, path: Path): FieldError[] {
  if (!isObj(spec.securityContext)) return [];
  const sc = spec.securityContext;
  const errs: FieldError[] = [];
  for (const k of ['fsGroup', 'runAsUser', 'runAsGroup'])
    if (typeof sc[k] === 'number') errs.push(...isValidID(sc[k]).map((m) => field.invalid(path.child(k), sc[k], m)));
  arr(sc.supplementalGroups).forEach((g, i) => {
    if (typeof g === 'number') errs.push(...isValidID(g).map((m) => field.invalid(path.child('supplementalGroups').index(i), g, m)));
  });
  if (spec.shareProcessNamespace === true && spec.hostPID === true)
    errs.push(field.invalid(path.child('shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  const seen = new Set<string>();
  arr(sc.sysctls).forEach((raw, i) => {
    const name = str(obj(raw).name);
    const np = path.child('sysctls').index(i).child('name');
    if (!name) errs.push(field.required(np));
    else if (name.length > 253 || !SYSCTL_RE.test(name))
      errs.push(field.invalid(np, name, `must have at most 253 characters and match regex ${SYSCTL_RE.source}`));
    else if (seen.has(name)) errs.push(field.duplicate(np, name));
    const ns = sysctlNamespace(name);
    if (spec.hostNetwork === true && ns === 'net') errs.push(field.invalid(np, name, "may not be specified when 'hostNetwork' is true"));
    else if (spec.hostIPC === true && ns === 'ipc') errs.push(field.invalid(np, name, "may not be specified when 'hostIPC' is true"));
    seen.add(name);
  });
  if (isSet(sc.fsGroupChangePolicy) && sc.fsGroupChangePolicy !== 'Always' && sc.fsGroupChangePolicy !== 'OnRootMismatch')
    errs.push(field.notSupported(path.child('fsGroupChangePolicy'), sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  errs.push(...validateSeccompProfile(sc.seccompProfile, path.child('seccompProfile')));
  if (isSet(sc.supplementalGroupsPolicy) && sc.supplementalGroupsPolicy !== 'Merge' && sc.supplementalGroupsPolicy !== 'Strict')
    errs.push(field.notSupported(path.child('supplementalGroupsPolicy'), sc.supplementalGroupsPolicy, ['Merge', 'Strict']));
  return errs;
}

function validateDNSConfig(spec: Obj, path: Path): FieldError[] {
  const cfg = spec.dnsConfig;
  if (spec.dnsPolicy === 'None') {
    if (!isObj(cfg)) return [field.required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (arr(cfg.nameservers).length === 0)
      return [field.required(path.child('nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!isObj(cfg)) return [];
  const errs: FieldError[] = [];
  const ns = arr(cfg.nameservers);
  if (ns.length > 3) errs.push(invalidRaw(path.child('nameservers'), JSON.stringify(ns), 'must not have more than 3 nameservers'));
  ns.forEach((ip, i) => errs.push(...isValidIP(str(ip)).map((m) => field.invalid(path.child('nameservers').index(i), ip, m))));
  const searches = arr(cfg.searches).map(str);
  if (searches.length > 32) errs.push(invalidRaw(path.child('searches'), JSON.stringify(searches), 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048)
    errs.push(invalidRaw(path.child('searches'), JSON.stringify(searches), 'must not have more than 2048 characters (including spaces) in the search list'));
  searches.forEach((s, i) => {
    const t = s.endsWith('.') ? s.slice(0, -1) : s;
    errs.push(...isDNS1123Subdomain(t).map((m) => field.invalid(path.child('searches').index(i), t, m)));
  });
  arr(cfg.options).forEach((o, i) => {
    if (!str(obj(o).name)) errs.push(field.required(path.child('options').index(i), 'must not be empty'));
  });
  return errs;
}

function checkName(value: unknown, path: Path, fn: (s: string) => string[]): FieldError[] {
  const s = str(value);
  return s ? fn(s).map((m) => field.invalid(path, s, m)) : [];
}

/** ValidatePodSpec. */
export function validatePodSpec(specIn: unknown, path: Path, opts: PodSpecOptions = {}): FieldError[] {
  const spec = obj(specIn);
  const errs: FieldError[] = [];
  if (!isSet(spec.terminationGracePeriodSeconds)) errs.push(field.required(path.child('terminationGracePeriodSeconds')));
  const grace = typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : undefined;
  const hostUsers = obj(spec.securityContext).hostUsers !== false;
  const vols = validateVolumes(spec.volumes, path.child('volumes'), opts.podName);
  errs.push(...vols.errs);
  const podClaims = new Set(arr(spec.resourceClaims).map((c) => str(obj(c).name)).filter(Boolean));
  arr(spec.resourceClaims).forEach((raw, i) => {
    const c = obj(raw);
    const p = path.child('resourceClaims').index(i);
    if (!str(c.name)) errs.push(field.required(p.child('name')));
    else errs.push(...isDNS1123Label(c.name).map((m) => field.invalid(p.child('name'), c.name, m)));
    if (!isSet(c.resourceClaimName) && !isSet(c.resourceClaimTemplateName))
      errs.push(field.invalid(p, c, 'must specify one of: `resourceClaimName`, `resourceClaimTemplateName`'));
  });
  const ctx: ContainerContext = { volumes: vols.names, podClaims, hostUsers };
  errs.push(...validateContainers(spec, ctx, grace, path.child('containers')));
  errs.push(...validateInitContainers(spec, ctx, grace, path.child('initContainers')));
  errs.push(...validateEphemeralContainers(spec, ctx, path.child('ephemeralContainers')));
  if (spec.hostNetwork === true)
    arr(spec.containers).forEach((c, i) =>
      arr(obj(c).ports).forEach((raw, j) => {
        const hp = obj(raw).hostPort ?? 0;
        if ((opts.isPod || hp !== 0) && hp !== obj(raw).containerPort)
          errs.push(field.invalid(path.child('containers').index(i).child('ports').index(j).child('hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
      }),
    );
  errs.push(...oneOf(spec.restartPolicy, ['Always', 'OnFailure', 'Never'], path.child('restartPolicy')));
  errs.push(...oneOf(spec.dnsPolicy, ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'], path.child('dnsPolicy')));
  errs.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  errs.push(...validatePodSecurityContext(spec, path.child('securityContext')));
  arr(spec.imagePullSecrets).forEach((s, i) => {
    if (Object.keys(obj(s)).some((k) => k !== 'name'))
      errs.push(invalidRaw(path.child('imagePullSecrets').index(i), JSON.stringify(s), 'only name may be set'));
  });
  errs.push(...validateAffinity(spec.affinity, path.child('affinity')));
  errs.push(...validateDNSConfig(spec, path.child('dnsConfig')));
  arr(spec.readinessGates).forEach((g, i) => {
    const p = path.child('readinessGates').index(i).child('conditionType');
    errs.push(...isQualifiedName(str(obj(g).conditionType)).map((m) => field.invalid(p, str(obj(g).conditionType), m)));
  });
  const gates = new Set<string>();
  arr(spec.schedulingGates).forEach((g, i) => {
    const name = str(obj(g).name);
    errs.push(...isQualifiedName(name).map((m) => field.invalid(path.child('schedulingGates').index(i), name, m)));
    if (gates.has(name)) errs.push(field.duplicate(path.child('schedulingGates').index(i), name));
    gates.add(name);
  });
  errs.push(...validateTopologySpreadConstraints(spec.topologySpreadConstraints, path.child('topologySpreadConstraints')));
  if (!hostUsers) {
    if (spec.hostNetwork === true) errs.push(field.forbidden(path.child('hostNetwork'), 'when `pod.Spec.HostUsers` is false'));
    if (spec.hostPID === true) errs.push(field.forbidden(path.child('HostPID'), 'when `pod.Spec.HostUsers` is false'));
    if (spec.hostIPC === true) errs.push(field.forbidden(path.child('HostIPC'), 'when `pod.Spec.HostUsers` is false'));
  }
  errs.push(...checkName(spec.serviceAccountName, path.child('serviceAccountName'), (s) => nameIsDNSSubdomain(s, false)));
  errs.push(...checkName(spec.nodeName, path.child('nodeName'), (s) => nameIsDNSSubdomain(s, false)));
  if (typeof spec.activeDeadlineSeconds === 'number' && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > MAX_INT32))
    errs.push(field.invalid(path.child('activeDeadlineSeconds'), spec.activeDeadlineSeconds, inclusiveRangeError(1, MAX_INT32)));
  errs.push(...checkName(spec.hostname, path.child('hostname'), isDNS1123Label));
  errs.push(...checkName(spec.subdomain, path.child('subdomain'), isDNS1123Label));
  errs.push(...validateTolerations(spec.tolerations, path.child('tolerations')));
  arr(spec.hostAliases).forEach((raw, i) => {
    const a = obj(raw);
    const p = path.child('hostAliases').index(i);
    errs.push(...isValidIP(str(a.ip)).map((m) => field.invalid(p.child('ip'), str(a.ip), m)));
    arr(a.hostnames).forEach((h, j) => errs.push(...isDNS1123Subdomain(str(h)).map((m) => field.invalid(p.child('hostnames').index(j), h, m))));
  });
  errs.push(...checkName(spec.priorityClassName, path.child('priorityClassName'), isDNS1123Subdomain));
  if (isSet(spec.runtimeClassName))
    errs.push(...isDNS1123Subdomain(str(spec.runtimeClassName)).map((m) => field.invalid(path.child('runtimeClassName'), spec.runtimeClassName, m)));
  if (isSet(spec.preemptionPolicy))
    errs.push(...oneOf(spec.preemptionPolicy, ['PreemptLowerPriority', 'Never'], path.child('preemptionPolicy')));
  if (isObj(spec.overhead)) errs.push(...validateResourceRequirements({ limits: spec.overhead }, path.child('overhead')));
  if (isObj(spec.os)) {
    const name = str(spec.os.name);
    if (!name) errs.push(field.required(path.child('os').child('name'), 'cannot be empty'));
    else if (name !== 'linux' && name !== 'windows') errs.push(field.notSupported(path.child('os'), name, ['linux', 'windows']));
    else if (name === 'linux') {
      if (isSet(obj(spec.securityContext).windowsOptions))
        errs.push(field.forbidden(path.child('securityContext').child('windowsOptions'), 'windows options cannot be set for a linux pod'));
    }
  }
  return errs;
}

/** An enum field where empty means Required and others are unsupported. */
function oneOf(value: unknown, allowed: string[], path: Path): FieldError[] {
  const v = str(value);
  if (!v) return [field.required(path)];
  return allowed.includes(v) ? [] : [field.notSupported(path, v, allowed)];
}

/** Annotations with meaning for pods (deletion cost, mirror pods). */
export function validatePodSpecificAnnotations(annotations: unknown, spec: Obj, path: Path): FieldError[] {
  const a = obj(annotations);
  const errs: FieldError[] = [];
  const mirror = 'kubernetes.io/config.mirror';
  if (mirror in a && !str(spec.nodeName))
    errs.push(field.invalid(path.key(mirror), a[mirror], 'must set spec.nodeName if mirror pod annotation is set'));
  const cost = 'controller.kubernetes.io/pod-deletion-cost';
  if (cost in a) {
    const v = str(a[cost]);
    const n = Number(v);
    if (!/^[+-]?\d+$/.test(v) || n < -2147483648 || n > MAX_INT32)
      errs.push(field.invalid(path.key(cost), v, 'must be a 32bit integer'));
  }
  return errs;
}

/** ValidatePodTemplateSpec, for workload templates. */
export function validatePodTemplateSpec(tmplIn: unknown, path: Path): FieldError[] {
  const tmpl = obj(tmplIn);
  const meta = obj(tmpl.metadata);
  const spec = obj(tmpl.spec);
  const errs = [
    ...validateLabels(meta.labels, path.child('labels')),
    ...validateAnnotations(meta.annotations, path.child('annotations')),
    ...validatePodSpecificAnnotations(meta.annotations, spec, path.child('annotations')),
    ...validatePodSpec(spec, path.child('spec')),
  ];
  if (arr(spec.ephemeralContainers).length > 0)
    errs.push(field.forbidden(path.child('spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  return errs;
}
