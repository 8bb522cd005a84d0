/**
 * Controller references and claiming, after upstream's ControllerRefManager
 * (pkg/controller/controller_ref_manager.go): a controller owns the objects
 * whose `ownerReferences` hold an entry with `controller: true` and its uid.
 * On each sync it claims what its selector matches: it keeps its own
 * matching objects, adopts matching orphans, and releases owned objects that
 * no longer match. Objects controlled by someone else are never touched.
 *
 * Shared by the ReplicaSet, Deployment, DaemonSet, StatefulSet and Job
 * controllers (each passes its own adopt/release writes).
 */
import { isApiError } from '../../api/errors.ts';
import type { Selector } from '../../api/selectors/label.ts';
import type { Obj } from '../../client/types.ts';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The owner reference marked `controller: true`, if any. */
export function controllerOf(obj: Obj): OwnerReference | undefined {
  const refs: OwnerReference[] | undefined = obj['metadata']?.ownerReferences;
  return refs?.find((r) => r.controller === true);
}

/** A controller reference to `owner`, as upstream's NewControllerRef (blockOwnerDeletion set, so foreground deletion waits). */
export function newControllerRef(owner: Obj, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner['metadata'].name, uid: owner['metadata'].uid, controller: true, blockOwnerDeletion: true };
}

/** Is `obj` controlled by the object with this uid? */
export function isControlledBy(obj: Obj, ownerUid: string): boolean {
  return controllerOf(obj)?.uid === ownerUid;
}

/** The strategic-merge patch upstream sends to adopt: the new reference, plus the object's uid as a precondition. */
export function adoptPatch(ref: OwnerReference, objUid: string): Obj {
  return { metadata: { ownerReferences: [ref], uid: objUid } };
}

/** The strategic-merge patch upstream sends to release: delete the owner's reference by uid (its merge key). */
export function releasePatch(ownerUid: string, objUid: string): Obj {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUid }], uid: objUid } };
}

export interface ClaimOptions {
  /** The claiming controller (read-only). */
  controller: Obj;
  selector: Selector;
  /** Writes the adoption; NotFound means the object went away (ignored). */
  adopt(obj: Obj): Promise<void>;
  /** Writes the release; NotFound and Invalid/Conflict (already changed) are ignored. */
  release(obj: Obj): Promise<void>;
  /**
   * Checked once before the first adoption: a fresh read of the controller
   * that throws if it is gone or being deleted (upstream's
   * RecheckDeletionTimestamp), because the cached copy may be stale.
   */
  canAdopt(): Promise<void>;
}

/**
 * Claims `objects` (all candidates in the controller's namespace) and
 * returns the ones the controller now owns. Adoption and release errors
 * other than "gone" are collected and the first is thrown after the pass,
 * as upstream aggregates them, so one bad object does not stop the rest.
 */
export async function claimObjects(objects: readonly Obj[], o: ClaimOptions): Promise<Obj[]> {
  const owner = o.controller['metadata'];
  const ownerDeleting = !!owner.deletionTimestamp;
  const claimed: Obj[] = [];
  const errs: unknown[] = [];
  let adoptCheck: Promise<void> | undefined;
  for (const obj of objects) {
    const m = obj['metadata'];
    const ref = controllerOf(obj);
    const matches = o.selector.matches(m.labels);
    try {
      if (ref) {
        if (ref.uid !== owner.uid) continue;
        if (matches) {
          claimed.push(obj);
          continue;
        }
        // Ours but no longer selected: let it go, unless we are going away
        // ourselves (the garbage collector then deals with it).
        if (ownerDeleting) continue;
        await o.release(obj).catch((e) => {
          if (!isApiError(e, 'NotFound') && !isApiError(e, 'Invalid') && !isApiError(e, 'Conflict')) throw e;
        });
        continue;
      }
      // An orphan: adopt it if selected, alive, and we are not being deleted.
      if (ownerDeleting || !matches || m.deletionTimestamp) continue;
      if (owner.namespace && owner.namespace !== m.namespace) continue;
      adoptCheck ??= o.canAdopt();
      await adoptCheck;
      let gone = false;
      await o.adopt(obj).catch((e) => {
        if (isApiError(e, 'NotFound')) gone = true;
        else throw e;
      });
      if (!gone) claimed.push(obj);
    } catch (e) {
      errs.push(e);
    }
  }
  if (errs.length) throw errs[0];
  return claimed;
}

/**
 * The adoption check upstream uses: re-read the controller uncached and
 * refuse if it is gone, replaced (another uid) or being deleted.
 */
export function recheckDeletion(kind: string, read: () => Promise<Obj>, uid: string): () => Promise<void> {
  return async () => {
    const fresh = await read();
    const m = fresh['metadata'];
    if (m.uid !== uid) throw new Error(`original ${kind} ${m.namespace}/${m.name} is gone: got uid ${m.uid}, wanted ${uid}`);
    if (m.deletionTimestamp) throw new Error(`${m.namespace}/${m.name} has just been deleted at ${m.deletionTimestamp}`);
  };
}
