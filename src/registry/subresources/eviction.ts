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
      const allowed = pdb['status']?.disruptionsAllowed ?? 0;
      if (allowed <= 0) {
        throw errors.tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", undefined, [
          {
            reason: 'DisruptionBudget',
            message: `The disruption budget ${pdb['metadata'].name} needs ${pdb['status']?.desiredHealthy ?? 0} healthy pods and has ${pdb['status']?.currentHealthy ?? 0} currently`,
          },
        ]);
      }
      if (!ctx.dryRun) {
        await guaranteedUpdate(pdbs, namespace, pdb['metadata'].name, ctx, (p) => {
          const st = (p['status'] ??= {});
          if ((st.disruptionsAllowed ?? 0) <= 0) throw errors.tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.");
          st.disruptionsAllowed -= 1;
          st.disruptedPods = { ...(st.disruptedPods ?? {}), [name]: nowTime() };
        }, 'status');
      }
    }
  }
  await deleteObject(pods, namespace, name, deleteOptions, ctx);
}
