/**
 * What an object costs against a ResourceQuota, per resource kind, after
 * upstream's quota evaluators (pkg/quota/v1/evaluator/core and the generic
 * object-count evaluator). Shared by the ResourceQuota admission plugin
 * (charging a write) and the quota controller (recounting a namespace).
 */
import type { GroupResource } from '../api/errors.ts';
import { Quantity } from '../api/quantity.ts';
import type { Obj } from '../registry/types.ts';
import { add, one, zero, podLimits, podRequests, toList, type ResourceList } from './resource-quota-resources.ts';
import { podMatchesScope, type ScopeSelector } from './resource-quota-scopes.ts';

export interface Evaluator {
  gr: GroupResource;
  /** The quota resource names this evaluator accounts for, out of `names`. */
  matching(names: string[]): string[];
  /** Whether a write with this operation and subresource is charged. */
  handles(operation: string, subresource: string): boolean;
  /** The object's usage. `now` decides whether a deleting pod still counts. */
  usage(obj: Obj, now: number): ResourceList;
  /** Whether the object falls under every scope of a quota (objects without scopes match only unscoped quotas). */
  matchesScopes(scopes: ScopeSelector[], obj: Obj): boolean;
  /** Upstream's backward-compatible pod rule: refuses pods missing requests/limits a quota tracks. */
  constraints?(required: string[], obj: Obj): string | undefined;
}

/** `count/pods`, `count/deployments.apps`: the object-count resource name of a group/resource. */
export const countName = (gr: GroupResource): string => (gr.group ? `count/${gr.resource}.${gr.group}` : `count/${gr.resource}`);

const isNativeResource = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');

const noScopes = (scopes: ScopeSelector[]) => scopes.length === 0;

// ---- pods ----

const podResourceNames = new Set([
  'count/pods',
  'pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
]);

/** Resources whose absence on a container a quota on them refuses (a historical upstream rule, kept for compatibility). */
const validationSet = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** Requests and limits as quota resource names (upstream's podComputeUsageHelper). */
export function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', one()]]);
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests.get(r);
    if (req) {
      out.set(r, req);
      out.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim) out.set(`limits.${r}`, lim);
  }
  for (const [r, q] of requests) {
    if (r.startsWith('hugepages-')) {
      out.set(r, q);
      out.set(`requests.${r}`, q);
    } else if (!isNativeResource(r)) out.set(`requests.${r}`, q);
  }
  return out;
}

/** Finished pods, and pods past their deletion grace, no longer use compute quota. */
export function podCountsForQuota(pod: Obj, now: number): boolean {
  const phase = pod['status']?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const m = pod['metadata'] ?? {};
  if (m.deletionTimestamp && m.deletionGracePeriodSeconds !== undefined) {
    if (now > Date.parse(m.deletionTimestamp) + m.deletionGracePeriodSeconds * 1000) return false;
  }
  return true;
}

const podEvaluator: Evaluator = {
  gr: { group: '', resource: 'pods' },
  matching: (names) => names.filter((n) => podResourceNames.has(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-') || (n.startsWith('requests.') && !isNativeResource(n.slice(9)))),
  handles: (op, sub) => op === 'CREATE' && sub === '',
  usage(pod, now) {
    const out: ResourceList = new Map([['count/pods', one()]]);
    if (!podCountsForQuota(pod, now)) return out;
    return add(out, computeUsage(podRequests(pod), podLimits(pod)));
  },
  matchesScopes: (scopes, pod) => scopes.every((s) => podMatchesScope(s, pod)),
  constraints(required, pod) {
    const req = required.filter((r) => validationSet.has(r));
    if (req.length === 0) return undefined;
    const missing = new Map<string, Set<string>>();
    const spec = pod['spec'] ?? {};
    for (const c of [...((spec.containers ?? []) as Obj[]), ...((spec.initContainers ?? []) as Obj[])]) {
      const have = computeUsage(toList(c?.resources?.requests), toList(c?.resources?.limits));
      for (const r of req) {
        if (have.has(r)) continue;
        if (!missing.has(r)) missing.set(r, new Set());
        missing.get(r)!.add(c?.name ?? '');
      }
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
};

// ---- services ----

const serviceResourceNames = new Set(['count/services', 'services', 'services.nodeports', 'services.loadbalancers']);

const serviceEvaluator: Evaluator = {
  gr: { group: '', resource: 'services' },
  matching: (names) => names.filter((n) => serviceResourceNames.has(n)),
  handles: (op, sub) => (op === 'CREATE' || op === 'UPDATE') && sub === '',
  usage(svc) {
    const ports = (svc['spec']?.ports ?? []).length;
    const out: ResourceList = new Map([
      ['count/services', one()],
      ['services', one()],
      ['services.loadbalancers', zero()],
      ['services.nodeports', zero()],
    ]);
    const type = svc['spec']?.type;
    if (type === 'NodePort') out.set('services.nodeports', Quantity.of(ports));
    if (type === 'LoadBalancer') {
      out.set('services.nodeports', Quantity.of(ports));
      out.set('services.loadbalancers', one());
    }
    return out;
  },
  matchesScopes: noScopes,
};

// ---- persistent volume claims ----

const storageClassSuffix = '.storageclass.storage.k8s.io/';

export function pvcStorageClass(pvc: Obj): string {
  return pvc['spec']?.storageClassName ?? pvc['metadata']?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

const pvcEvaluator: Evaluator = {
  gr: { group: '', resource: 'persistentvolumeclaims' },
  matching: (names) =>
    names.filter(
      (n) =>
        n === 'persistentvolumeclaims' ||
        n === 'count/persistentvolumeclaims' ||
        n === 'requests.storage' ||
        (n.includes(storageClassSuffix) && (n.endsWith('/persistentvolumeclaims') || n.endsWith('/requests.storage'))),
    ),
  handles: (op, sub) => (op === 'CREATE' || op === 'UPDATE') && sub === '',
  usage(pvc) {
    const out: ResourceList = new Map([
      ['persistentvolumeclaims', one()],
      ['count/persistentvolumeclaims', one()],
    ]);
    const sc = pvcStorageClass(pvc);
    if (sc) out.set(`${sc}${storageClassSuffix}persistentvolumeclaims`, one());
    let storage = toList(pvc['spec']?.resources?.requests).get('storage');
    const allocated = toList(pvc['status']?.allocatedResources).get('storage');
    if (allocated && (!storage || allocated.cmp(storage) > 0)) storage = allocated;
    if (storage) {
      out.set('requests.storage', storage);
      if (sc) out.set(`${sc}${storageClassSuffix}requests.storage`, storage);
    }
    return out;
  },
  matchesScopes: noScopes,
};

// ---- everything else: object counts ----

/** Resources whose bare plural is an older name for their object count. */
const legacyCountNames = new Set(['configmaps', 'secrets', 'resourcequotas', 'replicationcontrollers']);

function objectCountEvaluator(gr: GroupResource): Evaluator {
  const names = new Set([countName(gr)]);
  if (gr.group === '' && legacyCountNames.has(gr.resource)) names.add(gr.resource);
  return {
    gr,
    matching: (input) => input.filter((n) => names.has(n)),
    handles: (op) => op === 'CREATE',
    usage: () => new Map([...names].map((n) => [n, one()])),
    matchesScopes: noScopes,
  };
}

const specific = new Map<string, Evaluator>([podEvaluator, serviceEvaluator, pvcEvaluator].map((e) => [`${e.gr.group}/${e.gr.resource}`, e]));

/** The evaluator for a group/resource (an object count for any resource without a specific one). */
export function evaluatorFor(gr: GroupResource): Evaluator {
  return specific.get(`${gr.group}/${gr.resource}`) ?? objectCountEvaluator(gr);
}

/**
 * The group/resource a quota resource name counts, for names that are not
 * the pod, Service or PVC ones: `count/deployments.apps`, `configmaps`.
 */
export function countedResource(name: string): GroupResource | undefined {
  if (legacyCountNames.has(name)) return { group: '', resource: name };
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice(6);
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}
