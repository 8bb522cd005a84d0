/**
 * Facts about a Deployment's ReplicaSets, as upstream's deployment util and
 * controller_utils: which set is "new" (its template equals the
 * Deployment's, ignoring `pod-template-hash`), orderings, and replica sums.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Obj } from '../../client/types.ts';

export const podTemplateHashLabel = 'pod-template-hash';

export function replicasOf(rs: Obj | undefined): number {
  return rs?.['spec']?.replicas ?? 0;
}

function createdMs(o: Obj): number {
  const t = o['metadata']?.creationTimestamp;
  return t ? Date.parse(t) || 0 : 0;
}

/** Oldest first; equal times by name (upstream's ReplicaSetsByCreationTimestamp). */
export function byCreation(a: Obj, b: Obj): number {
  const d = createdMs(a) - createdMs(b);
  if (d !== 0) return d;
  const an: string = a['metadata'].name;
  const bn: string = b['metadata'].name;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/** Larger first; ties older first (ReplicaSetsBySizeOlder). */
export function bySizeOlder(a: Obj, b: Obj): number {
  return replicasOf(b) - replicasOf(a) || byCreation(a, b);
}

/** Larger first; ties newer first (ReplicaSetsBySizeNewer). */
export function bySizeNewer(a: Obj, b: Obj): number {
  return replicasOf(b) - replicasOf(a) || byCreation(b, a);
}

export function revisionOf(rs: Obj): number {
  const v = rs['metadata']?.annotations?.['deployment.kubernetes.io/revision'];
  if (v === undefined) return 0;
  return /^\d+$/.test(v) ? Number(v) : NaN;
}

/** By revision, then creation (ReplicaSetsByRevision), for history cleanup. */
export function byRevision(a: Obj, b: Obj): number {
  const ra = revisionOf(a) || 0;
  const rb = revisionOf(b) || 0;
  return ra - rb || byCreation(a, b);
}

/** Highest revision among the sets (unparsable revisions are skipped). */
export function maxRevision(sets: readonly Obj[]): number {
  let max = 0;
  for (const rs of sets) {
    const v = revisionOf(rs);
    if (!Number.isNaN(v) && v > max) max = v;
  }
  return max;
}

/**
 * Drops what Go's semantic equality cannot see: null, empty maps and empty
 * lists equal absent ones (apimachinery's DeepEqual treats nil and empty
 * alike), so a template round-tripped through JSON still compares equal.
 */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? v.map(normalize) : undefined;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalize(x);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v === null ? undefined : v;
}

/** Template equality ignoring the `pod-template-hash` label (upstream's EqualIgnoreHash). */
export function equalIgnoreHash(t1: Obj | undefined, t2: Obj | undefined): boolean {
  const strip = (t: Obj | undefined): unknown => {
    if (!t) return undefined;
    const labels = { ...(t['metadata']?.labels ?? {}) };
    delete labels[podTemplateHashLabel];
    return normalize({ ...t, metadata: { ...(t['metadata'] ?? {}), labels } });
  };
  return isDeepStrictEqual(strip(t1), strip(t2));
}

/** The oldest set whose template equals the Deployment's: the "new" ReplicaSet. */
export function findNewReplicaSet(d: Obj, sets: readonly Obj[]): Obj | undefined {
  return [...sets].sort(byCreation).find((rs) => equalIgnoreHash(rs['spec']?.template, d['spec']?.template));
}

/** Every set except the new one. */
export function findOldReplicaSets(d: Obj, sets: readonly Obj[]): Obj[] {
  const fresh = findNewReplicaSet(d, sets);
  return sets.filter((rs) => rs['metadata'].uid !== fresh?.['metadata'].uid);
}

/** Sets with replicas wanted (spec.replicas > 0). */
export function activeSets(sets: readonly (Obj | undefined)[]): Obj[] {
  return sets.filter((rs): rs is Obj => !!rs && replicasOf(rs) > 0);
}

/** Sum of spec.replicas. */
export function specReplicas(sets: readonly (Obj | undefined)[]): number {
  return sets.reduce((n, rs) => n + (rs ? replicasOf(rs) : 0), 0);
}

/** Sum of a status counter. */
export function statusSum(sets: readonly (Obj | undefined)[], field: 'replicas' | 'readyReplicas' | 'availableReplicas'): number {
  return sets.reduce((n, rs) => n + (rs?.['status']?.[field] ?? 0), 0);
}
