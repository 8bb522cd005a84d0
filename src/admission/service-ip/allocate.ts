/**
 * What upstream's Service storage allocates on create and update, done on
 * an allocation transaction: cluster IPs (none for ExternalName or headless
 * Services), node ports for NodePort and LoadBalancer Services (one per
 * service port number, shared across protocols), and the health check node
 * port of a LoadBalancer with externalTrafficPolicy Local. Refusals are the
 * ApiErrors upstream returns, worded the same.
 */
import { errors } from '../../api/errors.ts';
import { field, root, type FieldError } from '../../api/field-errors.ts';
import { goStrings } from '../../api/validation/go-format.ts';
import { invalidRaw } from '../../api/validation/util.ts';
import type { Obj } from '../../registry/types.ts';
import type { AllocationTxn, ClaimError } from './allocator.ts';
import { allocatesNodePorts, isHeadless, needsClusterIP, needsHealthCheckPort, needsNodePorts } from './service-fields.ts';

const invalid = (name: string, errs: FieldError[]) => errors.invalid('', 'Service', name, errs);

function ipClaimMessage(err: ClaimError, ip: string, txn: AllocationTxn): string {
  if (err === 'allocated') return 'provided IP is already allocated';
  return `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${txn.range.cidr}`;
}

export function portClaimMessage(err: ClaimError, txn: AllocationTxn): string {
  if (err === 'allocated') return 'provided port is already allocated';
  return `provided port is not in the valid range. The range of valid ports is ${txn.ports.lo}-${txn.ports.hi}`;
}

/** Allocates or claims spec.clusterIPs[0] (single-stack IPv4). */
function allocClusterIPs(name: string, spec: Obj, txn: AllocationTxn): void {
  if (!needsClusterIP(spec) || isHeadless(spec)) return;
  const ips: string[] = Array.isArray(spec.clusterIPs) ? [...spec.clusterIPs] : [];
  const requested = ips[0] ?? '';
  if (requested === '') {
    const ip = txn.nextIP();
    if (!ip) throw errors.internal(new Error('failed to allocate a serviceIP: range is full'));
    ips[0] = ip;
  } else {
    // Malformed addresses are left to validation, which reports them better.
    if (!/^[\d.]+$/.test(requested)) return;
    const err = txn.claimIP(requested);
    if (err) {
      throw invalid(name, [invalidRaw(root('spec', 'clusterIPs'), goStrings(spec.clusterIPs ?? [requested]), `failed to allocate IP ${requested}: ${ipClaimMessage(err, requested, txn)}`)]);
    }
  }
  spec.clusterIPs = ips;
  spec.clusterIP = ips[0];
}

function claimPortOrThrow(name: string, txn: AllocationTxn, port: number, index: number): void {
  const err = txn.claimPort(port);
  if (err) throw invalid(name, [field.invalid(root('spec', 'ports').index(index).child('nodePort'), port, portClaimMessage(err, txn))]);
}

/** Create: requested node ports are claimed, the rest allocated; ports sharing a number share a node port. */
function initNodePorts(name: string, spec: Obj, txn: AllocationTxn): void {
  const ports: Obj[] = Array.isArray(spec.ports) ? spec.ports : [];
  const byPort = new Map<number, number>();
  ports.forEach((p, i) => {
    if (!p) return;
    if (!p.nodePort && !allocatesNodePorts(spec)) return;
    const shared = byPort.get(p.port);
    if (shared === undefined) {
      const requested = ports.find((q) => q?.port === p.port && q?.nodePort)?.nodePort as number | undefined;
      if (requested) {
        claimPortOrThrow(name, txn, requested, i);
        p.nodePort = requested;
        byPort.set(p.port, requested);
      } else {
        const np = txn.nextPort();
        if (np === undefined) throw errors.internal(new Error('failed to allocate a nodePort: range is full'));
        p.nodePort = np;
        byPort.set(p.port, np);
      }
    } else if (p.nodePort !== shared) {
      if (!p.nodePort) p.nodePort = shared;
      else claimPortOrThrow(name, txn, p.nodePort, i);
    }
  });
}

/** Update: ports the Service already held are kept; new requests are claimed; unset ones allocated. */
function updateNodePorts(name: string, spec: Obj, oldSpec: Obj, txn: AllocationTxn): void {
  const old = new Set<number>((Array.isArray(oldSpec.ports) ? oldSpec.ports : []).map((p: Obj) => p?.nodePort).filter(Boolean));
  const claimedHere = new Set<number>();
  const ports: Obj[] = Array.isArray(spec.ports) ? spec.ports : [];
  ports.forEach((p, i) => {
    if (!p) return;
    if (!p.nodePort && !allocatesNodePorts(spec)) return;
    if (p.nodePort) {
      if (!old.has(p.nodePort) && !claimedHere.has(p.nodePort)) {
        claimPortOrThrow(name, txn, p.nodePort, i);
        claimedHere.add(p.nodePort);
      }
      return;
    }
    const np = txn.nextPort();
    if (np === undefined) throw errors.internal(new Error('failed to allocate a nodePort: range is full'));
    p.nodePort = np;
  });
}

function allocHealthCheckPort(spec: Obj, txn: AllocationTxn): void {
  const requested = spec.healthCheckNodePort;
  if (requested) {
    const err = txn.claimPort(requested);
    if (err) throw errors.internal(new Error(`failed to allocate requested HealthCheck NodePort ${requested}: ${portClaimMessage(err, txn)}`));
    return;
  }
  const np = txn.nextPort();
  if (np === undefined) throw errors.internal(new Error('failed to allocate a HealthCheck NodePort 0: range is full'));
  spec.healthCheckNodePort = np;
}

/** Values the Service holds and keeps (or explicitly asks for) must not be handed to its other fields. */
function avoidOwnValues(spec: Obj, oldSpec: Obj | undefined, txn: AllocationTxn): void {
  for (const s of oldSpec ? [spec, oldSpec] : [spec]) {
    for (const p of Array.isArray(s.ports) ? s.ports : []) if (p?.nodePort) txn.avoid.add(`port:${p.nodePort}`);
    if (s.healthCheckNodePort) txn.avoid.add(`port:${s.healthCheckNodePort}`);
  }
}

export function allocateCreate(svc: Obj, txn: AllocationTxn): void {
  const name = svc['metadata']?.name ?? '';
  const spec = svc['spec'];
  avoidOwnValues(spec, undefined, txn);
  allocClusterIPs(name, spec, txn);
  if (needsNodePorts(spec)) initNodePorts(name, spec, txn);
  if (needsHealthCheckPort(spec)) allocHealthCheckPort(spec, txn);
}

/**
 * Whether an update asks for anything new (an IP, a node port it did not
 * hold, a health check port): most updates (labels, selector, ports
 * without node ports) do not, and skip the allocator altogether.
 */
export function updateNeedsAllocation(spec: Obj, oldSpec: Obj): boolean {
  const hadIP = needsClusterIP(oldSpec) && (oldSpec.clusterIP || (Array.isArray(oldSpec.clusterIPs) && oldSpec.clusterIPs.length));
  if (needsClusterIP(spec) && !isHeadless(spec) && !hadIP) return true;
  if (needsNodePorts(spec)) {
    const old = new Set((Array.isArray(oldSpec.ports) ? oldSpec.ports : []).map((p: Obj) => p?.nodePort).filter(Boolean));
    for (const p of (Array.isArray(spec.ports) ? spec.ports : []) as Obj[]) {
      if (p?.nodePort ? !old.has(p.nodePort) : allocatesNodePorts(spec)) return true;
    }
  }
  return !needsHealthCheckPort(oldSpec) && needsHealthCheckPort(spec);
}

export function allocateUpdate(svc: Obj, old: Obj, txn: AllocationTxn): void {
  const name = svc['metadata']?.name ?? '';
  const spec = svc['spec'];
  const oldSpec = old['spec'] ?? {};
  avoidOwnValues(spec, oldSpec, txn);
  // From ExternalName to a type with a cluster IP, or a Service stored
  // before allocation existed: allocate as on create.
  const hadIP = needsClusterIP(oldSpec) && (oldSpec.clusterIP || (Array.isArray(oldSpec.clusterIPs) && oldSpec.clusterIPs.length));
  if (needsClusterIP(spec) && !hadIP) allocClusterIPs(name, spec, txn);
  if (needsNodePorts(spec)) updateNodePorts(name, spec, oldSpec, txn);
  if (!needsHealthCheckPort(oldSpec) && needsHealthCheckPort(spec)) allocHealthCheckPort(spec, txn);
}
