/**
 * The smaller API groups: coordination.k8s.io Lease, discovery.k8s.io
 * EndpointSlice, storage.k8s.io StorageClass, policy/v1
 * PodDisruptionBudget and autoscaling/v1 Scale.
 */
import { field, root, type FieldError } from '../field-errors.ts';
import { goIntOrString } from './go-format.ts';
import { nameIsDNSSubdomain, validateLabels, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { byteLength, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPercent, parseIPSloppy } from './names.ts';
import { validateNonSpecialIP } from './service.ts';
import { arr, immutable, invalidRaw, isObj, isSet, NEGATIVE, nonNegative, obj, str, type Obj } from './util.ts';

const SPEC = root('spec');

export function validateLease(lease: Obj): FieldError[] {
  const errs = validateObjectMeta(lease.metadata, true, nameIsDNSSubdomain);
  const spec = obj(lease.spec);
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0)
    errs.push(field.invalid(SPEC.child('leaseDurationSeconds'), spec.leaseDurationSeconds, 'must be greater than 0'));
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0)
    errs.push(field.invalid(SPEC.child('leaseTransitions'), spec.leaseTransitions, NEGATIVE));
  if (str(spec.preferredHolder) && !str(spec.strategy))
    errs.push(field.forbidden(SPEC.child('preferredHolder'), 'may only be specified if `strategy` is defined'));
  return errs;
}

export function validateLeaseUpdate(lease: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(lease.metadata, old.metadata), ...validateLease(lease)];
}

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function validateAddress(addr: string, type: string, path: ReturnType<typeof root>): FieldError[] {
  if (type === 'IPv4') {
    if (parseIPSloppy(addr) !== 4) return [field.invalid(path, addr, 'must be a valid IPv4 address')];
    return validateNonSpecialIP(addr, path);
  }
  if (type === 'IPv6') {
    if (parseIPSloppy(addr) !== 6) return [field.invalid(path, addr, 'must be a valid IPv6 address')];
    return validateNonSpecialIP(addr, path);
  }
  if (type === 'FQDN') {
    const name = addr.endsWith('.') ? addr.slice(0, -1) : addr;
    const msgs = isDNS1123Subdomain(name);
    if (msgs.length) return [field.invalid(path, name, msgs.join(','))];
    if (name.split('.').length < 2) return [field.invalid(path, name, 'should be a domain with at least two segments separated by dots')];
  }
  return [];
}

export function validateEndpointSlice(es: Obj): FieldError[] {
  const errs = validateObjectMeta(es.metadata, true, nameIsDNSSubdomain);
  const type = str(es.addressType);
  if (!type) errs.push(field.required(root('addressType')));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(field.notSupported(root('addressType'), type, ADDRESS_TYPES));
  const endpoints = arr(es.endpoints);
  if (endpoints.length > 1000) errs.push(field.tooMany(root('endpoints'), endpoints.length, 1000));
  endpoints.forEach((raw, i) => {
    const ep = obj(raw);
    const p = root('endpoints').index(i);
    const addrs = arr(ep.addresses);
    if (addrs.length === 0) errs.push(field.required(p.child('addresses'), 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(field.tooMany(p.child('addresses'), addrs.length, 100));
    addrs.forEach((a, j) => errs.push(...validateAddress(str(a), type, p.child('addresses').index(j))));
    if (isSet(ep.nodeName))
      errs.push(...nameIsDNSSubdomain(str(ep.nodeName), false).map((m) => field.invalid(p.child('nodeName'), ep.nodeName, m)));
    if (isSet(ep.hostname)) errs.push(...isDNS1123Label(str(ep.hostname)).map((m) => field.invalid(p.child('hostname'), ep.hostname, m)));
    if (isObj(ep.deprecatedTopology)) errs.push(...validateLabels(ep.deprecatedTopology, p.child('deprecatedTopology')));
  });
  const ports = arr(es.ports);
  if (ports.length > 20000) errs.push(field.tooMany(root('ports'), ports.length, 20000));
  const names = new Set<string>();
  ports.forEach((raw, i) => {
    const port = obj(raw);
    const p = root('ports').index(i);
    const name = str(port.name);
    if (name) errs.push(...isDNS1123Label(name).map((m) => field.invalid(p.child('name'), name, m)));
    if (names.has(name)) errs.push(field.duplicate(p.child('name'), name));
    names.add(name);
    if (!isSet(port.protocol)) errs.push(field.required(p.child('protocol')));
    else if (!PROTOCOLS.includes(port.protocol)) errs.push(field.notSupported(p.child('protocol'), port.protocol, PROTOCOLS));
    if (isSet(port.appProtocol))
      errs.push(...isQualifiedName(str(port.appProtocol)).map((m) => field.invalid(p.child('appProtocol'), port.appProtocol, m)));
  });
  return errs;
}

export function validateEndpointSliceUpdate(es: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(es.metadata, old.metadata),
    ...validateEndpointSlice(es),
    ...immutable(str(es.addressType), str(old.addressType), root('addressType')),
  ];
}

export function validateStorageClass(sc: Obj): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, false, nameIsDNSSubdomain);
  const provisioner = str(sc.provisioner);
  if (!provisioner) errs.push(field.required(root('provisioner')));
  else {
    if (provisioner.length > 63) errs.push(field.tooLong(root('provisioner'), 63));
    errs.push(...isQualifiedName(provisioner.toLowerCase()).map((m) => field.invalid(root('provisioner'), provisioner, m)));
  }
  let size = 0;
  for (const [k, v] of Object.entries(obj(sc.parameters))) {
    if (!k) errs.push(field.invalid(root('parameters'), k, 'field can not be empty.'));
    size += byteLength(k) + byteLength(str(v));
  }
  if (size > 256 * 1024) errs.push(field.tooLong(root('parameters'), 256 * 1024));
  if (isSet(sc.reclaimPolicy) && sc.reclaimPolicy !== 'Delete' && sc.reclaimPolicy !== 'Retain')
    errs.push(field.notSupported(root('reclaimPolicy'), sc.reclaimPolicy, ['Delete', 'Retain']));
  if (!isSet(sc.volumeBindingMode)) errs.push(field.required(root('volumeBindingMode')));
  else if (sc.volumeBindingMode !== 'Immediate' && sc.volumeBindingMode !== 'WaitForFirstConsumer')
    errs.push(field.notSupported(root('volumeBindingMode'), sc.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']));
  return errs;
}

export function validateStorageClassUpdate(sc: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(sc.metadata, old.metadata), ...validateStorageClass(sc)];
  if (JSON.stringify(obj(sc.parameters)) !== JSON.stringify(obj(old.parameters)))
    errs.push(field.forbidden(root('parameters'), 'updates to parameters are forbidden.'));
  if (str(sc.provisioner) !== str(old.provisioner)) errs.push(field.forbidden(root('provisioner'), 'updates to provisioner are forbidden.'));
  errs.push(...immutable(sc.reclaimPolicy, old.reclaimPolicy, root('reclaimPolicy')));
  errs.push(...immutable(sc.volumeBindingMode, old.volumeBindingMode, root('volumeBindingMode')));
  return errs;
}

function intOrPercent(v: unknown, path: ReturnType<typeof root>): FieldError[] {
  if (typeof v === 'string') {
    const errs = isValidPercent(v).map((m) => invalidRaw(path, goIntOrString(v), m));
    if (!errs.length && Number(v.slice(0, -1)) > 100) errs.push(invalidRaw(path, goIntOrString(v), 'must not be greater than 100%'));
    return errs;
  }
  return nonNegative(v, path);
}

function validatePDBSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (isSet(spec.minAvailable) && isSet(spec.maxUnavailable))
    errs.push(invalidRaw(SPEC, JSON.stringify(spec), 'minAvailable and maxUnavailable cannot be both set'));
  if (isSet(spec.minAvailable)) errs.push(...intOrPercent(spec.minAvailable, SPEC.child('minAvailable')));
  if (isSet(spec.maxUnavailable)) errs.push(...intOrPercent(spec.maxUnavailable, SPEC.child('maxUnavailable')));
  errs.push(...validateLabelSelector(spec.selector, SPEC.child('selector')));
  if (isSet(spec.unhealthyPodEvictionPolicy) && !['AlwaysAllow', 'IfHealthyBudget'].includes(spec.unhealthyPodEvictionPolicy))
    errs.push(field.notSupported(SPEC.child('unhealthyPodEvictionPolicy'), spec.unhealthyPodEvictionPolicy, ['AlwaysAllow', 'IfHealthyBudget']));
  return errs;
}

export function validatePodDisruptionBudget(pdb: Obj): FieldError[] {
  return [...validateObjectMeta(pdb.metadata, true, nameIsDNSSubdomain), ...validatePDBSpec(obj(pdb.spec))];
}

export function validatePodDisruptionBudgetUpdate(pdb: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(pdb.metadata, old.metadata), ...validatePDBSpec(obj(pdb.spec))];
}

export function validatePodDisruptionBudgetStatus(pdb: Obj, old: Obj): FieldError[] {
  const s = obj(pdb.status);
  return [
    ...validateObjectMetaUpdate(pdb.metadata, old.metadata),
    ...['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'].flatMap((k) => nonNegative(s[k], root('status', k))),
  ];
}

/** autoscaling/v1 Scale, the body of a `scale` subresource write. */
export function validateScale(scale: Obj): FieldError[] {
  return [
    ...validateObjectMeta(scale.metadata, true, nameIsDNSSubdomain),
    ...nonNegative(obj(scale.spec).replicas, SPEC.child('replicas')),
  ];
}
