/**
 * The shared pod informer with an index of pods by the node they are bound
 * to, which the node lifecycle, taint eviction and pod GC controllers all
 * use. The index name is ours so another controller's index on the same
 * informer cannot replace it with different semantics.
 */
import type { Informer, InformerFactory } from '../../client/informer.ts';
import { resources, type Obj } from '../../client/types.ts';

const podsByNodeIndex = 'node-controllers/spec.nodeName';

/** The pod informer, indexed by spec.nodeName (unbound pods are not indexed). */
export function watchPodsByNode(informers: InformerFactory): Informer {
  const pods = informers.informer(resources.pods);
  pods.addIndex(podsByNodeIndex, (p) => (p['spec']?.nodeName ? [p['spec'].nodeName] : []));
  return pods;
}

/** Cached pods bound to a node (shared, read-only objects). */
export function podsOnNode(pods: Informer, nodeName: string): Obj[] {
  return pods.byIndex(podsByNodeIndex, nodeName);
}
