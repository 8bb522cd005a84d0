/**
 * Which nodes a DaemonSet runs on, as upstream's NodeShouldRunDaemonPod:
 * the pod the DaemonSet would place there (its template plus the default
 * daemon tolerations) must fit the node's name, the template's nodeSelector
 * and required node affinity, and tolerate the node's NoSchedule and
 * NoExecute taints. A pod already running may stay while it tolerates the
 * NoExecute taints (a new NoSchedule taint does not evict it).
 */
import { selectorFrom, type Requirement } from '../../api/selectors/label.ts';
import type { Obj } from '../../client/types.ts';

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** The taints node conditions map to (upstream v1.TaintNode*). */
export const taintKeys = {
  notReady: 'node.kubernetes.io/not-ready',
  unreachable: 'node.kubernetes.io/unreachable',
  diskPressure: 'node.kubernetes.io/disk-pressure',
  memoryPressure: 'node.kubernetes.io/memory-pressure',
  pidPressure: 'node.kubernetes.io/pid-pressure',
  unschedulable: 'node.kubernetes.io/unschedulable',
  networkUnavailable: 'node.kubernetes.io/network-unavailable',
} as const;

/**
 * Tolerations every daemon pod gets (upstream AddOrUpdateDaemonPodTolerations):
 * node problems must not evict or keep out the per-node agents that often
 * fix them. NoExecute ones have no tolerationSeconds, so they hold forever.
 */
export function defaultDaemonTolerations(hostNetwork: boolean): Toleration[] {
  const out: Toleration[] = [
    { key: taintKeys.notReady, operator: 'Exists', effect: 'NoExecute' },
    { key: taintKeys.unreachable, operator: 'Exists', effect: 'NoExecute' },
    { key: taintKeys.diskPressure, operator: 'Exists', effect: 'NoSchedule' },
    { key: taintKeys.memoryPressure, operator: 'Exists', effect: 'NoSchedule' },
    { key: taintKeys.pidPressure, operator: 'Exists', effect: 'NoSchedule' },
    { key: taintKeys.unschedulable, operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) out.push({ key: taintKeys.networkUnavailable, operator: 'Exists', effect: 'NoSchedule' });
  return out;
}

/** Same key, operator, value and effect: the identity upstream uses when adding or replacing one. */
function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
}

/** The pod spec's tolerations with the daemon defaults added or replaced (upstream AddOrUpdateTolerationInPodSpec). */
export function withDaemonTolerations(spec: Obj): Toleration[] {
  const out: Toleration[] = [...((spec['tolerations'] as Toleration[] | undefined) ?? [])];
  for (const t of defaultDaemonTolerations(spec['hostNetwork'] === true)) {
    const i = out.findIndex((o) => sameToleration(o, t));
    if (i < 0) out.push(t);
    else if (JSON.stringify(out[i]) !== JSON.stringify(t)) out[i] = t;
  }
  return out;
}

/** Upstream Toleration.ToleratesTaint: an empty key with Exists tolerates everything of its effect. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** The first taint passing `filter` that no toleration tolerates. */
export function untoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], filter: (t: Taint) => boolean): Taint | undefined {
  return taints.find((taint) => filter(taint) && !tolerations.some((t) => tolerates(t, taint)));
}

const operatorOf: Record<string, Requirement['op']> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: 'notexists', Gt: 'gt', Lt: 'lt' };

/** One node selector requirement against a set of values (labels, or the `metadata.name` field). */
function requirementMatches(req: Obj, values: Record<string, string>): boolean {
  const op = operatorOf[req['operator']];
  if (!op) return false;
  const vals: string[] = req['values'] ?? [];
  if ((op === 'gt' || op === 'lt') && (vals.length !== 1 || !/^-?\d+$/.test(vals[0]!))) return false;
  return selectorFrom([{ key: req['key'], op, values: vals }]).matches(values);
}

/**
 * A NodeSelectorTerm: all its expressions (on labels) and fields (only
 * `metadata.name`) hold. A term with neither matches no node.
 */
export function termMatches(term: Obj, node: Obj): boolean {
  const exprs: Obj[] = term['matchExpressions'] ?? [];
  const fields: Obj[] = term['matchFields'] ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = node['metadata']?.labels ?? {};
  const nodeFields = { 'metadata.name': node['metadata']?.name ?? '' };
  return exprs.every((r) => requirementMatches(r, labels)) && fields.every((r) => r['key'] === 'metadata.name' && requirementMatches(r, nodeFields));
}

/** The pod's nodeSelector and required node affinity (any term) both match the node (upstream GetRequiredNodeAffinity(pod).Match). */
export function requiredAffinityMatches(spec: Obj, node: Obj): boolean {
  const labels = node['metadata']?.labels ?? {};
  for (const [k, v] of Object.entries((spec['nodeSelector'] as Record<string, string> | undefined) ?? {})) if (labels[k] !== v) return false;
  const required = spec['affinity']?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  const terms: Obj[] = required['nodeSelectorTerms'] ?? [];
  return terms.some((t) => termMatches(t, node));
}

export interface Eligibility {
  /** A daemon pod should be created on the node if it has none. */
  shouldRun: boolean;
  /** A daemon pod already there may keep running. */
  shouldContinueRunning: boolean;
}

/** Upstream NodeShouldRunDaemonPod for the DaemonSet `ds` and `node`. */
export function nodeShouldRunDaemonPod(node: Obj, ds: Obj): Eligibility {
  const spec: Obj = ds['spec']?.template?.spec ?? {};
  const nodeName = node['metadata']?.name;
  if (spec['nodeName'] && spec['nodeName'] !== nodeName) return { shouldRun: false, shouldContinueRunning: false };
  if (!requiredAffinityMatches(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints: Taint[] = node['spec']?.taints ?? [];
  const tolerations = withDaemonTolerations(spec);
  const blocking = untoleratedTaint(taints, tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (blocking) {
    const evicting = untoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute');
    return { shouldRun: false, shouldContinueRunning: !evicting };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}
