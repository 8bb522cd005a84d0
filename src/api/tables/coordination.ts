/**
 * The leases printer (coordination.k8s.io/v1): node heartbeats and leader
 * election locks.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { ageColumn, column, nameColumn } from './columns.ts';
import { age } from './time.ts';
import type { Printer } from './types.ts';

/** coordination.k8s.io/v1 leases. Holder is empty for an unheld lease. */
export const leasePrinter: Printer = {
  columns: [nameColumn(), column('Holder', 'string', 'The identity currently holding the lease.'), ageColumn()],
  cells(obj, now) {
    const lease = obj as Lease;
    return [lease.metadata?.name ?? '', lease.spec?.holderIdentity ?? '', age(obj, now)];
  },
};
