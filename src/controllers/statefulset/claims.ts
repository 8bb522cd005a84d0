/**
 * The PersistentVolumeClaims of StatefulSet pods and their retention policy
 * (upstream getPersistentVolumeClaims, isClaimOwnerUpToDate and
 * updateClaimOwnerRefForSetAndPod). Claims are never deleted by this
 * controller: the policy is carried out by owner references, so the garbage
 * collector deletes a claim with the set (`whenDeleted: Delete`: the set
 * owns the claims of pods in range) or with its scaled-down pod
 * (`whenScaled: Delete`: a condemned pod owns its claims).
 */
import type { Obj } from '../../client/types.ts';
import { newControllerRef, type OwnerReference } from '../common/controller-ref.ts';
import { claimName, inOrdinalRange, ordinalOf } from './identity.ts';

/** The claims `pod` needs, by template name, built from the set's volumeClaimTemplates. */
export function claimsFor(set: Obj, pod: Obj): Map<string, Obj> {
  const ordinal = ordinalOf(pod);
  const out = new Map<string, Obj>();
  const selectorLabels: Record<string, string> = set['spec']?.selector?.matchLabels ?? {};
  for (const t of (set['spec']?.volumeClaimTemplates ?? []) as Obj[]) {
    const tm: Obj = t['metadata'] ?? {};
    const metadata: Obj = { name: claimName(set, t, ordinal), namespace: set['metadata'].namespace, labels: { ...(tm['labels'] ?? {}), ...selectorLabels } };
    if (tm['annotations']) metadata['annotations'] = { ...tm['annotations'] };
    out.set(tm['name'], { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata, spec: structuredClone(t['spec'] ?? {}) });
  }
  return out;
}

type Policy = 'Retain' | 'Delete';

function retention(set: Obj): { whenDeleted: Policy; whenScaled: Policy } {
  const p = set['spec']?.persistentVolumeClaimRetentionPolicy ?? {};
  return { whenDeleted: p.whenDeleted === 'Delete' ? 'Delete' : 'Retain', whenScaled: p.whenScaled === 'Delete' ? 'Delete' : 'Retain' };
}

const refs = (o: Obj): OwnerReference[] => o['metadata']?.ownerReferences ?? [];

/** Does the reference name this object (API version, kind and name; any uid)? */
function namesObject(ref: OwnerReference, obj: Obj, apiVersion: string, kind: string): boolean {
  return ref.apiVersion === apiVersion && ref.kind === kind && ref.name === obj['metadata'].name;
}

function hasOwnerRef(claim: Obj, owner: Obj): boolean {
  const uid = owner['metadata'].uid;
  return refs(claim).some((r) => r.uid === uid);
}

/** A reference by name to an earlier object of that name: the claim belongs to a predecessor. */
export function hasStaleOwnerRef(claim: Obj, obj: Obj, apiVersion: string, kind: string): boolean {
  const r = refs(claim).find((x) => namesObject(x, obj, apiVersion, kind));
  return !!r && r.uid !== (obj['metadata'].uid ?? '');
}

function hasUnexpectedController(claim: Obj, set: Obj, pod: Obj): boolean {
  const p = retention(set);
  if (p.whenScaled === 'Retain' && p.whenDeleted === 'Retain') return false;
  for (const r of refs(claim)) {
    if (namesObject(r, set, 'apps/v1', 'StatefulSet')) {
      if (r.uid !== set['metadata'].uid) return true;
      continue;
    }
    if (namesObject(r, pod, 'v1', 'Pod')) {
      if (r.uid !== pod['metadata'].uid) return true;
      continue;
    }
    if (r.controller) return true;
  }
  return false;
}

function hasNonControllerOwner(claim: Obj, set: Obj, pod: Obj): boolean {
  return refs(claim).some((r) => (r.uid === set['metadata'].uid || r.uid === pod['metadata'].uid) && !r.controller);
}

/** Are the claim's owner references what the retention policy asks for this pod? */
export function claimOwnerUpToDate(claim: Obj, set: Obj, pod: Obj): boolean {
  if (hasStaleOwnerRef(claim, set, 'apps/v1', 'StatefulSet') || hasStaleOwnerRef(claim, pod, 'v1', 'Pod')) return true;
  if (hasUnexpectedController(claim, set, pod)) return !(hasOwnerRef(claim, set) || hasOwnerRef(claim, pod));
  if (hasNonControllerOwner(claim, set, pod)) return false;
  const p = retention(set);
  const scaledDown = !inOrdinalRange(set, pod);
  const wantSet = p.whenDeleted === 'Delete' && !(p.whenScaled === 'Delete' && scaledDown);
  const wantPod = p.whenScaled === 'Delete' && scaledDown;
  return hasOwnerRef(claim, set) === wantSet && hasOwnerRef(claim, pod) === wantPod;
}

/** Rewrites the claim's references to the set and pod as the policy asks (in place). */
export function setClaimOwnerRefs(claim: Obj, set: Obj, pod: Obj): void {
  const unexpected = hasUnexpectedController(claim, set, pod);
  const kept = refs(claim).filter((r) => !namesObject(r, set, 'apps/v1', 'StatefulSet') && !namesObject(r, pod, 'v1', 'Pod'));
  const m = claim['metadata'];
  if (!unexpected) {
    const p = retention(set);
    const scaledDown = !inOrdinalRange(set, pod);
    if (p.whenScaled === 'Delete' && scaledDown) kept.push(newControllerRef(pod, 'v1', 'Pod'));
    else if (p.whenDeleted === 'Delete') kept.push(newControllerRef(set, 'apps/v1', 'StatefulSet'));
  }
  if (kept.length) m.ownerReferences = kept;
  else delete m.ownerReferences;
}
