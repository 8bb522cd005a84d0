/**
 * Printers for Services and their legacy Endpoints: `kubectl get svc,ep`.
 */
import type { Endpoints, LoadBalancerStatus, Service } from 'kubernetes-types/core/v1.js';
import { ageColumn, column, nameColumn, wide } from './columns.ts';
import { joinHostPort } from './format.ts';
import { compareStrings, formatLabels } from './labels.ts';
import { age } from './time.ts';
import type { Printer } from './types.ts';

/**
 * Load-balancer ingress points (IP, else hostname), de-duplicated and sorted,
 * comma-joined. Never clipped: the server always renders the wide form.
 */
export function loadBalancerAddresses(status: Pick<LoadBalancerStatus, 'ingress'> | undefined): string {
  const set = new Set<string>();
  for (const ing of status?.ingress ?? []) {
    if (ing.ip) set.add(ing.ip);
    else if (ing.hostname) set.add(ing.hostname);
  }
  return [...set].sort(compareStrings).join(',');
}

/** The External-IP cell: `<none>`, `<pending>`, the external name, or the addresses. */
export function serviceExternalIP(svc: Service): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc.status?.loadBalancer);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** The Port(s) cell: `80/TCP`, or `80:30080/TCP` with a node port, comma-joined; `<none>` if no ports. */
export function servicePorts(svc: Service): string {
  const pieces = (svc.spec?.ports ?? []).map((p) => {
    const protocol = p.protocol || 'TCP';
    return p.nodePort ? `${p.port}:${p.nodePort}/${protocol}` : `${p.port}/${protocol}`;
  });
  return pieces.length > 0 ? pieces.join(',') : '<none>';
}

/** core/v1 services. */
export const servicePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    column('Cluster-IP', 'string', 'The primary cluster IP of the service.'),
    column('External-IP', 'string', 'External IPs and load-balancer ingress points.'),
    column('Port(s)', 'string', 'Service ports, with node ports where allocated.'),
    ageColumn(),
    wide('Selector', 'string', 'The labels of the pods the service routes to.'),
  ],
  cells(obj, now) {
    const svc = obj as Service;
    // clusterIPs[0] is the primary IP; older objects may only carry clusterIP.
    const clusterIP = svc.spec?.clusterIPs?.[0] || svc.spec?.clusterIP || '<none>';
    return [
      svc.metadata?.name ?? '',
      svc.spec?.type || 'ClusterIP',
      clusterIP,
      serviceExternalIP(svc),
      servicePorts(svc),
      age(obj, now),
      formatLabels(svc.spec?.selector),
    ];
  },
};

const maxEndpoints = 3;

/**
 * The Endpoints cell: up to three `ip:port` pairs (bare IPs for subsets
 * without ports), then ` + N more...`; `<none>` when there are no subsets.
 */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    // Headless services may have no ports at all.
    const ports = ss.ports?.length ? ss.ports.map((p) => p.port) : [undefined];
    for (const port of ports) {
      count += addresses.length;
      for (const addr of addresses) {
        if (list.length === maxEndpoints) break;
        list.push(port === undefined ? addr.ip : joinHostPort(addr.ip, port));
      }
    }
  }
  const joined = list.join(',');
  return count > maxEndpoints ? `${joined} + ${count - maxEndpoints} more...` : joined;
}

/** core/v1 endpoints. */
export const endpointsPrinter: Printer = {
  columns: [nameColumn(), column('Endpoints', 'string', 'Ready addresses and ports, the first few of them.'), ageColumn()],
  cells(obj, now) {
    return [obj.metadata?.name ?? '', formatEndpoints(obj as Endpoints), age(obj, now)];
  },
};
