/**
 * pods/eviction: a delete that respects PodDisruptionBudgets, as upstream.
 * A running pod covered by a budget with no disruptions left gets 429 so
 * `kubectl drain` retries; otherwise the budget's allowance is spent and
 * the pod is deleted.
 */
import { errors } from '../../api/errors.ts';
import { fromLabelSelector } from '../../api/selectors/label.ts';
import { nowTime } from '../object-meta.ts';
import type { Registry } from '../registry.ts';
import { deleteObject } from '../store-delete.ts';
import { guaranteedUpdate } from '../store-write.ts';
import type { DeleteOptions, Obj, WriteContext } from '../types.ts';

function covers(pdb: Obj, pod: Obj): boolean {
  try {
    const sel = pdb['spec']?.selector;
    // An empty selector matches nothing for a PDB in policy/v1... except `{}` which matches all.
    return fromLabelSelector(sel).matches(pod['metadata']?.labels ?? {});
  } catch {
    return false;
  }
}

function isReady(pod: Obj): boolean {
  return (pod['status']?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

/** Upstream records why a pod goes before deleting it (condition DisruptionTarget, reason EvictionByEvictionAPI). */
async function markDisruptionTarget(pods: ReturnType<Registry['storeFor']>, namespace: string, name: string, ctx: WriteContext): Promise<void> {
  await guaranteedUpdate(pods, namespace, name, ctx, (p) => {
    const st = (p['status'] ??= {});
    const conds: Obj[] = (st.conditions ??= []);
    if (conds.some((c) => c.type === 'DisruptionTarget' && c.status === 'True')) return false;
    const cond = { type: 'DisruptionTarget', status: 'True', lastTransitionTime: nowTime(), reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' };
    const i = conds.findIndex((c) => c.type === 'DisruptionTarget');
    if (i >= 0) conds[i] = cond;
    else conds.push(cond);
  }, 'status');
}

export async function evictPod(registry: Registry, namespace: string, name: string, eviction: Obj, ctx: WriteContext): Promise<void> {
  const pods = registry.storeFor('', 'pods');
  const pdbs = registry.storeFor('policy', 'poddisruptionbudgets');
  const evName = eviction['metadata']?.name;
  if (evName && evName !== name) throw errors.badRequest(`name in URL does not match name in Eviction object`);
  const deleteOptions: DeleteOptions = eviction['deleteOptions'] ?? {};
  const pod = await pods.get(namespace, name);
  const phase = pod['status']?.phase;
  // Pods that are not running hold no disruption budget; they go straight away.
  const needsBudget = phase !== 'Pending' && phase !== 'Succeeded' && phase !== 'Failed' && !pod['metadata'].deletionTimestamp;
  if (needsBudget) {
    const matching = (await pdbs.list(namespace)).items.filter((p) => covers(p, pod));
    if (matching.length > 1) {
      throw errors.internal(new Error('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'));
    }
    const pdb = matching[0];
    if (pdb) {
      const gen = pdb['metadata'].generation ?? 0;
      const observed = pdb['status']?.observedGeneration ?? 0;
      if (observed < gen) {
        throw errors.tooManyRequests('Cannot evict pod as it would violate the pod\'s disruption budget.', 10, [
          { reason: 'DisruptionBudget', message: `The disruption budget ${pdb['metadata'].name} is still being processed by the server.` },
        ]);
      }
      const st = pdb['status'] ?? {};
      // A running pod that is not Ready spends no budget when the policy allows:
      // always (AlwaysAllow), or while the application is healthy (IfHealthyBudget, the default).
      const policy = pdb['spec']?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
      const unhealthyFree = !isReady(pod) && (policy === 'AlwaysAllow' || (st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0));
      if (!unhealthyFree) {
        if ((st.disruptionsAllowed ?? 0) <= 0) {
          throw errors.tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", undefined, [
            {
              reason: 'DisruptionBudget',
              message: `The disruption budget ${pdb['metadata'].name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`,
            },
          ]);
        }
        if (!ctx.dryRun) {
          await guaranteedUpdate(pdbs, namespace, pdb['metadata'].name, ctx, (p) => {
            const s2 = (p['status'] ??= {});
            if ((s2.disruptionsAllowed ?? 0) <= 0) throw errors.tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.");
            s2.disruptionsAllowed -= 1;
            s2.disruptedPods = { ...(s2.disruptedPods ?? {}), [name]: nowTime() };
          }, 'status');
        }
      }
    }
  }
  if (!ctx.dryRun && !pod['metadata'].deletionTimestamp) await markDisruptionTarget(pods, namespace, name, ctx);
  await deleteObject(pods, namespace, name, deleteOptions, ctx);
}
