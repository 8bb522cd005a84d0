/**
 * How a pod becomes an endpoint of a Service, shared by the Endpoints and
 * EndpointSlice controllers (upstream's pkg/api/v1/pod FindPort and
 * staging endpointslice util): which pods count, which of their IPs, which
 * port a (possibly named) targetPort means on that pod, and when the pod's
 * hostname is published.
 */
import { selectorFrom, type Selector } from '../../api/selectors/label.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, type Obj } from '../../client/types.ts';
import { inNamespace } from '../common/informer-index.ts';

export { isPodReady } from '../common/pods.ts';

/**
 * The Service's selector as a label selector; undefined for a selectorless
 * Service. An empty map counts as none: upstream stores it as absent.
 */
export function serviceSelector(svc: Obj): Selector | undefined {
  const sel = svc['spec']?.selector;
  if (sel === undefined || sel === null || Object.keys(sel).length === 0) return undefined;
  return selectorFrom(Object.entries(sel as Record<string, string>).map(([key, v]) => ({ key, op: '=' as const, values: [String(v)] })));
}

/** Finished pods, pods without an IP and (unless asked) terminating pods are not endpoints. */
export function shouldPodBeInEndpoints(pod: Obj, includeTerminating: boolean): boolean {
  const phase = pod['status']?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod['status']?.podIP && !pod['status']?.podIPs?.length) return false;
  if (!includeTerminating && pod['metadata']?.deletionTimestamp) return false;
  return true;
}

/** The pod's IPv4 address (the family of this cluster's Services), if it has one. */
export function podIPv4(pod: Obj): string | undefined {
  const ips: string[] = (pod['status']?.podIPs ?? []).map((p: Obj) => p?.ip).filter(Boolean);
  if (ips.length === 0 && pod['status']?.podIP) ips.push(pod['status'].podIP);
  return ips.find((ip) => !ip.includes(':'));
}

/**
 * The container port a Service port's targetPort means on this pod: a
 * number as is, a name by the container port of that name and protocol
 * (containers, then sidecar init containers). Undefined when the pod has
 * no such port: the pod is then no endpoint for that Service port.
 */
export function findPort(pod: Obj, servicePort: Obj): number | undefined {
  const target = servicePort['targetPort'] ?? servicePort['port'];
  if (typeof target === 'number') return target;
  if (typeof target !== 'string') return undefined;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = servicePort['protocol'] ?? 'TCP';
  const spec = pod['spec'] ?? {};
  const sidecars = ((spec.initContainers ?? []) as Obj[]).filter((c) => c.restartPolicy === 'Always');
  for (const c of [...((spec.containers ?? []) as Obj[]), ...sidecars]) {
    for (const p of (c.ports ?? []) as Obj[]) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** A pod's hostname is published when its subdomain names this Service. */
export function shouldSetHostname(pod: Obj, svc: Obj): boolean {
  const spec = pod['spec'] ?? {};
  return !!spec.hostname && spec.subdomain === svc['metadata']?.name && pod['metadata']?.namespace === svc['metadata']?.namespace;
}

/** A Service with a cluster IP (not headless, not ExternalName). */
export function isServiceIPSet(svc: Obj): boolean {
  const ip = svc['spec']?.clusterIP;
  return !!ip && ip !== 'None';
}

export function targetRef(pod: Obj): Obj {
  const m = pod['metadata'];
  return { kind: 'Pod', namespace: m.namespace, name: m.name, uid: m.uid };
}

/** Services in `namespace` that select `pod`. */
export function servicesSelecting(services: Informer, pod: Obj): string[] {
  const out: string[] = [];
  for (const svc of inNamespace(services, pod['metadata']?.namespace ?? '')) {
    const sel = serviceSelector(svc);
    if (sel && sel.matches(pod['metadata']?.labels ?? {})) out.push(keyOf(svc));
  }
  return out;
}
