/**
 * Writes the StatefulSet controller makes to pods and claims, with the
 * events upstream's StatefulPodControl records on the set:
 * `create Pod web-0 in StatefulSet web successful`,
 * `create Claim data-web-0 Pod web-0 in StatefulSet web success`, …
 */
import { isApiError } from '../../api/errors.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { errorText } from '../common/pod-control.ts';
import { claimOwnerUpToDate, claimsFor, hasStaleOwnerRef, setClaimOwnerRefs } from './claims.ts';
import { identityMatches, storageMatches, updateIdentity, updateStorage } from './identity.ts';

function titleCase(verb: string): string {
  return verb.charAt(0).toUpperCase() + verb.slice(1);
}

export class StatefulPodControl {
  private readonly client: Client;
  private readonly recorder: EventRecorder;
  private readonly claims: Informer;

  constructor(client: Client, recorder: EventRecorder, claims: Informer) {
    this.client = client;
    this.recorder = recorder;
    this.claims = claims;
  }

  private podEvent(verb: string, set: Obj, pod: Obj, err?: unknown): void {
    const name = pod['metadata'].name;
    const setName = set['metadata'].name;
    if (err === undefined) this.recorder.event(set, 'Normal', `Successful${titleCase(verb)}`, `${verb} Pod ${name} in StatefulSet ${setName} successful`);
    else this.recorder.event(set, 'Warning', `Failed${titleCase(verb)}`, `${verb} Pod ${name} in StatefulSet ${setName} failed error: ${errorText(err)}`);
  }

  private claimEvent(verb: string, set: Obj, pod: Obj, claim: Obj, err?: unknown): void {
    const what = `${verb} Claim ${claim['metadata'].name} Pod ${pod['metadata'].name} in StatefulSet ${set['metadata'].name}`;
    if (err === undefined) this.recorder.event(set, 'Normal', `Successful${titleCase(verb)}`, `${what} success`);
    else this.recorder.event(set, 'Warning', `Failed${titleCase(verb)}`, `${what} failed error: ${errorText(err)}`);
  }

  private cachedClaim(namespace: string, name: string): Obj | undefined {
    return this.claims.getByName(namespace, name);
  }

  /** Creates the pod's missing claims; a claim being deleted is an error (wait for it to go). */
  async createMissingClaims(set: Obj, pod: Obj): Promise<void> {
    for (const claim of claimsFor(set, pod).values()) {
      const m = claim['metadata'];
      const existing = this.cachedClaim(m.namespace, m.name);
      if (existing) {
        if (existing['metadata'].deletionTimestamp) throw new Error(`pvc ${m.name} is being deleted`);
        continue;
      }
      try {
        await this.client.create(resources.persistentvolumeclaims, m.namespace, claim);
      } catch (e) {
        if (isApiError(e, 'AlreadyExists')) continue;
        this.claimEvent('create', set, pod, claim, e);
        throw new Error(`failed to create PVC ${m.name}: ${errorText(e)}`, { cause: e });
      }
      this.claimEvent('create', set, pod, claim);
    }
  }

  /** A claim still owned by an earlier pod of this name: wait for the garbage collector (upstream PodClaimIsStale). */
  claimIsStale(set: Obj, pod: Obj): boolean {
    if (set['spec']?.persistentVolumeClaimRetentionPolicy?.whenScaled !== 'Delete') return false;
    for (const claim of claimsFor(set, pod).values()) {
      const existing = this.cachedClaim(claim['metadata'].namespace, claim['metadata'].name);
      if (existing && hasStaleOwnerRef(existing, pod, 'v1', 'Pod')) return true;
    }
    return false;
  }

  /** Claims first, then the pod; returns the created pod. AlreadyExists is rethrown (a stale cache). */
  async createPod(set: Obj, pod: Obj): Promise<Obj> {
    try {
      await this.createMissingClaims(set, pod);
    } catch (e) {
      this.podEvent('create', set, pod, e);
      throw e;
    }
    let created: Obj;
    try {
      created = await this.client.create(resources.pods, pod['metadata'].namespace, pod);
    } catch (e) {
      if (!isApiError(e, 'AlreadyExists')) this.podEvent('create', set, pod, e);
      throw e;
    }
    this.podEvent('create', set, pod);
    await this.updateClaimsForRetention(set, created);
    return created;
  }

  async deletePod(set: Obj, pod: Obj): Promise<void> {
    const m = pod['metadata'];
    try {
      await this.client.delete(resources.pods, m.namespace, m.name, { preconditions: { uid: m.uid } });
    } catch (e) {
      if (isApiError(e, 'NotFound')) return;
      this.podEvent('delete', set, pod, e);
      throw e;
    }
    this.podEvent('delete', set, pod);
  }

  /** Do all the pod's existing claims carry the references the retention policy asks for? */
  claimsMatchRetention(set: Obj, pod: Obj): boolean {
    for (const claim of claimsFor(set, pod).values()) {
      const existing = this.cachedClaim(claim['metadata'].namespace, claim['metadata'].name);
      if (existing && !claimOwnerUpToDate(existing, set, pod)) return false;
    }
    return true;
  }

  /** Rewrites the owner references of the pod's claims that do not match the retention policy. */
  async updateClaimsForRetention(set: Obj, pod: Obj): Promise<void> {
    for (const claim of claimsFor(set, pod).values()) {
      const existing = this.cachedClaim(claim['metadata'].namespace, claim['metadata'].name);
      if (!existing || claimOwnerUpToDate(existing, set, pod)) continue;
      const clone = structuredClone(existing);
      setClaimOwnerRefs(clone, set, pod);
      try {
        await this.client.update(resources.persistentvolumeclaims, clone['metadata'].namespace, clone);
      } catch (e) {
        if (isApiError(e, 'NotFound')) continue;
        throw new Error(`could not update claim ${clone['metadata'].name} for retention policy: ${errorText(e)}`, { cause: e });
      }
    }
  }

  /** Brings a live pod's identity, storage and claims back in line with the set (upstream UpdateStatefulPod). */
  async updatePod(set: Obj, pod: Obj): Promise<void> {
    let current = structuredClone(pod);
    for (let attempt = 0; ; attempt++) {
      let changed = false;
      if (!identityMatches(set, current)) {
        updateIdentity(set, current);
        changed = true;
      }
      if (!storageMatches(set, current)) {
        updateStorage(set, current);
        changed = true;
        await this.createMissingClaims(set, current);
      }
      if (!this.claimsMatchRetention(set, current)) await this.updateClaimsForRetention(set, current);
      if (!changed) return;
      try {
        await this.client.update(resources.pods, current['metadata'].namespace, current);
        this.podEvent('update', set, current);
        return;
      } catch (e) {
        if (!isApiError(e, 'Conflict') || attempt >= 5) {
          this.podEvent('update', set, current, e);
          throw e;
        }
        current = await this.client.get(resources.pods, pod['metadata'].namespace, pod['metadata'].name);
      }
    }
  }
}
