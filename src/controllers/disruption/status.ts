/**
 * A PodDisruptionBudget's status, as upstream's disruption controller
 * computes it: healthy pods (Ready, not being deleted, not just evicted),
 * the disruptedPods map the eviction API fills and this controller prunes,
 * disruptionsAllowed, and the DisruptionAllowed condition.
 */
import type { Obj } from '../../client/types.ts';
import { isPodReady, parseTime, timeString } from '../node-lifecycle/conditions.ts';

/** How long an evicted pod may take to be deleted before it counts again (upstream DeletionTimeout). */
export const deletionTimeoutMs = 2 * 60 * 1000;

export interface MetaCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export const disruptionAllowed = 'DisruptionAllowed';

/**
 * Keeps the disruptedPods entries of pods still present, not yet being
 * deleted and within the deletion timeout; returns when to look again and
 * the pods that overran it (upstream buildDisruptedPodMap).
 */
export function buildDisruptedPods(pods: readonly Obj[], pdb: Obj, now: number): { disrupted: Record<string, string>; recheckAt?: number; overdue: Obj[] } {
  const previous: Record<string, string> | undefined = pdb['status']?.disruptedPods;
  const disrupted: Record<string, string> = {};
  const overdue: Obj[] = [];
  let recheckAt: number | undefined;
  if (!previous) return { disrupted, overdue };
  for (const pod of pods) {
    if (pod['metadata'].deletionTimestamp) continue;
    const at = previous[pod['metadata'].name];
    if (at === undefined) continue;
    const expected = parseTime(at) + deletionTimeoutMs;
    if (expected < now) {
      overdue.push(pod);
      continue;
    }
    if (recheckAt === undefined || expected < recheckAt) recheckAt = expected;
    disrupted[pod['metadata'].name] = at;
  }
  return { disrupted, recheckAt, overdue };
}

export function countHealthy(pods: readonly Obj[], disrupted: Record<string, string>, now: number): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod['metadata'].deletionTimestamp) continue;
    const at = disrupted[pod['metadata'].name];
    if (at !== undefined && parseTime(at) + deletionTimeoutMs > now) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

/** Sets (or replaces) a condition, moving lastTransitionTime only when the status changes (apimeta.SetStatusCondition). */
export function setCondition(conditions: MetaCondition[], c: Omit<MetaCondition, 'lastTransitionTime'>, now: number): MetaCondition[] {
  const old = conditions.find((x) => x.type === c.type);
  const next: MetaCondition = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : timeString(now) };
  return old ? conditions.map((x) => (x === old ? next : x)) : [...conditions, next];
}

/** The condition a status with this many allowed disruptions should carry. */
function allowedCondition(allowed: number, observedGeneration: number): Omit<MetaCondition, 'lastTransitionTime'> {
  return allowed > 0
    ? { type: disruptionAllowed, status: 'True', reason: 'SufficientPods', message: '', observedGeneration }
    : { type: disruptionAllowed, status: 'False', reason: 'InsufficientPods', message: '', observedGeneration };
}

/** Whether the stored condition already matches the stored counts and generation (upstream ConditionsAreUpToDate). */
function conditionsUpToDate(pdb: Obj): boolean {
  const st = pdb['status'] ?? {};
  const c = (st.conditions as MetaCondition[] | undefined)?.find((x) => x.type === disruptionAllowed);
  if (!c || (st.observedGeneration ?? 0) !== (pdb['metadata'].generation ?? 0)) return false;
  return (st.disruptionsAllowed ?? 0) > 0 ? c.status === 'True' && c.reason === 'SufficientPods' : c.status === 'False' && c.reason === 'InsufficientPods';
}

const sameMap = (a: Record<string, string> | undefined, b: Record<string, string>) => {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => a![k] === b[k]);
};

export interface Counts {
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  disrupted: Record<string, string>;
}

/** The new status, or undefined when the stored one is already right (no write: flash wear). */
export function nextStatus(pdb: Obj, c: Counts, now: number): Obj | undefined {
  // expectedPods must be > 0, so a budget whose pods appear before this controller catches up is safe.
  let allowed = c.currentHealthy - c.desiredHealthy;
  if (c.expectedPods <= 0 || allowed <= 0) allowed = 0;
  const st = pdb['status'] ?? {};
  const generation = pdb['metadata'].generation ?? 0;
  if (
    (st.currentHealthy ?? 0) === c.currentHealthy &&
    (st.desiredHealthy ?? 0) === c.desiredHealthy &&
    (st.expectedPods ?? 0) === c.expectedPods &&
    (st.disruptionsAllowed ?? 0) === allowed &&
    sameMap(st.disruptedPods, c.disrupted) &&
    (st.observedGeneration ?? 0) === generation &&
    conditionsUpToDate(pdb)
  ) {
    return undefined;
  }
  const status: Obj = {
    observedGeneration: generation,
    ...(Object.keys(c.disrupted).length ? { disruptedPods: c.disrupted } : {}),
    disruptionsAllowed: allowed,
    currentHealthy: c.currentHealthy,
    desiredHealthy: c.desiredHealthy,
    expectedPods: c.expectedPods,
  };
  status['conditions'] = setCondition(st.conditions ?? [], allowedCondition(allowed, generation), now);
  return status;
}

/** The status after a failed sync: nothing may be disrupted until a sync succeeds (upstream failSafe). */
export function failSafeStatus(pdb: Obj, err: unknown, now: number): Obj {
  const st = structuredClone(pdb['status'] ?? {});
  st.disruptionsAllowed = 0;
  const message = err instanceof Error ? err.message : String(err);
  st.conditions = setCondition(st.conditions ?? [], { type: disruptionAllowed, status: 'False', reason: 'SyncFailed', message, observedGeneration: st.observedGeneration ?? 0 }, now);
  return st;
}
