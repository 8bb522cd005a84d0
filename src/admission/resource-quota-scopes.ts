/**
 * ResourceQuota scopes: which pods a scoped quota covers (upstream's
 * podMatchesScopeFunc). `spec.scopes` entries are `Exists` requirements;
 * `spec.scopeSelector` adds requirements with operators (PriorityClass
 * In/NotIn/Exists/DoesNotExist).
 */
import { parseQuantity } from '../api/quantity.ts';
import type { Obj } from '../registry/types.ts';

export interface ScopeSelector {
  scopeName: string;
  operator: string;
  values?: string[];
}

export function quotaScopes(quota: Obj): ScopeSelector[] {
  const spec = quota['spec'] ?? {};
  const out: ScopeSelector[] = ((spec.scopes ?? []) as string[]).map((s) => ({ scopeName: s, operator: 'Exists' }));
  for (const e of (spec.scopeSelector?.matchExpressions ?? []) as Obj[]) out.push({ scopeName: e.scopeName, operator: e.operator, values: e.values ?? [] });
  return out;
}

const positive = (v: unknown) => {
  if (typeof v !== 'string' && typeof v !== 'number') return false;
  const q = parseQuantity(v);
  return q.ok && q.quantity.sign() > 0;
};

/** BestEffort QoS: no container asks for or limits cpu or memory. */
export function isBestEffort(pod: Obj): boolean {
  const spec = pod['spec'] ?? {};
  for (const c of [...((spec.containers ?? []) as Obj[]), ...((spec.initContainers ?? []) as Obj[])]) {
    for (const which of ['requests', 'limits']) {
      const list = c?.resources?.[which] ?? {};
      if (positive(list.cpu) || positive(list.memory)) return false;
    }
  }
  return true;
}

export function isTerminating(pod: Obj): boolean {
  const d = pod['spec']?.activeDeadlineSeconds;
  return typeof d === 'number' && d >= 0;
}

function crossNamespaceAffinity(pod: Obj): boolean {
  const aff = pod['spec']?.affinity ?? {};
  const terms: Obj[] = [];
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = aff[kind] ?? {};
    terms.push(...((a.requiredDuringSchedulingIgnoredDuringExecution ?? []) as Obj[]));
    for (const w of (a.preferredDuringSchedulingIgnoredDuringExecution ?? []) as Obj[]) if (w?.podAffinityTerm) terms.push(w.podAffinityTerm);
  }
  return terms.some((t) => (t?.namespaces ?? []).length > 0 || (t?.namespaceSelector !== undefined && t?.namespaceSelector !== null));
}

export function podMatchesScope(s: ScopeSelector, pod: Obj): boolean {
  switch (s.scopeName) {
    case 'Terminating':
      return isTerminating(pod);
    case 'NotTerminating':
      return !isTerminating(pod);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'CrossNamespacePodAffinity':
      return crossNamespaceAffinity(pod);
    case 'PriorityClass': {
      const pc: string = pod['spec']?.priorityClassName ?? '';
      const values = s.values ?? [];
      switch (s.operator) {
        case 'Exists':
          return pc !== '';
        case 'DoesNotExist':
          return pc === '';
        case 'In':
          return pc !== '' && values.includes(pc);
        case 'NotIn':
          return pc === '' || !values.includes(pc);
        default:
          return false;
      }
    }
    default:
      return false;
  }
}
