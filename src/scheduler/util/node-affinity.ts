/**
 * Node selection rules of a pod: `spec.nodeSelector` and node affinity
 * terms (matchExpressions on labels, matchFields on `metadata.name`), as
 * upstream component-helpers nodeaffinity. Terms are compiled once per pod
 * into predicates over a node's name and labels.
 */
import type { Obj } from '../../client/types.ts';

export type Labels = Readonly<Record<string, string>>;
type NodePredicate = (name: string, labels: Labels) => boolean;

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

const INT_RE = /^[+-]?\d+$/;

/** One matchExpressions entry; undefined when malformed (the term then matches nothing, as upstream). */
function labelRequirement(r: Requirement): NodePredicate | undefined {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      if (!values.length) return undefined;
      return (_n, l) => Object.hasOwn(l, r.key) && values.includes(l[r.key]!);
    case 'NotIn':
      if (!values.length) return undefined;
      return (_n, l) => !Object.hasOwn(l, r.key) || !values.includes(l[r.key]!);
    case 'Exists':
      if (values.length) return undefined;
      return (_n, l) => Object.hasOwn(l, r.key);
    case 'DoesNotExist':
      if (values.length) return undefined;
      return (_n, l) => !Object.hasOwn(l, r.key);
    case 'Gt':
    case 'Lt': {
      if (values.length !== 1 || !INT_RE.test(values[0]!)) return undefined;
      const bound = Number(values[0]);
      const gt = r.operator === 'Gt';
      return (_n, l) => {
        const v = l[r.key];
        if (v === undefined || !INT_RE.test(v)) return false;
        return gt ? Number(v) > bound : Number(v) < bound;
      };
    }
    default:
      return undefined;
  }
}

/** One matchFields entry: only `metadata.name` with In/NotIn and exactly one value is valid. */
function fieldRequirement(r: Requirement): NodePredicate | undefined {
  const values = r.values ?? [];
  if (r.key !== 'metadata.name' || values.length !== 1) return undefined;
  if (r.operator === 'In') return (n) => n === values[0];
  if (r.operator === 'NotIn') return (n) => n !== values[0];
  return undefined;
}

/** A NodeSelectorTerm: all its requirements hold. An empty or malformed term matches nothing. */
export function compileTerm(term: Obj | undefined): NodePredicate {
  const exprs: Requirement[] = term?.['matchExpressions'] ?? [];
  const fields: Requirement[] = term?.['matchFields'] ?? [];
  if (!exprs.length && !fields.length) return () => false;
  const preds: NodePredicate[] = [];
  for (const r of exprs) {
    const p = labelRequirement(r);
    if (!p) return () => false;
    preds.push(p);
  }
  for (const r of fields) {
    const p = fieldRequirement(r);
    if (!p) return () => false;
    preds.push(p);
  }
  return (n, l) => {
    for (const p of preds) if (!p(n, l)) return false;
    return true;
  };
}

/**
 * What a node must satisfy for a pod: its nodeSelector and any of its
 * required node affinity terms (upstream GetRequiredNodeAffinity).
 */
export class RequiredNodeAffinity {
  private readonly selector: [string, string][];
  private readonly terms: NodePredicate[] | undefined;

  constructor(pod: Obj) {
    const spec = pod['spec'] ?? {};
    this.selector = Object.entries((spec.nodeSelector ?? {}) as Record<string, string>);
    const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.terms = required ? (required.nodeSelectorTerms ?? []).map(compileTerm) : undefined;
  }

  /** True when the pod constrains nodes at all. */
  get constrains(): boolean {
    return this.selector.length > 0 || this.terms !== undefined;
  }

  match(name: string, labels: Labels): boolean {
    for (const [k, v] of this.selector) if (labels[k] !== v) return false;
    if (!this.terms) return true;
    for (const t of this.terms) if (t(name, labels)) return true;
    return false;
  }
}

export interface PreferredTerm {
  weight: number;
  match: NodePredicate;
}

/** The pod's preferred node affinity terms (weight 0 terms are dropped, as upstream). */
export function preferredNodeTerms(pod: Obj): PreferredTerm[] {
  const list: Obj[] = pod['spec']?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  return list.filter((t) => t?.weight).map((t) => ({ weight: t.weight, match: compileTerm(t.preference) }));
}
