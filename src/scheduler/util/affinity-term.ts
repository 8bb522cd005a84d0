/**
 * Pod (anti-)affinity terms in the shape the scheduler evaluates them, as
 * upstream framework.AffinityTerm: the namespaces a term covers (its own
 * list, or the pod's namespace when it names neither namespaces nor a
 * namespaceSelector), a namespace selector, a label selector and a
 * topology key. Each term has a canonical `key`, so identical terms of
 * many pods (a Deployment's replicas) share one index entry.
 */
import { fromLabelSelector, nothing, type Selector } from '../../api/selectors/label.ts';
import type { Obj } from '../../client/types.ts';
import type { Labels } from './node-affinity.ts';

export interface AffinityTerm {
  readonly namespaces: ReadonlySet<string>;
  /** `nothing` when the term has no namespaceSelector; everything for `{}`. */
  readonly nsSelector: Selector;
  readonly selector: Selector;
  readonly topologyKey: string;
  readonly key: string;
}

export interface WeightedAffinityTerm {
  readonly term: AffinityTerm;
  readonly weight: number;
}

/** A selector's identity: `*` selects everything, `<none>` nothing, else the canonical string. */
export function selectorKey(s: Selector): string {
  return s === nothing ? '<none>' : s.empty ? '*' : s.toString();
}

export function makeTerm(namespaces: Iterable<string>, nsSelector: Selector, selector: Selector, topologyKey: string): AffinityTerm {
  const ns = new Set(namespaces);
  const key = `${[...ns].sort().join(',')}|${selectorKey(nsSelector)}|${selectorKey(selector)}|${topologyKey}`;
  return { namespaces: ns, nsSelector, selector, topologyKey, key };
}

/** Builds a term of a pod in `podNamespace`; throws SelectorError on a malformed selector. */
export function newAffinityTerm(podNamespace: string, t: Obj): AffinityTerm {
  const selector = fromLabelSelector(t['labelSelector']);
  const nsSelector = fromLabelSelector(t['namespaceSelector']);
  const listed: string[] = t['namespaces'] ?? [];
  const namespaces = listed.length === 0 && (t['namespaceSelector'] === undefined || t['namespaceSelector'] === null) ? [podNamespace] : listed;
  return makeTerm(namespaces, nsSelector, selector, t['topologyKey'] ?? '');
}

/**
 * Whether a pod in `namespace` with `labels` matches the term; `nsLabels`
 * are the labels of that namespace (for namespaceSelector).
 */
export function termMatches(term: AffinityTerm, namespace: string, labels: Labels, nsLabels: Labels | undefined): boolean {
  if (term.namespaces.has(namespace) || term.nsSelector.matches(nsLabels as Record<string, string> | undefined)) {
    return term.selector.matches(labels as Record<string, string>);
  }
  return false;
}
