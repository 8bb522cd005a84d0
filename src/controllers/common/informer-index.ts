/**
 * Index names and functions shared by the workload controllers, so a
 * shared informer gets each index once whoever registers it first.
 */
import { byNamespace, type Informer } from '../../client/informer.ts';
import type { Obj } from '../../client/types.ts';
import { controllerOf } from './controller-ref.ts';

export const namespaceIndex = 'namespace';
export const controllerUidIndex = 'controllerUID';

const byControllerUid = (o: Obj): string[] => {
  const ref = controllerOf(o);
  return ref ? [ref.uid] : [];
};

/** Adds the namespace and controller-uid indexes (idempotent: same name, same function). */
export function addWorkloadIndexes(inf: Informer): void {
  inf.addIndex(namespaceIndex, byNamespace);
  inf.addIndex(controllerUidIndex, byControllerUid);
}

/** Cached objects in a namespace (shared, read-only). */
export function inNamespace(inf: Informer, namespace: string): Obj[] {
  return inf.byIndex(namespaceIndex, namespace);
}

/** Cached objects whose controller has this uid (shared, read-only). */
export function controlledBy(inf: Informer, uid: string): Obj[] {
  return inf.byIndex(controllerUidIndex, uid);
}
