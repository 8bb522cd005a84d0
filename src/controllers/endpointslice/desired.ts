/**
 * The endpoints a Service should have in EndpointSlices, grouped by the
 * port list they serve (a slice holds endpoints that share one port list),
 * as upstream's EndpointSlice controller builds them: every pod that counts
 * (terminating ones included, marked), with conditions ready / serving /
 * terminating, its hostname when its subdomain names the Service, node and
 * zone, and a reference to the pod.
 */
import type { Obj } from '../../client/types.ts';
import { findPort, isPodReady, podIPv4, shouldPodBeInEndpoints, shouldSetHostname, targetRef } from '../endpoints/pod-endpoints.ts';

export const serviceNameLabel = 'kubernetes.io/service-name';
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
export const controllerName = 'endpointslice-controller.k8s.io';
export const headlessLabel = 'service.kubernetes.io/headless';
export const zoneLabel = 'topology.kubernetes.io/zone';

export interface EndpointGroup {
  ports: Obj[];
  endpoints: Obj[];
}

/** A stable key for a port list (its order matters: it is the Service's port order). */
export const portsKey = (ports: Obj[] | undefined): string =>
  JSON.stringify((ports ?? []).map((p) => [p['name'] ?? '', p['port'] ?? null, p['protocol'] ?? 'TCP', p['appProtocol'] ?? null]));

/** Identifies an endpoint across syncs: its first address and the pod it stands for. */
export const endpointKey = (ep: Obj): string => `${ep['addresses']?.[0] ?? ''}\u0000${ep['targetRef']?.uid ?? ''}`;

export function podToEndpoint(pod: Obj, svc: Obj, ip: string, node: Obj | undefined): Obj {
  const publish = svc['spec']?.publishNotReadyAddresses === true;
  const serving = publish || isPodReady(pod);
  const terminating = !!pod['metadata']?.deletionTimestamp;
  // A terminating pod is never "ready" unless the Service publishes not-ready addresses.
  const ready = publish || (serving && !terminating);
  const ep: Obj = { addresses: [ip], conditions: { ready, serving, terminating } };
  if (shouldSetHostname(pod, svc)) ep['hostname'] = pod['spec'].hostname;
  ep['targetRef'] = targetRef(pod);
  if (pod['spec']?.nodeName) ep['nodeName'] = pod['spec'].nodeName;
  const zone = node?.['metadata']?.labels?.[zoneLabel];
  if (zone) ep['zone'] = zone;
  return ep;
}

/** The ports a pod serves for the Service, in Service port order; unresolvable named ports are skipped. */
export function endpointPorts(svc: Obj, pod: Obj): Obj[] {
  const out: Obj[] = [];
  for (const sp of (svc['spec']?.ports ?? []) as Obj[]) {
    const n = findPort(pod, sp);
    if (n === undefined) continue;
    const p: Obj = { name: sp.name ?? '', port: n, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) p['appProtocol'] = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/** Desired endpoints by port-list key. `nodeOf` looks up a pod's node (for its zone). */
export function desiredGroups(svc: Obj, pods: Obj[], nodeOf: (name: string) => Obj | undefined): Map<string, EndpointGroup> {
  const groups = new Map<string, EndpointGroup>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIPv4(pod);
    if (!ip) continue;
    const ports = endpointPorts(svc, pod);
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(podToEndpoint(pod, svc, ip, pod['spec']?.nodeName ? nodeOf(pod['spec'].nodeName) : undefined));
  }
  for (const g of groups.values()) g.endpoints.sort((a, b) => (endpointKey(a) < endpointKey(b) ? -1 : endpointKey(a) > endpointKey(b) ? 1 : 0));
  return groups;
}

/** The labels of a Service's slices: its own labels, plus ours. */
export function sliceLabels(svc: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((svc['metadata']?.labels ?? {}) as Record<string, string>)) {
    if (k === serviceNameLabel || k === managedByLabel || k === headlessLabel) continue;
    out[k] = v;
  }
  const ip = svc['spec']?.clusterIP;
  if (!ip || ip === 'None') out[headlessLabel] = '';
  out[serviceNameLabel] = svc['metadata'].name;
  out[managedByLabel] = controllerName;
  return out;
}
