/**
 * Taints and tolerations, as upstream core/v1 helpers (ToleratesTaint,
 * FindMatchingUntoleratedTaint).
 */
import type { Obj } from '../../client/types.ts';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** The taint `spec.unschedulable` stands for; tolerating it tolerates a cordon. */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export function taintsOf(node: Obj | undefined): Taint[] {
  const t = node?.['spec']?.taints;
  return Array.isArray(t) ? t : [];
}

export function tolerationsOf(pod: Obj): Toleration[] {
  const t = pod['spec']?.tolerations;
  return Array.isArray(t) ? t : [];
}

/** Whether one toleration tolerates one taint: an empty key with Exists matches every key. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tols: readonly Toleration[], taint: Taint): boolean {
  for (const t of tols) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** NoSchedule and NoExecute: the effects that keep a pod off a node. */
export const doNotScheduleTaints = (t: Taint): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

/** The first taint passing `filter` that no toleration tolerates. */
export function findUntoleratedTaint(taints: readonly Taint[], tols: readonly Toleration[], filter: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints) {
    if (!filter(taint)) continue;
    if (!tolerationsTolerateTaint(tols, taint)) return taint;
  }
  return undefined;
}
