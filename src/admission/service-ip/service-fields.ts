/**
 * The interlinked Service fields upstream's Service storage and strategy
 * settle before allocating: clusterIP vs clusterIPs, values a client left
 * out on update (kept, so re-submitting the same YAML works), fields that a
 * type change makes meaningless (dropped, so their IP or ports are freed),
 * and the IP family fields of a single-stack IPv4 cluster.
 */
import { field, root, type FieldError } from '../../api/field-errors.ts';
import type { Obj } from '../../registry/types.ts';
import { goStrings } from '../../api/validation/go-format.ts';
import { invalidRaw } from '../../api/validation/util.ts';

const SPEC = root('spec');

const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const sameList = (a: unknown, b: unknown) => JSON.stringify(strs(a)) === JSON.stringify(strs(b));

export const needsClusterIP = (spec: Obj) => spec.type !== 'ExternalName';
export const needsNodePorts = (spec: Obj) => spec.type === 'NodePort' || spec.type === 'LoadBalancer';
export const needsHealthCheckPort = (spec: Obj) => spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
export const isHeadless = (spec: Obj) => strs(spec.clusterIPs)[0] === 'None';

/** New node ports are handed out only for NodePort, and LoadBalancer unless allocateLoadBalancerNodePorts is false. */
export const allocatesNodePorts = (spec: Obj) =>
  spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);

const nodePortsOf = (spec: Obj): number[] => (Array.isArray(spec.ports) ? spec.ports : []).map((p: Obj) => p?.nodePort).filter((n: unknown): n is number => typeof n === 'number' && n !== 0);

/** Keeps clusterIP and clusterIPs in step (old clients send only the singular). */
export function normalizeClusterIPs(spec: Obj, oldSpec?: Obj): void {
  const ip = typeof spec.clusterIP === 'string' ? spec.clusterIP : '';
  if (!oldSpec) {
    if (ip && strs(spec.clusterIPs).length === 0) spec.clusterIPs = [ip];
    return;
  }
  const oldIP = typeof oldSpec.clusterIP === 'string' ? oldSpec.clusterIP : '';
  if (strs(oldSpec.clusterIPs).length && strs(spec.clusterIPs).length === 0 && oldIP === ip) spec.clusterIPs = [...strs(oldSpec.clusterIPs)];
  if (oldIP !== ip) {
    if (oldIP && !ip) {
      if (sameList(oldSpec.clusterIPs, spec.clusterIPs)) delete spec.clusterIPs;
    } else if (sameList(oldSpec.clusterIPs, spec.clusterIPs)) spec.clusterIPs = [ip];
  }
}

/** Fills in what the client left out but we allocated earlier, when the type still needs it. */
export function patchAllocatedValues(spec: Obj, oldSpec: Obj): void {
  if (needsClusterIP(oldSpec) && needsClusterIP(spec)) {
    if (!spec.clusterIP && oldSpec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    if (strs(spec.clusterIPs).length === 0 && strs(oldSpec.clusterIPs).length) spec.clusterIPs = [...strs(oldSpec.clusterIPs)];
  }
  if (needsNodePorts(oldSpec) && needsNodePorts(spec)) {
    const newPorts = new Set(nodePortsOf(spec));
    const used = new Set(nodePortsOf(oldSpec).filter((p) => newPorts.has(p)));
    const byName = new Map<string, number>();
    for (const p of Array.isArray(oldSpec.ports) ? oldSpec.ports : []) byName.set(p?.name ?? '', p?.nodePort ?? 0);
    for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
      if (p && !p.nodePort) {
        const old = byName.get(p.name ?? '') ?? 0;
        if (old && !used.has(old)) p.nodePort = old;
      }
    }
  }
  if (needsHealthCheckPort(oldSpec) && needsHealthCheckPort(spec) && !spec.healthCheckNodePort && oldSpec.healthCheckNodePort) {
    spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  }
}

/**
 * On a type change, clears allocated fields the new type does not use,
 * when the client left them as they were (a changed value is the client's
 * intent and validation judges it).
 */
export function dropTypeDependentFields(spec: Obj, oldSpec: Obj): void {
  if (needsClusterIP(oldSpec) && !needsClusterIP(spec)) {
    if ((spec.clusterIP ?? '') === (oldSpec.clusterIP ?? '') && sameList(spec.clusterIPs, oldSpec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameList(spec.ipFamilies, oldSpec.ipFamilies)) delete spec.ipFamilies;
    if ((spec.ipFamilyPolicy ?? '') === (oldSpec.ipFamilyPolicy ?? '')) delete spec.ipFamilyPolicy;
  }
  if (needsNodePorts(oldSpec) && !needsNodePorts(spec)) {
    const old = new Set(nodePortsOf(oldSpec));
    if (nodePortsOf(spec).every((p) => old.has(p))) for (const p of Array.isArray(spec.ports) ? spec.ports : []) if (p) delete p.nodePort;
  }
  if (needsHealthCheckPort(oldSpec) && !needsHealthCheckPort(spec) && (spec.healthCheckNodePort ?? 0) === (oldSpec.healthCheckNodePort ?? 0)) {
    delete spec.healthCheckNodePort;
  }
}

const familyOf = (ip: string) => (ip.includes(':') ? 'IPv6' : 'IPv4');

/**
 * Settles ipFamilyPolicy and ipFamilies for a single-stack IPv4 cluster, as
 * upstream's initIPFamilyFields does; returns the field errors of requests
 * this cluster cannot serve (IPv6, RequireDualStack).
 */
export function initIPFamilies(spec: Obj, oldSpec?: Obj): FieldError[] {
  if (!needsClusterIP(spec)) return [];
  const selectorless = !spec.selector || Object.keys(spec.selector).length === 0;
  if (spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null) {
    if (oldSpec?.ipFamilyPolicy) spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
    else if (spec.clusterIP === 'None' && selectorless) spec.ipFamilyPolicy = 'RequireDualStack';
    else spec.ipFamilyPolicy = 'SingleStack';
  }
  const errs: FieldError[] = [];
  const policyPath = SPEC.child('ipFamilyPolicy');
  const ips = strs(spec.clusterIPs);
  if (oldSpec && spec.ipFamilyPolicy === 'SingleStack') {
    if (sameList(oldSpec.clusterIPs, spec.clusterIPs) && ips.length > 1) spec.clusterIPs = ips.slice(0, 1);
    if (sameList(oldSpec.ipFamilies, spec.ipFamilies) && strs(spec.ipFamilies).length > 1) spec.ipFamilies = strs(spec.ipFamilies).slice(0, 1);
  }
  if (spec.ipFamilyPolicy === 'SingleStack') {
    if (strs(spec.clusterIPs).length === 2)
      errs.push(field.invalid(policyPath, spec.ipFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
    if (strs(spec.ipFamilies).length === 2)
      errs.push(field.invalid(policyPath, spec.ipFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
  }
  const families = strs(spec.ipFamilies);
  strs(spec.clusterIPs).forEach((ip, i) => {
    if (ip === 'None' || i < families.length) return;
    if (familyOf(ip) === 'IPv6') errs.push(invalidRaw(SPEC.child('clusterIPs').index(i), goStrings(spec.clusterIPs), 'IPv6 is not configured on this cluster'));
    else families.push('IPv4');
  });
  if (families.length) spec.ipFamilies = families;
  if (errs.length) return errs;
  if (spec.clusterIP === 'None' && selectorless) {
    if (families.length === 0) families.push('IPv4');
    if (families.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
    spec.ipFamilies = families;
    return [];
  }
  if (spec.ipFamilyPolicy === 'RequireDualStack') errs.push(field.invalid(policyPath, spec.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
  families.forEach((f, i) => {
    if (f !== 'IPv4') errs.push(field.invalid(SPEC.child('ipFamilies').index(i), f, 'not configured on this cluster'));
  });
  if (errs.length) return errs;
  if (families.length === 0) spec.ipFamilies = ['IPv4'];
  return [];
}
