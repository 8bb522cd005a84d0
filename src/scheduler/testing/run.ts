/**
 * Helpers for plugin tests: a cache holding given nodes and placed pods,
 * and runners that take a pod through PreFilter/Filter or PreScore/Score
 * of a framework made of the plugins under test.
 */
import type { Obj } from '../../client/types.ts';
import { SchedulerCache } from '../cache/cache.ts';
import { newPodInfo } from '../cache/pod-info.ts';
import { CycleState } from '../framework/cycle-state.ts';
import { Framework, type PluginEntry } from '../framework/framework.ts';
import { staticNamespaces, type NamespaceLabels } from '../framework/handle.ts';
import type { Handle, Plugin, WorkloadLister } from '../framework/interfaces.ts';
import { message } from '../framework/status.ts';
import { noWorkloads } from '../listers.ts';

export function testCache(nodes: Obj[], pods: Obj[] = []): SchedulerCache {
  const c = new SchedulerCache();
  for (const n of nodes) c.addNode(n);
  for (const p of pods) c.addPod(p);
  return c;
}

export function testHandle(cache: SchedulerCache, opts: { namespaces?: NamespaceLabels; workloads?: WorkloadLister } = {}): Handle {
  return { cache, namespaces: opts.namespaces ?? staticNamespaces({ default: {} }), workloads: opts.workloads ?? noWorkloads };
}

/** A node's outcome as text: `ok`, or `<code>: <reasons>`; PreFilter outcomes apply to every node. */
export function filterResults(plugins: Plugin[], pod: Obj, cache: SchedulerCache): Record<string, string> {
  const fwk = new Framework(plugins.map((plugin) => ({ plugin })));
  const pi = newPodInfo(pod);
  const state = new CycleState();
  const pre = fwk.runPreFilter(state, pi);
  const out: Record<string, string> = {};
  for (const n of cache.nodeInfos()) {
    if (pre.status.code !== 'Success') out[n.name] = `${pre.status.code}: ${message(pre.status)}`;
    else if (pre.nodeNames && !pre.nodeNames.has(n.name)) out[n.name] = 'not considered';
    else {
      const s = fwk.runFilter(state, pi, n);
      out[n.name] = s.code === 'Success' ? 'ok' : `${s.code}: ${message(s)}`;
    }
  }
  return out;
}

/** Normalised, unweighted scores of one score plugin over every node (all taken as feasible). */
export function scoreResults(entry: PluginEntry, pod: Obj, cache: SchedulerCache): Record<string, number> {
  const fwk = new Framework([{ ...entry, weight: 1 }]);
  const pi = newPodInfo(pod);
  const state = new CycleState();
  const nodes = cache.nodeInfos();
  const pre = fwk.runPreScore(state, pi, nodes);
  if (pre.code !== 'Success') throw new Error(message(pre));
  const totals = fwk.runScore(state, pi, nodes);
  return Object.fromEntries(nodes.map((n, i) => [n.name, totals[i]!]));
}
