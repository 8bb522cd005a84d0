/**
 * networking.k8s.io/v1 Ingress and IngressClass: hosts, paths and path
 * types, and backends naming a Service port or a typed resource.
 */
import { field, root, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNS1035Label, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { isDNS1123Subdomain, isValidPortName, isValidPortNum, isWildcardDNS1123Subdomain, parseIPSloppy } from './names.ts';
import { arr, immutable, invalidRaw, isObj, isSet, obj, str, type Obj } from './util.ts';

const SPEC = root('spec');
const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_SUFFIXES = ['/..', '/.'];

function validateBackend(b: Obj, path: Path): FieldError[] {
  const hasResource = isSet(b.resource);
  const hasService = isSet(b.service);
  if (hasResource && hasService) return [field.invalid(path, '', 'cannot set both resource and service backends')];
  const errs: FieldError[] = [];
  if (hasResource) {
    const r = obj(b.resource);
    const rp = path.child('resource');
    if (isSet(r.apiGroup) && str(r.apiGroup))
      errs.push(...isDNS1123Subdomain(str(r.apiGroup)).map((m) => field.invalid(rp.child('apiGroup'), r.apiGroup, m)));
    if (!str(r.kind)) errs.push(field.required(rp.child('kind'), 'kind is required'));
    if (!str(r.name)) errs.push(field.required(rp.child('name'), 'name is required'));
  } else if (hasService) {
    const s = obj(b.service);
    const name = str(s.name);
    if (!name) errs.push(field.required(path.child('service', 'name')));
    else errs.push(...nameIsDNS1035Label(name, false).map((m) => field.invalid(path.child('service', 'name'), name, m)));
    const port = obj(s.port);
    const portName = str(port.name);
    const portNumber = typeof port.number === 'number' ? port.number : 0;
    if (portName && portNumber) errs.push(field.invalid(path, '', 'cannot set both port name & port number'));
    else if (portName) errs.push(...isValidPortName(portName).map((m) => field.invalid(path.child('service', 'port', 'name'), portName, m)));
    else if (portNumber) errs.push(...isValidPortNum(portNumber).map((m) => field.invalid(path.child('service', 'port', 'number'), portNumber, m)));
    else errs.push(field.required(path, 'port name or number is required'));
  } else errs.push(field.invalid(path, '', 'resource or service backend is required'));
  return errs;
}

function validateHTTPPath(p: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!isSet(p.pathType)) return [field.required(path.child('pathType'), 'pathType must be specified')];
  const value = str(p.path);
  const pp = path.child('path');
  if (p.pathType === 'Exact' || p.pathType === 'Prefix') {
    if (!value.startsWith('/')) errs.push(field.invalid(pp, value, 'must be an absolute path'));
    if (value) {
      for (const seq of INVALID_SEQUENCES) if (value.includes(seq)) errs.push(field.invalid(pp, value, `must not contain '${seq}'`));
      for (const suf of INVALID_SUFFIXES) if (value.endsWith(suf)) errs.push(field.invalid(pp, value, `cannot end with '${suf}'`));
    }
  } else if (p.pathType === 'ImplementationSpecific') {
    if (value && !value.startsWith('/')) errs.push(field.invalid(pp, value, 'must be an absolute path'));
  } else errs.push(field.notSupported(path.child('pathType'), p.pathType, PATH_TYPES));
  return [...errs, ...validateBackend(obj(p.backend), path.child('backend'))];
}

function validateHost(host: string, path: Path): FieldError[] {
  if (parseIPSloppy(host)) return [field.invalid(path, host, 'must be a DNS name, not an IP address')];
  const msgs = host.startsWith('*.') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
  return msgs.map((m) => field.invalid(path, host, m));
}

function validateIngressSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const rules = arr(spec.rules);
  if (rules.length === 0 && !isObj(spec.defaultBackend))
    errs.push(invalidRaw(SPEC, '[]networking.IngressRule(nil)', 'either `defaultBackend` or `rules` must be specified'));
  if (isObj(spec.defaultBackend)) errs.push(...validateBackend(spec.defaultBackend, SPEC.child('defaultBackend')));
  rules.forEach((raw, i) => {
    const rule = obj(raw);
    const rp = SPEC.child('rules').index(i);
    if (str(rule.host)) errs.push(...validateHost(str(rule.host), rp.child('host')));
    if (isObj(rule.http)) {
      const hp = rp.child('http');
      const paths = arr(rule.http.paths);
      if (paths.length === 0) errs.push(field.required(hp.child('paths')));
      paths.forEach((p, j) => errs.push(...validateHTTPPath(obj(p), hp.child('paths').index(j))));
    }
  });
  arr(spec.tls).forEach((raw, i) => {
    arr(obj(raw).hosts).forEach((h, j) => {
      const host = str(h);
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      errs.push(...msgs.map((m) => field.invalid(SPEC.child('tls').index(i).child('hosts').index(j), host, m)));
    });
  });
  const cls = str(spec.ingressClassName);
  if (cls) errs.push(...nameIsDNSSubdomain(cls, false).map((m) => field.invalid(SPEC.child('ingressClassName'), cls, m)));
  return errs;
}

export function validateIngress(ing: Obj): FieldError[] {
  return [...validateObjectMeta(ing.metadata, true, nameIsDNSSubdomain), ...validateIngressSpec(obj(ing.spec))];
}

export function validateIngressUpdate(ing: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(ing.metadata, old.metadata), ...validateIngressSpec(obj(ing.spec))];
}

/** Ingress status: load balancer addresses. */
export function validateIngressStatusUpdate(ing: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ing.metadata, old.metadata);
  arr(obj(obj(ing.status).loadBalancer).ingress).forEach((raw, i) => {
    const p = root('status', 'loadBalancer', 'ingress').index(i);
    const ip = str(obj(raw).ip);
    if (ip && !parseIPSloppy(ip)) errs.push(field.invalid(p.child('ip'), ip, 'must be a valid IP address'));
    const host = str(obj(raw).hostname);
    if (host) {
      errs.push(...isDNS1123Subdomain(host).map((m) => field.invalid(p.child('hostname'), host, m)));
      if (parseIPSloppy(host)) errs.push(field.invalid(p.child('hostname'), host, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

function validateIngressClassSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const controller = str(spec.controller);
  const cp = SPEC.child('controller');
  if (controller.length > 250) errs.push(field.tooLong(cp, 250));
  if (!controller) errs.push(field.required(cp));
  else {
    const [host, rest] = [controller.split('/')[0]!, controller.split('/').slice(1).join('/')];
    if (!controller.includes('/') || !host || !rest) errs.push(field.invalid(cp, controller, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    else {
      errs.push(...isDNS1123Subdomain(host).map((m) => field.invalid(cp, host, m)));
      if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(rest))
        errs.push(field.invalid(cp, rest, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
    }
  }
  if (isObj(spec.parameters)) {
    const p = spec.parameters;
    const pp = SPEC.child('parameters');
    if (!str(p.kind)) errs.push(field.required(pp.child('kind'), 'kind is required'));
    if (!str(p.name)) errs.push(field.required(pp.child('name'), 'name is required'));
    if (str(p.apiGroup)) errs.push(...isDNS1123Subdomain(str(p.apiGroup)).map((m) => field.invalid(pp.child('apiGroup'), p.apiGroup, m)));
    const scope = str(p.scope);
    if (scope === 'Namespace') {
      if (!str(p.namespace)) errs.push(field.required(pp.child('namespace'), "`parameters.scope` is set to 'Namespace'"));
    } else if (scope === 'Cluster') {
      if (isSet(p.namespace)) errs.push(field.forbidden(pp.child('namespace'), "`parameters.scope` is set to 'Cluster'"));
    } else if (!scope) errs.push(field.required(pp.child('scope')));
    else errs.push(field.notSupported(pp.child('scope'), scope, ['Cluster', 'Namespace']));
  }
  return errs;
}

export function validateIngressClass(ic: Obj): FieldError[] {
  return [...validateObjectMeta(ic.metadata, false, nameIsDNSSubdomain), ...validateIngressClassSpec(obj(ic.spec))];
}

export function validateIngressClassUpdate(ic: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(ic.metadata, old.metadata),
    ...validateIngressClassSpec(obj(ic.spec)),
    ...immutable(str(obj(ic.spec).controller), str(obj(old.spec).controller), SPEC.child('controller')),
  ];
}
