/**
 * Rolling-update arithmetic, as upstream's deployment util: maxSurge and
 * maxUnavailable resolved from ints or percentages (surge rounds up,
 * unavailability down, and both zero means one may be unavailable), how far
 * the new ReplicaSet may grow, and proportional shares when scaling in the
 * middle of a rollout.
 */
import type { Obj } from '../../client/types.ts';
import { replicasOf, specReplicas } from './replica-sets.ts';
import { desiredReplicasOf, maxReplicasOf } from './annotations.ts';

/** Resolves an IntOrString against `total` (upstream's GetScaledValueFromIntOrPercent). */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export function isRollingUpdate(d: Obj): boolean {
  return d['spec']?.strategy?.type === 'RollingUpdate';
}

export function desired(d: Obj): number {
  return d['spec']?.replicas ?? 1;
}

/** [maxSurge, maxUnavailable] for the Deployment's replicas (upstream's ResolveFenceposts). */
export function fenceposts(d: Obj): [number, number] {
  const ru = d['spec']?.strategy?.rollingUpdate ?? {};
  const n = desired(d);
  const surge = scaledValue(ru.maxSurge, n, true);
  let unavailable = scaledValue(ru.maxUnavailable, n, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export function maxSurge(d: Obj): number {
  return isRollingUpdate(d) ? fenceposts(d)[0] : 0;
}

export function maxUnavailable(d: Obj): number {
  const n = desired(d);
  if (!isRollingUpdate(d) || n === 0) return 0;
  return Math.min(fenceposts(d)[1], n);
}

/** How many replicas the new set should have now (upstream's NewRSNewReplicas). */
export function newRSNewReplicas(d: Obj, all: readonly Obj[], newRS: Obj): number {
  if (!isRollingUpdate(d)) return desired(d);
  const current = specReplicas(all);
  const maxTotal = desired(d) + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, desired(d) - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** The new set already runs the Deployment's full size, all available (upstream's IsSaturated). */
export function isSaturated(d: Obj, rs: Obj | undefined): boolean {
  if (!rs) return false;
  const want = desired(d);
  return desiredReplicasOf(rs) === want && replicasOf(rs) === want && (rs['status']?.availableReplicas ?? 0) === want;
}

/** Go's math.Round: halves away from zero. */
function round(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * The change `rs` should get of `toAdd` replicas spread over all sets
 * (upstream's GetProportion): its share by its size against the size the
 * Deployment had when the set was last scaled (its max-replicas
 * annotation), bounded by what is left to hand out.
 */
export function proportion(rs: Obj, d: Obj, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = setFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function setFraction(rs: Obj, d: Obj): number {
  if (desired(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = desired(d) + maxSurge(d);
  const annotated = maxReplicasOf(rs) ?? d['status']?.replicas ?? 0;
  // Go divides floats: a zero denominator yields ±Inf, which rounds to an int32 limit; treat as "all of it".
  if (annotated === 0) return deploymentReplicas - replicasOf(rs);
  return round((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs);
}
