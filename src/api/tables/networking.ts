/**
 * Printers for networking.k8s.io/v1: ingresses and ingressclasses.
 */
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1.js';
import { ageColumn, column, nameColumn } from './columns.ts';
import { loadBalancerAddresses } from './services.ts';
import { age } from './time.ts';
import type { Printer } from './types.ts';

const maxHosts = 3;

/**
 * The Hosts cell: the first three rule hosts, ` + N more...` counting every
 * further rule, or `*` when no rule names a host.
 */
export function ingressHosts(ingress: Ingress): string {
  const rules = ingress.spec?.rules ?? [];
  const list: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (list.length === maxHosts) more = true;
    if (!more && rule.host) list.push(rule.host);
  }
  if (list.length === 0) return '*';
  const joined = list.join(',');
  return more ? `${joined} + ${rules.length - maxHosts} more...` : joined;
}

/** networking.k8s.io/v1 ingresses. Ports is `80, 443` with any TLS section, else `80`. */
export const ingressPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Class', 'string', 'The IngressClass that handles the ingress.'),
    column('Hosts', 'string', 'The hosts the rules match.'),
    column('Address', 'string', 'The load-balancer ingress points.'),
    column('Ports', 'string', 'The ports the ingress serves.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const ing = obj as Ingress;
    return [
      ing.metadata?.name ?? '',
      ing.spec?.ingressClassName ?? '<none>',
      ingressHosts(ing),
      loadBalancerAddresses(ing.status?.loadBalancer),
      ing.spec?.tls?.length ? '80, 443' : '80',
      age(obj, now),
    ];
  },
};

/** networking.k8s.io/v1 ingressclasses. Parameters is `Kind[.apiGroup]/name`; a present but empty apiGroup still adds the dot. */
export const ingressClassPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'The controller that implements the class.'),
    column('Parameters', 'string', 'The resource holding extra configuration for the class.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const ic = obj as IngressClass;
    const p = ic.spec?.parameters;
    const parameters = p ? `${p.kind}${p.apiGroup != null ? `.${p.apiGroup}` : ''}/${p.name}` : '<none>';
    return [ic.metadata?.name ?? '', ic.spec?.controller ?? '', parameters, age(obj, now)];
  },
};
