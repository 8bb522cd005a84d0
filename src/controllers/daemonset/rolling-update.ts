/**
 * RollingUpdate for DaemonSets, as a plan (upstream rollingUpdate):
 * - without surge, old pods are deleted while no more than maxUnavailable
 *   nodes are without an available pod; the manage loop then creates the
 *   replacements. Old pods that are not available anyway go at once.
 * - with maxSurge, a new pod is created beside the old one on up to maxSurge
 *   nodes (at once where the old one is unavailable), and the old one is
 *   deleted when the new one becomes available.
 * Both counts are scaled against the number of nodes that should run the
 * DaemonSet, rounding up; if both come out 0, one node may be unavailable.
 */
import type { Obj } from '../../client/types.ts';
import { isPodAvailable } from '../common/pods.ts';
import { nodeShouldRunDaemonPod } from './eligibility.ts';
import { scaledValue } from './manage.ts';
import { isPodUpdated, templateGeneration } from './pod-template.ts';

export interface RolloutPlan {
  create: string[];
  delete: string[];
}

/** The non-deleted new and old pod on a node; `ok` false when there is more than one of either. */
export function updatedPodsOnNode(ds: Obj, pods: readonly Obj[], hash: string): { newPod?: Obj; oldPod?: Obj; ok: boolean } {
  let newPod: Obj | undefined;
  let oldPod: Obj | undefined;
  const generation = templateGeneration(ds);
  for (const p of pods) {
    if (p['metadata'].deletionTimestamp) continue;
    if (isPodUpdated(p, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/** maxSurge, maxUnavailable and the desired count; adds an empty entry for each eligible node without pods. */
export function desiredNodeCounts(ds: Obj, nodes: readonly Obj[], nodeToPods: Map<string, Obj[]>): { maxSurge: number; maxUnavailable: number; desired: number } {
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
    desired++;
    if (!nodeToPods.has(node['metadata'].name)) nodeToPods.set(node['metadata'].name, []);
  }
  const ru = ds['spec']?.updateStrategy?.type === 'RollingUpdate' ? ds['spec'].updateStrategy.rollingUpdate : undefined;
  let maxUnavailable = ru ? scaledValue(ru.maxUnavailable, desired, true) : 0;
  const maxSurge = ru ? scaledValue(ru.maxSurge, desired, true) : 0;
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, desired };
}

export function planRollingUpdate(ds: Obj, nodes: readonly Obj[], nodeToPods: Map<string, Obj[]>, hash: string, now: number): RolloutPlan {
  const minReady: number = ds['spec']?.minReadySeconds ?? 0;
  const available = (p: Obj) => isPodAvailable(p, minReady, now);
  const { maxSurge, maxUnavailable, desired } = desiredNodeCounts(ds, nodes, nodeToPods);
  const nodeByName = new Map(nodes.map((n) => [n['metadata'].name as string, n]));
  const shouldRun = (name: string) => {
    const n = nodeByName.get(name);
    return !!n && nodeShouldRunDaemonPod(n, ds).shouldRun;
  };

  if (maxSurge === 0) {
    let unavailable = 0;
    const replacements: string[] = [];
    const candidates: string[] = [];
    for (const pods of nodeToPods.values()) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(ds, pods, hash);
      if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) {
        // The manage loop will fix this node; until then it counts as unavailable.
        unavailable++;
      } else if (newPod) {
        if (!available(newPod)) unavailable++;
      } else if (!available(oldPod!)) {
        replacements.push(oldPod!['metadata'].name);
        unavailable++;
      } else if (unavailable < maxUnavailable) {
        candidates.push(oldPod!['metadata'].name);
      }
    }
    const room = Math.min(Math.max(maxUnavailable - unavailable, 0), candidates.length);
    return { create: [], delete: [...replacements, ...candidates.slice(0, room)] };
  }

  const toDelete: string[] = [];
  const shouldNotRunToDelete: string[] = [];
  const candidateNodes: string[] = [];
  const allowedNodes: string[] = [];
  let surged = 0;
  let numAvailable = 0;
  for (const [nodeName, pods] of nodeToPods) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(ds, pods, hash);
    if (!ok) {
      surged++;
      continue;
    }
    if (oldPod ? available(oldPod) : newPod ? available(newPod) : false) numAvailable++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun(nodeName)) toDelete.push(oldPod['metadata'].name);
        else allowedNodes.push(nodeName);
        continue;
      }
      if (!shouldRun(nodeName)) {
        shouldNotRunToDelete.push(oldPod['metadata'].name);
        continue;
      }
      if (surged >= maxSurge) continue;
      candidateNodes.push(nodeName);
      continue;
    }
    if (!available(newPod)) {
      surged++;
      continue;
    }
    toDelete.push(oldPod['metadata'].name);
  }
  // With surge the owner expects full availability: pods on nodes the
  // DaemonSet left go only as others elsewhere are available.
  const deletable = Math.min(Math.max(numAvailable - desired, 0), shouldNotRunToDelete.length);
  toDelete.push(...shouldNotRunToDelete.slice(0, deletable));
  const room = Math.min(Math.max(maxSurge - surged, 0), candidateNodes.length);
  return { create: [...allowedNodes, ...candidateNodes.slice(0, room)], delete: toDelete };
}
