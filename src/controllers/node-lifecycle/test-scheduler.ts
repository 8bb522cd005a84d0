/**
 * A stand-in scheduler for tests of the node controllers (imported by
 * tests only), over any Client: binds each unscheduled pod to the Ready,
 * schedulable node with the fewest pods whose NoSchedule/NoExecute taints
 * the pod tolerates, honouring nodeSelector and the one-node affinity
 * DaemonSet pods carry. Pods that fit nowhere are retried when nodes change.
 */
import { InformerFactory } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { getCondition } from './conditions.ts';
import { taintsOf, tolerates, type Toleration } from './taints.ts';

function fits(pod: Obj, node: Obj): boolean {
  if (getCondition(node['status'], 'Ready')?.status !== 'True' || node['spec']?.unschedulable) return false;
  const tols: Toleration[] = pod['spec']?.tolerations ?? [];
  if (taintsOf(node).some((t) => t.effect !== 'PreferNoSchedule' && !tols.some((x) => tolerates(x, t)))) return false;
  const labels: Record<string, string> = node['metadata'].labels ?? {};
  if (Object.entries((pod['spec']?.nodeSelector as Record<string, string> | undefined) ?? {}).some(([k, v]) => labels[k] !== v)) return false;
  const terms: Obj[] | undefined = pod['spec']?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms?.length) return true;
  return terms.some((term) =>
    ((term['matchFields'] as Obj[] | undefined) ?? []).every((f) => f['key'] === 'metadata.name' && f['operator'] === 'In' && (f['values'] as string[]).includes(node['metadata'].name)),
  );
}

/** Runs until `signal` aborts. */
export function startTestScheduler(client: Client, signal: AbortSignal): Promise<void> {
  const f = new InformerFactory(client);
  const pods = f.informer(resources.pods);
  const nodes = f.informer(resources.nodes);
  /** Bindings sent but not yet seen in the cache (pod uid → node), counted as load. */
  const assumed = new Map<string, string>();
  const bind = (p: Obj) => {
    const m = p['metadata'];
    if (p['spec']?.nodeName || m.deletionTimestamp || assumed.has(m.uid)) return;
    const load = new Map<string, number>();
    const add = (node: string) => load.set(node, (load.get(node) ?? 0) + 1);
    for (const q of pods.list()) {
      const qm = q['metadata'];
      if (q['spec']?.nodeName) {
        assumed.delete(qm.uid);
        if (!qm.deletionTimestamp) add(q['spec'].nodeName);
      }
    }
    for (const n of assumed.values()) add(n);
    const candidates = nodes.list().filter((n) => fits(p, n));
    if (!candidates.length) return;
    candidates.sort((a, b) => (load.get(a['metadata'].name) ?? 0) - (load.get(b['metadata'].name) ?? 0) || (a['metadata'].name < b['metadata'].name ? -1 : 1));
    const node = candidates[0]!['metadata'].name;
    assumed.set(m.uid, node);
    client
      .createSubresource(resources.pods, m.namespace, m.name, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: m.name, namespace: m.namespace }, target: { kind: 'Node', name: node } })
      .catch(() => assumed.delete(m.uid));
  };
  const retryAll = () => {
    for (const p of pods.list()) bind(p);
  };
  pods.addHandler({ add: bind, update: (_o, p) => bind(p) });
  nodes.addHandler({ add: retryAll, update: retryAll });
  f.start(signal);
  return f.stopped();
}
