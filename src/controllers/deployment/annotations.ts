/**
 * The annotations a Deployment and its ReplicaSets carry, as upstream:
 * - `deployment.kubernetes.io/revision` on both (kubectl rollout history
 *   and undo read it); a re-adopted old set gets the next revision and
 *   remembers its earlier ones in `revision-history`;
 * - `desired-replicas` and `max-replicas` on sets, recording the
 *   Deployment's size (and size plus surge) when the set was last scaled;
 * - every other Deployment annotation (e.g. `kubernetes.io/change-cause`)
 *   copied onto its new set.
 */
import type { Obj } from '../../client/types.ts';

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** Upstream's limit on the revision-history annotation's length. */
const maxRevisionHistoryChars = 2000;

const notCopied = new Set([
  lastAppliedAnnotation,
  revisionAnnotation,
  revisionHistoryAnnotation,
  desiredReplicasAnnotation,
  maxReplicasAnnotation,
  'deprecated.deployment.rollback.to',
]);

function intAnnotation(rs: Obj, key: string): number | undefined {
  const v = rs['metadata']?.annotations?.[key];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

export function desiredReplicasOf(rs: Obj): number | undefined {
  return intAnnotation(rs, desiredReplicasAnnotation);
}

export function maxReplicasOf(rs: Obj): number | undefined {
  return intAnnotation(rs, maxReplicasAnnotation);
}

function annotationsOf(o: Obj): Record<string, string> {
  const m = o['metadata'];
  m.annotations ??= {};
  return m.annotations;
}

/** Sets desired/max-replicas on `rs` (a copy the caller owns); true if anything changed. */
export function setReplicasAnnotations(rs: Obj, desired: number, max: number): boolean {
  const a = annotationsOf(rs);
  let changed = false;
  if (a[desiredReplicasAnnotation] !== String(desired)) {
    a[desiredReplicasAnnotation] = String(desired);
    changed = true;
  }
  if (a[maxReplicasAnnotation] !== String(max)) {
    a[maxReplicasAnnotation] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: Obj, desired: number, max: number): boolean {
  const a = rs['metadata']?.annotations ?? {};
  return a[desiredReplicasAnnotation] !== String(desired) || a[maxReplicasAnnotation] !== String(max);
}

/**
 * Brings the new set's annotations up to date (upstream's
 * SetNewReplicaSetAnnotations): copies the Deployment's, raises the
 * revision to `newRevision` when lower (keeping the old number in the
 * history), and for a set about to be created sets the replica
 * annotations. `rs` is a copy the caller owns; returns whether it changed.
 */
export function setNewReplicaSetAnnotations(d: Obj, rs: Obj, newRevision: number, exists: boolean, max: number): boolean {
  const a = annotationsOf(rs);
  let changed = false;
  for (const [k, v] of Object.entries((d['metadata']?.annotations ?? {}) as Record<string, string>)) {
    if (notCopied.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const had = Object.prototype.hasOwnProperty.call(a, revisionAnnotation);
  const oldText = a[revisionAnnotation] ?? '';
  if (oldText !== '' && !/^-?\d+$/.test(oldText)) return false;
  const old = oldText === '' ? 0 : Number(oldText);
  if (old < newRevision) {
    a[revisionAnnotation] = String(newRevision);
    changed = true;
    // A set that had a revision and gets a newer one is being rolled back to: keep its history.
    if (had) {
      const history = a[revisionHistoryAnnotation] ?? '';
      if (history === '') a[revisionHistoryAnnotation] = oldText;
      else {
        const parts = history.split(',');
        let total = history.length + oldText.length + 1;
        let start = 0;
        while (total > maxRevisionHistoryChars && start < parts.length) total -= parts[start++]!.length + 1;
        if (total <= maxRevisionHistoryChars) a[revisionHistoryAnnotation] = [...parts.slice(start), oldText].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, d['spec']?.replicas ?? 1, max)) changed = true;
  return changed;
}
