/**
 * The DaemonSet's core loop, as a plan (upstream manage and
 * podsShouldBeOnNode): which nodes need a daemon pod and which pods must go.
 * Nodes that should run the DaemonSet get one pod; nodes that may no longer
 * keep it lose theirs; failed pods are replaced (with backoff) and
 * succeeded ones too; extra pods on a node are pruned to the oldest (or,
 * with maxSurge, to one old and one new while the new one is not yet
 * available). The caller performs the plan.
 */
import type { Obj } from '../../client/types.ts';
import { isPodAvailable, isPodReady } from '../common/pods.ts';
import { podRevisionLabel } from '../history/revision.ts';
import type { Backoff } from './backoff.ts';
import { nodeShouldRunDaemonPod } from './eligibility.ts';

export interface DaemonEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ManagePlan {
  /** Nodes to create a daemon pod on. */
  create: string[];
  /** Names of pods to delete. */
  delete: string[];
  events: DaemonEvent[];
  /** Look again after this long (a failed pod in backoff). */
  requeueAfterMs?: number;
}

/** Whether the update strategy lets a node hold an extra pod during a rollout (upstream AllowsSurge). */
export function allowsSurge(ds: Obj): boolean {
  const us = ds['spec']?.updateStrategy;
  if (us?.type !== 'RollingUpdate') return false;
  const surge = us.rollingUpdate?.maxSurge;
  return surge !== undefined && surge !== null && scaledValue(surge, 1, true) > 0;
}

/** An int-or-percent scaled against `total` (upstream GetScaledValueFromIntOrPercent). */
export function scaledValue(v: number | string | undefined | null, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    if (/^\d+$/.test(v)) return Number(v);
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** Bound pods first, then oldest, then by name (upstream podByCreationTimestampAndPhase). */
export function byAgeBoundFirst(a: Obj, b: Obj): number {
  const ab = !!a['spec']?.nodeName;
  const bb = !!b['spec']?.nodeName;
  if (ab !== bb) return ab ? -1 : 1;
  const ta = a['metadata']?.creationTimestamp ?? '';
  const tb = b['metadata']?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a['metadata'].name;
  const nb = b['metadata'].name;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

function failedBackoffKey(ds: Obj, node: string): string {
  return `${ds['metadata'].uid}/${ds['status']?.observedGeneration ?? 0}/${node}`;
}

/** What one node needs (upstream podsShouldBeOnNode). */
export function planNode(ds: Obj, node: Obj, pods: readonly Obj[] | undefined, hash: string, now: number, backoff: Backoff, plan: ManagePlan): void {
  const nodeName: string = node['metadata'].name;
  const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
  const exists = pods !== undefined && pods.length > 0;
  if (shouldRun && !exists) {
    plan.create.push(nodeName);
    return;
  }
  if (!shouldContinueRunning) {
    if (exists) for (const p of pods) if (!p['metadata'].deletionTimestamp) plan.delete.push(p['metadata'].name);
    return;
  }
  const running: Obj[] = [];
  for (const p of pods ?? []) {
    const m = p['metadata'];
    if (m.deletionTimestamp) continue;
    const phase = p['status']?.phase;
    if (phase === 'Failed') {
      const key = failedBackoffKey(ds, nodeName);
      if (backoff.inBackoffSinceUpdate(key, now)) {
        const delay = backoff.get(key);
        plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, delay);
        continue;
      }
      backoff.next(key, now);
      plan.events.push({ type: 'Warning', reason: 'FailedDaemonPod', message: `Found failed daemon pod ${m.namespace}/${m.name} on node ${nodeName}, will try to kill it` });
      plan.delete.push(m.name);
    } else if (phase === 'Succeeded') {
      plan.events.push({ type: 'Normal', reason: 'SucceededDaemonPod', message: `Found succeeded daemon pod ${m.namespace}/${m.name} on node ${nodeName}, will try to delete it` });
      plan.delete.push(m.name);
    } else running.push(p);
  }
  running.sort(byAgeBoundFirst);
  if (!allowsSurge(ds)) {
    // Without surge a node keeps only its oldest pod. When none is left
    // (the failed one is being replaced), the next sync creates one.
    for (const p of running.slice(1)) plan.delete.push(p['metadata'].name);
    return;
  }
  if (running.length <= 1) {
    if (running.length === 0 && shouldRun) plan.create.push(nodeName);
    return;
  }
  // Surging: keep the oldest current pod and the oldest old one; the old one
  // goes once it is unready or the new one is available.
  let oldestNew: Obj | undefined;
  let oldestOld: Obj | undefined;
  for (const p of running) {
    const current = p['metadata'].labels?.[podRevisionLabel] === hash;
    if (current && !oldestNew) oldestNew = p;
    else if (!current && !oldestOld) oldestOld = p;
    else plan.delete.push(p['metadata'].name);
  }
  if (oldestNew && oldestOld) {
    if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds['spec']?.minReadySeconds ?? 0, now)) plan.delete.push(oldestOld['metadata'].name);
  }
}

/**
 * The whole manage plan over all nodes, plus unbound pods aimed at nodes
 * that no longer exist (nothing else would ever remove those).
 */
export function planManage(ds: Obj, nodes: readonly Obj[], nodeToPods: Map<string, Obj[]>, hash: string, now: number, backoff: Backoff): ManagePlan {
  const plan: ManagePlan = { create: [], delete: [], events: [] };
  const existing = new Set<string>();
  for (const node of nodes) {
    existing.add(node['metadata'].name);
    planNode(ds, node, nodeToPods.get(node['metadata'].name), hash, now, backoff, plan);
  }
  for (const [nodeName, pods] of nodeToPods) {
    if (existing.has(nodeName)) continue;
    for (const p of pods) if (!p['spec']?.nodeName) plan.delete.push(p['metadata'].name);
  }
  return plan;
}
