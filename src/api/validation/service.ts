/**
 * Services and Endpoints. As upstream, the registry allocates cluster IPs
 * and node ports (BeginCreate) before validation runs, so a Service seen
 * here normally already carries them.
 */
import { field, root, type FieldError, type Path } from '../field-errors.ts';
import { goStrings } from './go-format.ts';
import { nameIsDNS1035Label, nameIsDNSSubdomain, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidCIDR, isValidIP, isValidPortNum, parseIPSloppy } from './names.ts';
import { validatePortNumOrName } from './probes.ts';
import { arr, duplicateRaw, invalidRaw, isObj, isSet, obj, str, type Obj } from './util.ts';

const SPEC = root('spec');
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

/** The node port range a cluster was started with (`--service-node-port-range`). */
export const DEFAULT_NODE_PORT_RANGE: readonly [number, number] = [30000, 32767];

const isHeadless = (spec: Obj) => arr(spec.clusterIPs).length === 1 && spec.clusterIPs[0] === 'None';
const externallyAccessible = (spec: Obj) =>
  spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && arr(spec.externalIPs).length > 0);

/**
 * The clusterIP/clusterIPs pair as the strategy normalises it before
 * validating: a lone `clusterIP` (old clients, most YAML) implies `clusterIPs`.
 */
export function normalizedClusterIPs(spec: Obj, oldSpec?: Obj): string[] {
  const ips = arr(spec.clusterIPs).map(str);
  if (ips.length || !str(spec.clusterIP)) return ips;
  if (oldSpec && str(oldSpec.clusterIP) === spec.clusterIP && arr(oldSpec.clusterIPs).length) return arr(oldSpec.clusterIPs).map(str);
  return [spec.clusterIP];
}

function validateNonSpecialIP(ip: string, path: Path): FieldError[] {
  const family = parseIPSloppy(ip);
  if (!family) return [field.invalid(path, ip, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  const v4 = family === 4 ? ip.split('.').map(Number) : [];
  const lower = ip.toLowerCase();
  if ((family === 4 && v4.every((o) => o === 0)) || lower === '::') errs.push(field.invalid(path, ip, `may not be unspecified (${ip})`));
  if ((family === 4 && v4[0] === 127) || lower === '::1')
    errs.push(field.invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if ((family === 4 && v4[0] === 169 && v4[1] === 254) || /^fe[89ab]/.test(lower))
    errs.push(field.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if ((family === 4 && v4[0] === 224 && v4[1] === 0 && v4[2] === 0) || lower.startsWith('ff02:'))
    errs.push(field.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}

function validateServicePort(sp: Obj, requireName: boolean, names: Set<string>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sp.name);
  if (requireName && !name) errs.push(field.required(path.child('name')));
  else if (name) {
    errs.push(...isDNS1123Label(name).map((m) => field.invalid(path.child('name'), name, m)));
    if (names.has(name)) errs.push(field.duplicate(path.child('name'), name));
    else names.add(name);
  }
  const port = typeof sp.port === 'number' ? sp.port : 0;
  errs.push(...isValidPortNum(port).map((m) => field.invalid(path.child('port'), port, m)));
  const proto = str(sp.protocol);
  if (!proto) errs.push(field.required(path.child('protocol')));
  else if (!PROTOCOLS.includes(proto)) errs.push(field.notSupported(path.child('protocol'), proto, PROTOCOLS));
  errs.push(...validatePortNumOrName(sp.targetPort, path.child('targetPort')));
  if (isSet(sp.appProtocol))
    errs.push(...isQualifiedName(str(sp.appProtocol)).map((m) => field.invalid(path.child('appProtocol'), sp.appProtocol, m)));
  return errs;
}

function validateClusterIPFields(spec: Obj, clusterIPs: string[]): FieldError[] {
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ipsPath = SPEC.child('clusterIPs');
  if (str(spec.clusterIP)) {
    if (clusterIPs.length === 0) errs.push(field.required(ipsPath));
    else if (clusterIPs[0] !== spec.clusterIP) errs.push(invalidRaw(ipsPath, goStrings(clusterIPs), 'first value must match `clusterIP`'));
  } else if (clusterIPs.length) errs.push(invalidRaw(ipsPath, goStrings(clusterIPs), 'must be empty when `clusterIP` is not specified'));
  const seen = new Set<string>();
  arr(spec.ipFamilies).forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(field.notSupported(SPEC.child('ipFamilies').index(i), f, ['IPv4', 'IPv6']));
    if (seen.has(f)) errs.push(field.duplicate(SPEC.child('ipFamilies').index(i), f));
    seen.add(f);
  });
  const policies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
  if (isSet(spec.ipFamilyPolicy) && !policies.includes(spec.ipFamilyPolicy))
    errs.push(field.notSupported(SPEC.child('ipFamilyPolicy'), spec.ipFamilyPolicy, policies));
  let bad = false;
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (clusterIPs.length > 1) {
        bad = true;
        errs.push(invalidRaw(ipsPath, goStrings(clusterIPs), "'None' must be the first and only value"));
      }
      return;
    }
    const e = isValidIP(ip).map((m) => field.invalid(ipsPath.index(i), ip, m));
    if (e.length) bad = true;
    errs.push(...e);
  });
  if (clusterIPs.length > 2) errs.push(invalidRaw(ipsPath, goStrings(clusterIPs), 'may only hold up to 2 values'));
  if (bad) return errs;
  if (clusterIPs.length > 1 && new Set(clusterIPs.map(parseIPSloppy)).size !== clusterIPs.length)
    errs.push(invalidRaw(ipsPath, goStrings(clusterIPs), 'may specify no more than one IP for each IP family'));
  if (clusterIPs[0] !== 'None')
    clusterIPs.forEach((ip, i) => {
      const fam = arr(spec.ipFamilies)[i];
      if (fam === 'IPv4' && parseIPSloppy(ip) === 6)
        errs.push(field.invalid(ipsPath.index(i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (fam === 'IPv6' && parseIPSloppy(ip) !== 6)
        errs.push(field.invalid(ipsPath.index(i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  return errs;
}

export interface ServiceOptions {
  nodePortRange?: readonly [number, number];
  old?: Obj;
}

/** ValidateService. */
export function validateService(svc: Obj, opts: ServiceOptions = {}): FieldError[] {
  const meta = obj(svc.metadata);
  const spec = obj(svc.spec);
  const clusterIPs = normalizedClusterIPs(spec, opts.old ? obj(opts.old.spec) : undefined);
  const view = { ...spec, clusterIPs };
  const errs = validateObjectMeta(meta, true, nameIsDNS1035Label);
  const ports = arr(spec.ports).map(obj);
  if (ports.length === 0 && !isHeadless(view) && spec.type !== 'ExternalName') errs.push(field.required(SPEC.child('ports')));
  if ((spec.type === 'LoadBalancer' || spec.type === 'NodePort') && isHeadless(view))
    errs.push(field.invalid(SPEC.child('clusterIPs').index(0), 'None', `may not be set to 'None' for ${spec.type} services`));
  if (spec.type === 'ExternalName') {
    if (clusterIPs.length) errs.push(field.forbidden(SPEC.child('clusterIPs'), 'may not be set for ExternalName services'));
    if (arr(spec.ipFamilies).length) errs.push(field.forbidden(SPEC.child('ipFamilies'), 'may not be set for ExternalName services'));
    if (isSet(spec.ipFamilyPolicy)) errs.push(field.forbidden(SPEC.child('ipFamilyPolicy'), 'may not be set for ExternalName services'));
    const cname = str(spec.externalName).replace(/\.$/, '');
    if (cname) errs.push(...isDNS1123Subdomain(cname).map((m) => field.invalid(SPEC.child('externalName'), cname, m)));
    else errs.push(field.required(SPEC.child('externalName')));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, SPEC.child('ports').index(i))));
  if (isObj(spec.selector)) errs.push(...validateLabels(spec.selector, SPEC.child('selector')));
  const affinity = str(spec.sessionAffinity);
  if (!affinity) errs.push(field.required(SPEC.child('sessionAffinity')));
  else if (affinity !== 'ClientIP' && affinity !== 'None') errs.push(field.notSupported(SPEC.child('sessionAffinity'), affinity, ['ClientIP', 'None']));
  const sac = SPEC.child('sessionAffinityConfig');
  if (affinity === 'ClientIP') {
    const timeout = obj(obj(spec.sessionAffinityConfig).clientIP).timeoutSeconds;
    const when = 'when session affinity type is ClientIP';
    if (!isObj(spec.sessionAffinityConfig)) errs.push(field.required(sac, when));
    else if (!isObj(spec.sessionAffinityConfig.clientIP)) errs.push(field.required(sac.child('clientIP'), when));
    else if (!isSet(timeout)) errs.push(field.required(sac.child('clientIP', 'timeoutSeconds'), when));
    else if (timeout <= 0 || timeout > 86400)
      errs.push(field.invalid(sac.child('clientIP', 'timeoutSeconds'), timeout, 'must be greater than 0 and less than 86400'));
  } else if (affinity === 'None' && isSet(spec.sessionAffinityConfig)) {
    errs.push(field.forbidden(sac, 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPFields(spec, clusterIPs));
  arr(spec.externalIPs).forEach((ip, i) => {
    const p = SPEC.child('externalIPs').index(i);
    const e = isValidIP(str(ip)).map((m) => field.invalid(p, ip, m));
    errs.push(...(e.length ? e : validateNonSpecialIP(str(ip), p)));
  });
  const type = str(spec.type);
  if (!type) errs.push(field.required(SPEC.child('type')));
  else if (!TYPES.includes(type)) errs.push(field.notSupported(SPEC.child('type'), type, TYPES));
  if (type === 'ClusterIP')
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(field.forbidden(SPEC.child('ports').index(i).child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  const [lo, hi] = opts.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
  const nodePorts = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const pp = SPEC.child('ports').index(i);
    if (p.nodePort) {
      if (type !== 'ClusterIP' && (p.nodePort < lo || p.nodePort > hi))
        errs.push(field.invalid(pp.child('nodePort'), p.nodePort, `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`));
      const k = `${str(p.protocol)}/${p.nodePort}`;
      if (nodePorts.has(k)) errs.push(field.duplicate(pp.child('nodePort'), p.nodePort));
      nodePorts.add(k);
    }
    const key = `${str(p.protocol)}/${p.port}`;
    if (keys.has(key)) errs.push(duplicateRaw(pp, `core.ServicePort{Name:"", Protocol:${JSON.stringify(str(p.protocol))}, AppProtocol:(*string)(nil), Port:${p.port ?? 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`));
    keys.add(key);
  });
  const ranges = arr(spec.loadBalancerSourceRanges);
  if (ranges.length) {
    const rp = SPEC.child('LoadBalancerSourceRanges');
    if (type !== 'LoadBalancer') errs.push(field.forbidden(rp, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...isValidCIDR(str(r).trim()).map((m) => field.invalid(rp.index(i), str(r).trim(), m))));
  }
  if (isSet(spec.allocateLoadBalancerNodePorts) && type !== 'LoadBalancer')
    errs.push(field.forbidden(SPEC.child('allocateLoadBalancerNodePorts'), "may only be used when `type` is 'LoadBalancer'"));
  if (type === 'LoadBalancer' && !isSet(spec.allocateLoadBalancerNodePorts)) errs.push(field.required(root('allocateLoadBalancerNodePorts')));
  if (isSet(spec.loadBalancerClass)) {
    if (type === 'LoadBalancer')
      errs.push(...isQualifiedName(str(spec.loadBalancerClass)).map((m) => field.invalid(SPEC.child('loadBalancerClass'), spec.loadBalancerClass, m)));
    else errs.push(field.forbidden(SPEC.child('loadBalancerClass'), "may only be used when `type` is 'LoadBalancer'"));
  }
  const etp = str(spec.externalTrafficPolicy);
  if (!externallyAccessible(spec)) {
    if (etp) errs.push(field.invalid(SPEC.child('externalTrafficPolicy'), etp, 'may only be set for externally-accessible services'));
  } else if (!etp) errs.push(field.required(SPEC.child('externalTrafficPolicy')));
  else if (etp !== 'Cluster' && etp !== 'Local') errs.push(field.notSupported(SPEC.child('externalTrafficPolicy'), etp, ['Cluster', 'Local']));
  const hc = typeof spec.healthCheckNodePort === 'number' ? spec.healthCheckNodePort : 0;
  if (!(type === 'LoadBalancer' && etp === 'Local')) {
    if (hc) errs.push(field.invalid(SPEC.child('healthCheckNodePort'), hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (!hc) errs.push(field.required(SPEC.child('healthCheckNodePort')));
  else errs.push(...isValidPortNum(hc).map((m) => field.invalid(SPEC.child('healthCheckNodePort'), hc, m)));
  if (!isSet(spec.internalTrafficPolicy)) {
    if (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP') errs.push(field.required(SPEC.child('internalTrafficPolicy')));
  } else if (spec.internalTrafficPolicy !== 'Cluster' && spec.internalTrafficPolicy !== 'Local')
    errs.push(field.notSupported(SPEC.child('internalTrafficPolicy'), spec.internalTrafficPolicy, ['Cluster', 'Local']));
  if (isSet(spec.trafficDistribution) && spec.trafficDistribution !== 'PreferClose')
    errs.push(field.notSupported(SPEC.child('trafficDistribution'), spec.trafficDistribution, ['PreferClose']));
  return errs;
}

/** ValidateServiceUpdate: allocated cluster IPs, families and class are fixed. */
export function validateServiceUpdate(svc: Obj, old: Obj, opts: ServiceOptions = {}): FieldError[] {
  const n = obj(svc.spec);
  const o = obj(old.spec);
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const nIPs = normalizedClusterIPs(n, o);
  const oIPs = normalizedClusterIPs(o);
  const ipsPath = SPEC.child('clusterIPs');
  if (n.type !== 'ExternalName' && o.type !== 'ExternalName' && !(isHeadless({ clusterIPs: nIPs }) && isHeadless({ clusterIPs: oIPs }))) {
    if (oIPs.length === nIPs.length) {
      oIPs.forEach((ip, i) => {
        if (ip !== nIPs[i]) errs.push(invalidRaw(ipsPath.index(i), goStrings(nIPs), 'may not change once set'));
      });
    } else if (oIPs.length > nIPs.length) {
      if (nIPs.length === 0) errs.push(invalidRaw(ipsPath.index(0), goStrings(nIPs), 'primary clusterIP can not be unset'));
      else if (nIPs[0] !== oIPs[0]) errs.push(invalidRaw(ipsPath.index(0), goStrings(nIPs), 'may not change once set'));
      if (nIPs.length === 1 && n.ipFamilyPolicy !== 'SingleStack')
        errs.push(field.invalid(SPEC.child('ipFamilyPolicy'), n.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
    } else if (oIPs.length > 0 && nIPs[0] !== oIPs[0]) {
      errs.push(invalidRaw(ipsPath.index(0), goStrings(nIPs), 'may not change once set'));
    }
  }
  if (n.type === 'LoadBalancer' && o.type === 'LoadBalancer' && (n.loadBalancerClass ?? null) !== (o.loadBalancerClass ?? null))
    errs.push(field.invalid(SPEC.child('loadBalancerClass'), n.loadBalancerClass ?? null, 'may not change once set'));
  const needsHC = (s: Obj) => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
  if (needsHC(n) && needsHC(o) && n.healthCheckNodePort !== o.healthCheckNodePort)
    errs.push(field.forbidden(SPEC.child('healthCheckNodePort'), 'field is immutable'));
  return [...errs, ...validateService(svc, { ...opts, old })];
}

export function validateEndpoints(ep: Obj): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain);
  arr(ep.subsets).forEach((raw, i) => {
    const ss = obj(raw);
    const p = root('subsets').index(i);
    if (arr(ss.addresses).length === 0 && arr(ss.notReadyAddresses).length === 0)
      errs.push(field.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    for (const k of ['addresses', 'notReadyAddresses'])
      arr(ss[k]).forEach((a, j) => {
        const ap = p.child(k).index(j);
        const ip = str(obj(a).ip);
        errs.push(...isValidIP(ip).map((m) => field.invalid(ap.child('ip'), ip, m)));
        if (str(obj(a).hostname)) errs.push(...isDNS1123Label(obj(a).hostname).map((m) => field.invalid(ap.child('hostname'), obj(a).hostname, m)));
        if (isSet(obj(a).nodeName))
          errs.push(...nameIsDNSSubdomain(str(obj(a).nodeName), false).map((m) => field.invalid(ap.child('nodeName'), obj(a).nodeName, m)));
        errs.push(...validateNonSpecialIP(ip, ap.child('ip')));
      });
    const ports = arr(ss.ports);
    ports.forEach((raw2, j) => {
      const port = obj(raw2);
      const pp = p.child('ports').index(j);
      if (ports.length > 1 && !str(port.name)) errs.push(field.required(pp.child('name')));
      else if (str(port.name)) errs.push(...isDNS1123Label(port.name).map((m) => field.invalid(pp.child('name'), port.name, m)));
      const n = typeof port.port === 'number' ? port.port : 0;
      errs.push(...isValidPortNum(n).map((m) => field.invalid(pp.child('port'), n, m)));
      if (!str(port.protocol)) errs.push(field.required(pp.child('protocol')));
      else if (!PROTOCOLS.includes(port.protocol)) errs.push(field.notSupported(pp.child('protocol'), port.protocol, PROTOCOLS));
      if (isSet(port.appProtocol))
        errs.push(...isQualifiedName(str(port.appProtocol)).map((m) => field.invalid(pp.child('appProtocol'), port.appProtocol, m)));
    });
  });
  return errs;
}

export { validateNonSpecialIP };
