/**
 * Containers, init containers and ephemeral containers
 * (validateContainerCommon and friends): names, images, ports, env,
 * mounts, pull policy, resources and security context.
 */
import { field, type FieldError, type Path } from '../field-errors.ts';
import { ENV_FIELD_PATHS, validateLocalDescendingPath, validateObjectFieldSelector, validatePathNoBacksteps, validateResourceFieldSelector } from './field-selectors.ts';
import { nameIsDNSSubdomain } from './meta.ts';
import { isConfigMapKey, isDNS1123Label, isValidID, isValidPortName, isValidPortNum } from './names.ts';
import { validateResourceRequirements } from './resources.ts';
import { arr, invalidRaw, isObj, isSet, obj, str, type Obj } from './util.ts';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

/** What container validation needs from the surrounding pod spec. */
export interface ContainerContext {
  /** Volumes that passed validation, by name. */
  volumes: Map<string, Obj>;
  podClaims: Set<string>;
  hostUsers: boolean;
}

function validatePorts(ports: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((raw, i) => {
    const p = obj(raw);
    const idx = path.index(i);
    const name = str(p.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) errs.push(...msgs.map((m) => field.invalid(idx.child('name'), name, m)));
      else if (names.has(name)) errs.push(field.duplicate(idx.child('name'), name));
      else names.add(name);
    }
    const cp = typeof p.containerPort === 'number' ? p.containerPort : 0;
    if (cp === 0) errs.push(field.required(idx.child('containerPort')));
    else errs.push(...isValidPortNum(cp).map((m) => field.invalid(idx.child('containerPort'), cp, m)));
    if (typeof p.hostPort === 'number' && p.hostPort !== 0)
      errs.push(...isValidPortNum(p.hostPort).map((m) => field.invalid(idx.child('hostPort'), p.hostPort, m)));
    const proto = str(p.protocol);
    if (!proto) errs.push(field.required(idx.child('protocol')));
    else if (!PROTOCOLS.includes(proto)) errs.push(field.notSupported(idx.child('protocol'), proto, PROTOCOLS));
  });
  return errs;
}

/** Relaxed env var names (beta and on in 1.32): printable ASCII except '='. */
function envNameErrors(name: string): string[] {
  return /^[\x20-\x3c\x3e-\x7e]*$/.test(name)
    ? []
    : ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
}

function validateKeySelector(sel: Obj, path: Path): FieldError[] {
  const errs = nameIsDNSSubdomain(str(sel.name), false).map((m) => field.invalid(path.child('name'), str(sel.name), m));
  const key = str(sel.key);
  if (!key) errs.push(field.required(path.child('key')));
  else errs.push(...isConfigMapKey(key).map((m) => field.invalid(path.child('key'), key, m)));
  return errs;
}

function validateEnv(env: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  arr(env).forEach((raw, i) => {
    const ev = obj(raw);
    const idx = path.index(i);
    const name = str(ev.name);
    if (!name) errs.push(field.required(idx.child('name')));
    else errs.push(...envNameErrors(name).map((m) => field.invalid(idx.child('name'), name, m)));
    if (!isObj(ev.valueFrom)) return;
    const vf = ev.valueFrom;
    const vp = idx.child('valueFrom');
    let n = 0;
    if (isSet(vf.fieldRef)) {
      n++;
      errs.push(...validateObjectFieldSelector(vf.fieldRef, ENV_FIELD_PATHS, vp.child('fieldRef')));
    }
    if (isSet(vf.resourceFieldRef)) {
      n++;
      errs.push(...validateResourceFieldSelector(vf.resourceFieldRef, vp.child('resourceFieldRef'), false));
    }
    if (isSet(vf.configMapKeyRef)) {
      n++;
      errs.push(...validateKeySelector(obj(vf.configMapKeyRef), vp.child('configMapKeyRef')));
    }
    if (isSet(vf.secretKeyRef)) {
      n++;
      errs.push(...validateKeySelector(obj(vf.secretKeyRef), vp.child('secretKeyRef')));
    }
    if (n === 0)
      errs.push(field.invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (str(ev.value)) errs.push(field.invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(field.invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  arr(envFrom).forEach((raw, i) => {
    const ev = obj(raw);
    const idx = path.index(i);
    const prefix = str(ev.prefix);
    if (prefix) errs.push(...envNameErrors(prefix).map((m) => field.invalid(idx.child('prefix'), prefix, m)));
    let n = 0;
    for (const kind of ['configMapRef', 'secretRef']) {
      if (!isSet(ev[kind])) continue;
      n++;
      const name = str(obj(ev[kind]).name);
      const np = idx.child(kind).child('name');
      if (!name) errs.push(field.required(np));
      else errs.push(...nameIsDNSSubdomain(name, true).map((m) => field.invalid(np, name, m)));
    }
    if (n === 0) errs.push(field.invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(field.invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateMounts(c: Obj, ctx: ContainerContext, containerPath: Path): FieldError[] {
  const errs: FieldError[] = [];
  const path = containerPath.child('volumeMounts');
  const devices = new Map(arr(c.volumeDevices).map((d) => [str(obj(d).name), str(obj(d).devicePath)]));
  const mounts = new Map<string, string>();
  const seen = new Set<string>();
  arr(c.volumeMounts).forEach((raw, i) => {
    const m = obj(raw);
    const idx = path.index(i);
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    mounts.set(name, mountPath);
    if (!name) errs.push(field.required(idx.child('name')));
    if (!ctx.volumes.has(name)) errs.push(field.notFound(idx.child('name'), name));
    if (!mountPath) errs.push(field.required(idx.child('mountPath')));
    if (seen.has(mountPath)) errs.push(field.invalid(idx.child('mountPath'), mountPath, 'must be unique'));
    seen.add(mountPath);
    if (devices.has(name)) errs.push(field.invalid(idx.child('name'), name, 'must not already exist in volumeDevices'));
    if ([...devices.values()].includes(mountPath))
      errs.push(field.invalid(idx.child('mountPath'), mountPath, 'must not already exist as a path in volumeDevices'));
    if (isSet(ctx.volumes.get(name)?.image)) {
      if (str(m.subPath)) errs.push(field.invalid(idx.child('subPath'), m.subPath, 'not allowed in image volume sources'));
      if (str(m.subPathExpr)) errs.push(field.invalid(idx.child('subPathExpr'), m.subPathExpr, 'not allowed in image volume sources'));
    }
    // Upstream reports these on the list's path, not the item's.
    if (str(m.subPath)) errs.push(...validateLocalDescendingPath(str(m.subPath), path.child('subPath')));
    if (str(m.subPathExpr)) {
      if (str(m.subPath)) errs.push(field.invalid(idx.child('subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(str(m.subPathExpr), path.child('subPathExpr')));
    }
    if (isSet(m.mountPropagation)) {
      const mp = path.child('mountPropagation');
      const supported = ['Bidirectional', 'HostToContainer', 'None'];
      if (!supported.includes(m.mountPropagation)) errs.push(field.notSupported(mp, m.mountPropagation, supported));
      if (m.mountPropagation === 'Bidirectional' && obj(c.securityContext).privileged !== true)
        errs.push(field.forbidden(mp, 'Bidirectional mount propagation is available only to privileged containers'));
    }
    if (isSet(m.recursiveReadOnly)) {
      const rp = path.child('recursiveReadOnly');
      if (m.recursiveReadOnly === 'Enabled' || m.recursiveReadOnly === 'IfPossible') {
        if (m.readOnly !== true) errs.push(field.forbidden(rp, 'may only be specified when readOnly is true'));
        if (isSet(m.mountPropagation) && m.mountPropagation !== 'None')
          errs.push(field.forbidden(rp, 'may only be specified when mountPropagation is None or not specified'));
      } else if (m.recursiveReadOnly !== 'Disabled')
        errs.push(field.notSupported(rp, m.recursiveReadOnly, ['Disabled', 'Enabled', 'IfPossible']));
    }
  });
  const devicePath = containerPath.child('volumeDevices');
  const names = new Set<string>();
  const paths = new Set<string>();
  arr(c.volumeDevices).forEach((raw, i) => {
    const d = obj(raw);
    const idx = devicePath.index(i);
    const name = str(d.name);
    const dp = str(d.devicePath);
    const vol = ctx.volumes.get(name);
    if (!name) errs.push(field.required(idx.child('name')));
    if (names.has(name)) errs.push(field.invalid(idx.child('name'), name, 'must be unique'));
    if (vol && !isSet(vol.persistentVolumeClaim) && !isSet(vol.ephemeral))
      errs.push(field.invalid(idx.child('name'), name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    if (!vol) errs.push(field.notFound(idx.child('name'), name));
    if (!dp) errs.push(field.required(idx.child('devicePath')));
    if (paths.has(dp)) errs.push(field.invalid(idx.child('devicePath'), dp, 'must be unique'));
    if (dp && validatePathNoBacksteps(dp, idx).length)
      errs.push(field.invalid(idx.child('devicePath'), dp, "can not contain backsteps ('..')"));
    else paths.add(dp);
    if (mounts.has(name)) errs.push(field.invalid(idx.child('name'), name, 'must not already exist in volumeMounts'));
    if ([...mounts.values()].includes(dp))
      errs.push(field.invalid(idx.child('devicePath'), dp, 'must not already exist as a path in volumeMounts'));
    if (name) names.add(name);
  });
  return errs;
}

function validateSecurityContext(scIn: unknown, path: Path, hostUsers: boolean): FieldError[] {
  if (!isObj(scIn)) return [];
  const sc = scIn;
  const errs: FieldError[] = [];
  for (const k of ['runAsUser', 'runAsGroup'])
    if (typeof sc[k] === 'number') errs.push(...isValidID(sc[k]).map((m) => field.invalid(path.child(k), sc[k], m)));
  if (isSet(sc.procMount)) {
    if (sc.procMount !== 'Default' && sc.procMount !== 'Unmasked')
      errs.push(field.notSupported(path.child('procMount'), sc.procMount, ['Default', 'Unmasked']));
    if (hostUsers && sc.procMount === 'Unmasked')
      errs.push(field.invalid(path.child('procMount'), sc.procMount, '`hostUsers` must be false to use `Unmasked`'));
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, path.child('seccompProfile')));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true)
      errs.push(invalidRaw(path, JSON.stringify(sc), 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    if (arr(obj(sc.capabilities).add).includes('CAP_SYS_ADMIN'))
      errs.push(invalidRaw(path, JSON.stringify(sc), 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
  }
  return errs;
}

/** Seccomp profile fields, shared with the pod security context. */
export function validateSeccompProfile(spIn: unknown, path: Path): FieldError[] {
  if (!isObj(spIn)) return [];
  const errs: FieldError[] = [];
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  if (!str(spIn.type)) errs.push(field.required(path.child('type'), 'type is required when seccompProfile is set'));
  else if (!types.includes(spIn.type)) errs.push(field.notSupported(path.child('type'), spIn.type, types));
  if (spIn.type === 'Localhost') {
    if (!isSet(spIn.localhostProfile))
      errs.push(field.required(path.child('localhostProfile'), 'must be set when seccomp type is Localhost'));
    else errs.push(...validateLocalDescendingPath(str(spIn.localhostProfile), path.child('localhostProfile')));
  } else if (isSet(spIn.localhostProfile)) {
    errs.push(invalidRaw(path.child('localhostProfile'), JSON.stringify(spIn), 'can only be set when seccomp type is Localhost'));
  }
  return errs;
}

/** Checks common to every container type, in upstream's order. */
export function validateContainerCommon(c: Obj, ctx: ContainerContext, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (!name) errs.push(field.required(path.child('name')));
  else errs.push(...isDNS1123Label(name).map((m) => field.invalid(path.child('name'), name, m)));
  if (!str(c.image)) errs.push(field.required(path.child('image')));
  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) errs.push(field.required(path.child('terminationMessagePolicy')));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp))
    errs.push(field.notSupported(path.child('terminationMessagePolicy'), tmp, TERMINATION_MESSAGE_POLICIES));
  errs.push(...validatePorts(c.ports, path.child('ports')));
  errs.push(...validateEnv(c.env, path.child('env')));
  errs.push(...validateEnvFrom(c.envFrom, path.child('envFrom')));
  errs.push(...validateMounts(c, ctx, path));
  const pull = str(c.imagePullPolicy);
  if (!pull) errs.push(field.required(path.child('imagePullPolicy')));
  else if (!PULL_POLICIES.includes(pull)) errs.push(field.notSupported(path.child('imagePullPolicy'), pull, PULL_POLICIES));
  errs.push(...validateResourceRequirements(c.resources, path.child('resources'), ctx.podClaims));
  errs.push(...validateSecurityContext(c.securityContext, path.child('securityContext'), ctx.hostUsers));
  return errs;
}

/** Host ports must be unique per protocol and host IP. */
export function checkHostPortConflicts(containers: Obj[], path: Path, seen = new Set<string>()): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, ci) => {
    arr(c.ports).forEach((raw, pi) => {
      const p = obj(raw);
      if (!p.hostPort) return;
      const key = `${str(p.protocol)}/${str(p.hostIP)}/${p.hostPort}`;
      if (seen.has(key)) errs.push(field.duplicate(path.index(ci).child('ports').index(pi).child('hostPort'), key));
      else seen.add(key);
    });
  });
  return errs;
}
