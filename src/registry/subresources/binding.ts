/**
 * pods/binding: the scheduler's way of placing a pod on a node. Sets
 * spec.nodeName once (a second binding is a 409, as upstream) and marks the
 * PodScheduled condition.
 */
import { errors } from '../../api/errors.ts';
import { nowTime } from '../object-meta.ts';
import type { Store } from '../store.ts';
import { guaranteedUpdate } from '../store-write.ts';
import type { Obj, WriteContext } from '../types.ts';

export async function bindPod(pods: Store, namespace: string, podName: string, binding: Obj, ctx: WriteContext): Promise<void> {
  const target = binding['target'] ?? {};
  const name = binding['metadata']?.name ?? podName;
  if (name !== podName) throw errors.badRequest(`the name of the object (${name}) does not match the name on the URL (${podName})`);
  const errs = pods.deps.hooks.validate({ group: '', version: 'v1', kind: 'Binding' }, { ...binding, metadata: { ...(binding['metadata'] ?? {}), name } }, undefined, 'binding');
  if (errs.length) throw errors.invalid('', 'Binding', name, errs);
  if (ctx.dryRun) return;
  await guaranteedUpdate(pods, namespace, podName, ctx, (pod) => {
    if (pod['metadata'].deletionTimestamp) throw errors.conflict(pods.gr, podName, 'pod is being deleted, cannot be assigned to a host');
    const uid = binding['metadata']?.uid;
    if (uid && uid !== pod['metadata'].uid) throw errors.conflict(pods.gr, podName, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod['metadata'].uid}`);
    const current = pod['spec']?.nodeName;
    if (current) throw errors.conflict(pods.gr, podName, `pod ${podName} is already assigned to node "${current}"`);
    pod['spec'] = { ...(pod['spec'] ?? {}), nodeName: target.name };
    const annotations = binding['metadata']?.annotations;
    if (annotations) pod['metadata'].annotations = { ...(pod['metadata'].annotations ?? {}), ...annotations };
    const status = (pod['status'] ??= {});
    const conds: Obj[] = (status.conditions ??= []);
    const cond = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowTime() };
    const i = conds.findIndex((c) => c.type === 'PodScheduled');
    if (i >= 0) conds[i] = cond;
    else conds.push(cond);
  }, 'binding');
}
