/**
 * Read-only views over shared informers for the plugins: namespace labels
 * (namespaceSelector in affinity terms) and the workloads whose selectors
 * default spreading uses.
 */
import type { Selector } from '../api/selectors/label.ts';
import { byNamespace, type Informer } from '../client/informer.ts';
import type { NamespaceLabels } from './framework/handle.ts';
import type { WorkloadLister } from './framework/interfaces.ts';

export function namespaceLister(namespaces: Informer): NamespaceLabels {
  return {
    labelsOf: (ns) => namespaces.getByName('', ns)?.['metadata']?.labels ?? (namespaces.getByName('', ns) ? {} : undefined),
    matching: (sel: Selector) => namespaces.list().filter((n) => sel.matches(n['metadata']?.labels ?? {})).map((n) => n['metadata'].name),
  };
}

export function workloadLister(services: Informer, replicaSets: Informer, statefulSets: Informer): WorkloadLister {
  services.addIndex('namespace', byNamespace);
  return {
    services: (ns) => services.byIndex('namespace', ns),
    replicaSet: (ns, name) => replicaSets.getByName(ns, name),
    statefulSet: (ns, name) => statefulSets.getByName(ns, name),
  };
}

/** For schedulers run without those informers (benchmarks of the algorithm alone). */
export const noWorkloads: WorkloadLister = { services: () => [], replicaSet: () => undefined, statefulSet: () => undefined };
