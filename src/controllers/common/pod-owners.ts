/**
 * Which owners a pod update concerns, as upstream's DaemonSet and StatefulSet
 * controllers compute it: the previous controller when the controller
 * reference changed; the current controller (again after `minReadySeconds`
 * when the pod has just turned ready, since availability is time-based); or,
 * for an orphan whose labels or reference changed, every owner whose selector
 * now matches it (candidates to adopt it).
 */
import { keyOf, type Obj } from '../../client/types.ts';
import type { WorkQueue } from '../../client/workqueue.ts';
import { controllerOf, type OwnerReference } from './controller-ref.ts';
import { isPodReady } from './pods.ts';

export interface PodOwners {
  /** The owner a controller reference points at, if cached with that uid. */
  resolve(namespace: string, ref: OwnerReference): Obj | undefined;
  /** Owners in the pod's namespace whose selector matches it. */
  matching(pod: Obj): Obj[];
  queue: WorkQueue<string>;
}

export function enqueueOwnersOfUpdatedPod(old: Obj, pod: Obj, o: PodOwners): void {
  const ref = controllerOf(pod);
  const oldRef = controllerOf(old);
  const refChanged = JSON.stringify(ref) !== JSON.stringify(oldRef);
  if (refChanged && oldRef) {
    const prev = o.resolve(old['metadata'].namespace, oldRef);
    if (prev) o.queue.add(keyOf(prev));
  }
  if (ref) {
    const owner = o.resolve(pod['metadata'].namespace, ref);
    if (!owner) return;
    o.queue.add(keyOf(owner));
    const minReady: number = owner['spec']?.minReadySeconds ?? 0;
    if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) o.queue.addAfter(keyOf(owner), minReady * 1000);
    return;
  }
  const labelsChanged = JSON.stringify(old['metadata'].labels ?? {}) !== JSON.stringify(pod['metadata'].labels ?? {});
  if (labelsChanged || refChanged) for (const owner of o.matching(pod)) o.queue.add(keyOf(owner));
}
