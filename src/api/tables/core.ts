/**
 * Printers for the small core/v1 kinds: namespaces, configmaps, secrets,
 * serviceaccounts and resourcequotas.
 */
import type { ConfigMap, Namespace, ResourceQuota, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { ageColumn, column, nameColumn } from './columns.ts';
import { compareStrings } from './labels.ts';
import { quantity } from './format.ts';
import { age } from './time.ts';
import type { Printer } from './types.ts';

/** core/v1 namespaces. A namespace without a phase is Active (the create-time default). */
export const namespacePrinter: Printer = {
  columns: [nameColumn(), column('Status', 'string', 'The namespace phase: Active or Terminating.'), ageColumn()],
  cells(obj, now) {
    const ns = obj as Namespace;
    return [ns.metadata?.name ?? '', ns.status?.phase || 'Active', age(obj, now)];
  },
};

/** core/v1 configmaps: Data counts text and binary keys together. */
export const configMapPrinter: Printer = {
  columns: [nameColumn(), column('Data', 'string', 'The number of keys in data and binaryData.'), ageColumn()],
  cells(obj, now) {
    const cm = obj as ConfigMap;
    const keys = Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length;
    return [cm.metadata?.name ?? '', keys, age(obj, now)];
  },
};

/**
 * core/v1 secrets. stringData is write-only and merged into data when
 * written, so keys from both count once.
 */
export const secretPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'The secret type, such as Opaque or kubernetes.io/tls.'),
    column('Data', 'string', 'The number of keys in data.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const secret = obj as Secret;
    const keys = new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})]);
    return [secret.metadata?.name ?? '', secret.type || 'Opaque', keys.size, age(obj, now)];
  },
};

/** core/v1 serviceaccounts. */
export const serviceAccountPrinter: Printer = {
  columns: [nameColumn(), column('Secrets', 'string', 'The number of secrets listed on the account.'), ageColumn()],
  cells(obj, now) {
    const sa = obj as ServiceAccount;
    return [sa.metadata?.name ?? '', sa.secrets?.length ?? 0, age(obj, now)];
  },
};

/**
 * The Request and Limit cells: `name: used/hard` for every resource in
 * status.hard, sorted by name; `limits.*` resources go to Limit, all others
 * (including `requests.*`, `pods`, counts) to Request.
 */
export function quotaSummaries(quota: ResourceQuota): [string, string] {
  const hard = quota.status?.hard ?? {};
  const used = quota.status?.used ?? {};
  const requests: string[] = [];
  const limits: string[] = [];
  for (const name of Object.keys(hard).sort(compareStrings)) {
    const text = `${name}: ${quantity(used[name])}/${quantity(hard[name])}`;
    const dotted = name.split('.');
    (dotted.length > 1 && dotted[0] === 'limits' ? limits : requests).push(text);
  }
  return [requests.join(', '), limits.join(', ')];
}

/** core/v1 resourcequotas. */
export const resourceQuotaPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Request', 'string', 'Usage against the hard limits of non-limits.* resources.'),
    column('Limit', 'string', 'Usage against the hard limits of limits.* resources.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const quota = obj as ResourceQuota;
    const [request, limit] = quotaSummaries(quota);
    return [quota.metadata?.name ?? '', request, limit, age(obj, now)];
  },
};
