/**
 * Topology spread constraints as PodTopologySpread evaluates them: the
 * pod's own (with matchLabelKeys folded into the selector and upstream's
 * defaults for minDomains and the node inclusion policies), or the
 * cluster's default constraints with a selector built from the Services,
 * ReplicaSets and StatefulSets that select the pod.
 */
import { fromLabelSelector, nothing, selectorFrom, type Requirement, type Selector } from '../../../api/selectors/label.ts';
import type { Obj } from '../../../client/types.ts';
import type { PodQuery } from '../../cache/match-index.ts';
import type { PodInfo } from '../../cache/pod-info.ts';
import type { WorkloadLister } from '../../framework/interfaces.ts';
import { selectorKey } from '../../util/affinity-term.ts';
import type { Labels } from '../../util/node-affinity.ts';

export type InclusionPolicy = 'Honor' | 'Ignore';
export type WhenUnsatisfiable = 'DoNotSchedule' | 'ScheduleAnyway';

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  minDomains: number;
  nodeAffinityPolicy: InclusionPolicy;
  nodeTaintsPolicy: InclusionPolicy;
  /** Pods in the constrained pod's namespace the selector matches, not terminating. */
  query: PodQuery;
}

export interface RawConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: WhenUnsatisfiable;
  labelSelector?: Obj;
  matchLabelKeys?: string[];
  minDomains?: number;
  nodeAffinityPolicy?: InclusionPolicy;
  nodeTaintsPolicy?: InclusionPolicy;
}

/** Upstream's system default constraints (defaultingType: System). */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly RawConstraint[] = [
  { maxSkew: 3, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
  { maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
];

/**
 * Counts pods as upstream's countPodsMatchSelector: same namespace, not
 * terminating, and an empty selector counts nothing.
 */
export function spreadQuery(namespace: string, selector: Selector): PodQuery {
  return {
    key: `pts:${namespace}|${selectorKey(selector)}`,
    matches: (p) => !selector.empty && !p.terminating && p.namespace === namespace && selector.matches(p.labels as Record<string, string>),
  };
}

function withMatchLabelKeys(selector: Selector, keys: readonly string[] | undefined, labels: Labels): Selector {
  if (!keys?.length || selector === nothing) return selector;
  const extra: Requirement[] = [];
  for (const k of keys) if (labels[k] !== undefined) extra.push({ key: k, op: '=', values: [labels[k]!] });
  return extra.length ? selectorFrom([...extra, ...selector.requirements]) : selector;
}

/** The constraints of `action` among `raw`; throws SelectorError for a malformed selector. */
export function filterConstraints(raw: readonly RawConstraint[], pod: PodInfo, action: WhenUnsatisfiable, selectorOverride?: Selector): Constraint[] {
  const out: Constraint[] = [];
  for (const c of raw) {
    if (c.whenUnsatisfiable !== action) continue;
    const selector = selectorOverride ?? withMatchLabelKeys(fromLabelSelector(c.labelSelector), c.matchLabelKeys, pod.labels);
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy ?? 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy ?? 'Ignore',
      query: spreadQuery(pod.namespace, selector),
    });
  }
  return out;
}

/**
 * The selector default spreading uses (upstream helper.DefaultSelector):
 * the union of the selectors of Services that select the pod, plus the
 * selector of its controlling ReplicaSet or StatefulSet.
 */
export function defaultSelector(pod: PodInfo, w: WorkloadLister): Selector {
  const set: Record<string, string> = {};
  for (const svc of w.services(pod.namespace)) {
    const sel: Record<string, string> | undefined = svc['spec']?.selector;
    if (!sel || Object.keys(sel).length === 0) continue;
    if (Object.entries(sel).every(([k, v]) => pod.labels[k] === v)) Object.assign(set, sel);
  }
  const reqs: Requirement[] = Object.entries(set).map(([key, v]) => ({ key, op: '=', values: [v] }));
  const owner = ((pod.pod['metadata']?.ownerReferences ?? []) as Obj[]).find((o) => o.controller);
  if (owner?.apiVersion === 'apps/v1') {
    const o = owner.kind === 'ReplicaSet' ? w.replicaSet(pod.namespace, owner.name) : owner.kind === 'StatefulSet' ? w.statefulSet(pod.namespace, owner.name) : undefined;
    if (o) {
      try {
        const s = fromLabelSelector(o['spec']?.selector);
        if (s !== nothing) reqs.push(...s.requirements);
      } catch {
        // A malformed workload selector adds nothing, as upstream ignores the parse error.
      }
    }
  }
  return selectorFrom(reqs);
}

/** The pod's constraints for `action`, or the defaults when it has none (and something selects it). */
export function constraintsFor(pod: PodInfo, action: WhenUnsatisfiable, w: WorkloadLister, defaults: readonly RawConstraint[]): { constraints: Constraint[]; systemDefaulted: boolean } {
  const own: RawConstraint[] = pod.pod['spec']?.topologySpreadConstraints ?? [];
  if (own.length) return { constraints: filterConstraints(own, pod, action), systemDefaulted: false };
  if (!defaults.some((c) => c.whenUnsatisfiable === action)) return { constraints: [], systemDefaulted: true };
  const sel = defaultSelector(pod, w);
  if (sel.empty) return { constraints: [], systemDefaulted: true };
  return { constraints: filterConstraints(defaults, pod, action, sel), systemDefaulted: true };
}

export function nodeHasAllKeys(labels: Labels, constraints: readonly Constraint[]): boolean {
  for (const c of constraints) if (labels[c.topologyKey] === undefined) return false;
  return true;
}
