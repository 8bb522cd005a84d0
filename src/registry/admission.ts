/**
 * Admission plugins, in upstream's order for a write:
 *   decode → defaults → mutating admission → prepare + validate →
 *   validating admission → storage.
 * Mutating plugins may change the object (LimitRange defaults, default
 * tolerations, the default ServiceAccount); validating plugins may only
 * refuse (ResourceQuota). A refusal is a thrown ApiError, usually 403
 * Forbidden worded as upstream.
 *
 * Plugins live in src/admission/, one file each, listed in its index.
 */
import type { GroupResource } from '../api/errors.ts';
import type { UserInfo } from '../apiserver/http.ts';
import type { GVK, Obj } from './types.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionRequest {
  operation: Operation;
  kind: GVK;
  resource: GroupResource;
  /** '' for the main resource, else e.g. 'status', 'scale', 'binding'. */
  subresource: string;
  namespace: string;
  name: string;
  /** The object being written (mutable for mutating plugins); for DELETE, the stored one. */
  object: Obj;
  /** The stored object for UPDATE and DELETE. */
  oldObject?: Obj;
  user: UserInfo;
  dryRun: boolean;
}

export interface AdmissionPlugin {
  name: string;
  /** Called for every write; may change `req.object`. */
  mutate?(req: AdmissionRequest): Promise<void> | void;
  /** Called for every write after object validation; may only refuse. */
  validate?(req: AdmissionRequest): Promise<void> | void;
}

export async function runMutating(plugins: readonly AdmissionPlugin[], req: AdmissionRequest): Promise<void> {
  for (const p of plugins) if (p.mutate) await p.mutate(req);
}

export async function runValidating(plugins: readonly AdmissionPlugin[], req: AdmissionRequest): Promise<void> {
  for (const p of plugins) if (p.validate) await p.validate(req);
}
