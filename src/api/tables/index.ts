/**
 * Table printers: the columns and cells `kubectl get` shows for each
 * built-in resource, matching the Kubernetes 1.32 apiserver. The apiserver's
 * Table encoder calls {@link printerFor} once per request and `cells` once
 * per object; everything here is pure (time comes in as `now`).
 */
import { controllerRevisionPrinter, daemonSetPrinter, deploymentPrinter, replicaSetPrinter, statefulSetPrinter } from './apps.ts';
import { cronJobPrinter, jobPrinter } from './batch.ts';
import { leasePrinter } from './coordination.ts';
import { configMapPrinter, namespacePrinter, resourceQuotaPrinter, secretPrinter, serviceAccountPrinter } from './core.ts';
import { defaultPrinter } from './default.ts';
import { endpointSlicePrinter } from './discovery.ts';
import { eventPrinter, eventsV1Printer } from './events.ts';
import { ingressClassPrinter, ingressPrinter } from './networking.ts';
import { nodePrinter } from './nodes.ts';
import { podPrinter } from './pods.ts';
import { podDisruptionBudgetPrinter } from './policy.ts';
import { endpointsPrinter, servicePrinter } from './services.ts';
import { storageClassPrinter } from './storage.ts';
import type { Printer } from './types.ts';
import { persistentVolumeClaimPrinter, persistentVolumePrinter } from './volumes.ts';

export type { Printer, TableColumnDefinition } from './types.ts';
export { humanDuration } from './time.ts';
export { defaultPrinter } from './default.ts';

/**
 * Dedicated printers by `group/resource` (`/pods` for the core group).
 * Resources served but absent here (limitranges, bindings) have no printer
 * upstream either and get the default table.
 */
const printers = new Map<string, Printer>([
  ['/namespaces', namespacePrinter],
  ['/nodes', nodePrinter],
  ['/pods', podPrinter],
  ['/services', servicePrinter],
  ['/endpoints', endpointsPrinter],
  ['/configmaps', configMapPrinter],
  ['/secrets', secretPrinter],
  ['/events', eventPrinter],
  ['/serviceaccounts', serviceAccountPrinter],
  ['/persistentvolumes', persistentVolumePrinter],
  ['/persistentvolumeclaims', persistentVolumeClaimPrinter],
  ['/resourcequotas', resourceQuotaPrinter],
  ['apps/deployments', deploymentPrinter],
  ['apps/replicasets', replicaSetPrinter],
  ['apps/daemonsets', daemonSetPrinter],
  ['apps/statefulsets', statefulSetPrinter],
  ['apps/controllerrevisions', controllerRevisionPrinter],
  ['batch/jobs', jobPrinter],
  ['batch/cronjobs', cronJobPrinter],
  ['networking.k8s.io/ingresses', ingressPrinter],
  ['networking.k8s.io/ingressclasses', ingressClassPrinter],
  ['coordination.k8s.io/leases', leasePrinter],
  ['discovery.k8s.io/endpointslices', endpointSlicePrinter],
  ['storage.k8s.io/storageclasses', storageClassPrinter],
  ['policy/poddisruptionbudgets', podDisruptionBudgetPrinter],
  ['events.k8s.io/events', eventsV1Printer],
]);

/**
 * The printer for a resource, by API group (`''` for core) and plural
 * resource name; the default Name/Created At printer for anything without
 * a dedicated one, including custom resources.
 */
export function printerFor(group: string, resource: string): Printer {
  return printers.get(`${group}/${resource}`) ?? defaultPrinter;
}
