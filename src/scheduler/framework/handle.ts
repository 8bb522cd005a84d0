/**
 * Namespace labels for namespaceSelector in pod (anti-)affinity terms,
 * read from the Namespace informer (upstream's nsLister).
 */
import type { Selector } from '../../api/selectors/label.ts';
import type { Labels } from '../util/node-affinity.ts';

export interface NamespaceLabels {
  labelsOf(namespace: string): Labels | undefined;
  /** Names of namespaces whose labels `sel` matches. */
  matching(sel: Selector): string[];
}

/** A fixed set of namespaces, for tests and for schedulers without a Namespace informer. */
export function staticNamespaces(ns: Record<string, Labels>): NamespaceLabels {
  return {
    labelsOf: (n) => ns[n],
    matching: (sel) => Object.entries(ns).filter(([, l]) => sel.matches(l as Record<string, string>)).map(([n]) => n),
  };
}
