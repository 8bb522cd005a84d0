/**
 * Taints and tolerations as the node controllers use them: the well-known
 * node taint keys, which toleration tolerates which taint, and how long a
 * pod may stay on a node with NoExecute taints (upstream's
 * v1helper.GetMatchingTolerations and the taint manager's minimum
 * tolerationSeconds).
 */
import type { Obj } from '../../client/types.ts';

export const taintKeys = {
  notReady: 'node.kubernetes.io/not-ready',
  unreachable: 'node.kubernetes.io/unreachable',
  unschedulable: 'node.kubernetes.io/unschedulable',
  memoryPressure: 'node.kubernetes.io/memory-pressure',
  diskPressure: 'node.kubernetes.io/disk-pressure',
  pidPressure: 'node.kubernetes.io/pid-pressure',
  networkUnavailable: 'node.kubernetes.io/network-unavailable',
  outOfService: 'node.kubernetes.io/out-of-service',
} as const;

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal' | '';
  value?: string;
  effect?: TaintEffect | '';
  tolerationSeconds?: number | null;
}

/** The NoExecute taints the node lifecycle controller puts on nodes whose Ready condition is False / Unknown. */
export const notReadyNoExecute: Taint = { key: taintKeys.notReady, effect: 'NoExecute' };
export const unreachableNoExecute: Taint = { key: taintKeys.unreachable, effect: 'NoExecute' };

export function taintsOf(node: Obj | undefined): Taint[] {
  return (node?.['spec']?.taints as Taint[] | undefined) ?? [];
}

/** Same key and effect: how upstream identifies a taint (MatchTaint). */
export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function taintExists(taints: readonly Taint[], t: Taint): boolean {
  return taints.some((x) => sameTaint(x, t));
}

export function noExecuteTaints(taints: readonly Taint[]): Taint[] {
  return taints.filter((t) => t.effect === 'NoExecute');
}

/** Whether `tol` tolerates `taint` (upstream Toleration.ToleratesTaint). */
export function tolerates(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  switch (tol.operator ?? '') {
    case 'Exists':
      return true;
    case '':
    case 'Equal':
      return (tol.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/**
 * Whether every taint is tolerated, and for each taint the first toleration
 * that tolerates it. No taints: tolerated, none used.
 */
export function matchingTolerations(taints: readonly Taint[], tolerations: readonly Toleration[]): { all: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const t of taints) {
    const tol = tolerations.find((x) => tolerates(x, t));
    if (!tol) return { all: false, used: [] };
    used.push(tol);
  }
  return { all: true, used };
}

/**
 * How long the used tolerations let a pod stay, in ms: 0 for "evict now"
 * (no tolerations, or any tolerationSeconds ≤ 0), -1 for "forever" (none
 * has tolerationSeconds), else the smallest tolerationSeconds.
 */
export function minTolerationMs(used: readonly Toleration[]): number {
  if (used.length === 0) return 0;
  let min = Infinity;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? -1 : min * 1000;
}
