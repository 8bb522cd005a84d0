/**
 * DaemonSet status (upstream updateDaemonSetStatus): per node that should
 * run the DaemonSet, whether it has a pod (scheduled or aimed at it), and
 * whether the oldest of them is ready, available and current; pods on
 * nodes that should not run it are misscheduled.
 */
import type { Obj } from '../../client/types.ts';
import { isPodAvailable, isPodReady } from '../common/pods.ts';
import { nodeShouldRunDaemonPod } from './eligibility.ts';
import { byAgeBoundFirst } from './manage.ts';
import { isPodUpdated, templateGeneration } from './pod-template.ts';

export interface DaemonSetCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable: number;
}

export function computeStatus(ds: Obj, nodes: readonly Obj[], nodeToPods: Map<string, Obj[]>, hash: string, now: number): DaemonSetCounts {
  const c: DaemonSetCounts = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
    numberUnavailable: 0,
  };
  const generation = templateGeneration(ds);
  const minReady: number = ds['spec']?.minReadySeconds ?? 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodeToPods.get(node['metadata'].name) ?? [];
    if (!shouldRun) {
      if (pods.length) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    if (!pods.length) continue;
    c.currentNumberScheduled++;
    const pod = [...pods].sort(byAgeBoundFirst)[0]!;
    if (isPodReady(pod)) {
      c.numberReady++;
      if (isPodAvailable(pod, minReady, now)) c.numberAvailable++;
    }
    if (isPodUpdated(pod, hash, generation)) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}

/** True when the stored status already says this and has seen the current generation (nothing to write). */
export function statusUnchanged(ds: Obj, counts: DaemonSetCounts): boolean {
  const s: Obj = ds['status'] ?? {};
  for (const [k, v] of Object.entries(counts)) if ((s[k] ?? 0) !== v) return false;
  return (s['observedGeneration'] ?? 0) >= (ds['metadata'].generation ?? 0);
}
