/**
 * NodeAffinity: the pod's nodeSelector and required node affinity must
 * match the node (labels via matchExpressions, the node name via
 * matchFields on `metadata.name`, which DaemonSet pods use); preferred
 * terms add their weights to the node's score. When every required term
 * names nodes by `metadata.name In`, PreFilter narrows the cycle to them.
 */
import type { Obj } from '../../client/types.ts';
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import { stateKey, type CycleState } from '../framework/cycle-state.ts';
import { Action, type ClusterEventWithHint } from '../framework/events.ts';
import { MAX_NODE_SCORE } from '../framework/framework.ts';
import type { EnqueueExtensions, FilterPlugin, NodeScore, PreFilterPlugin, PreFilterResult, PreScorePlugin, ScorePlugin } from '../framework/interfaces.ts';
import { ok, sharedRejection, skip, unresolvable, type Status } from '../framework/status.ts';
import { preferredNodeTerms, RequiredNodeAffinity, type PreferredTerm } from '../util/node-affinity.ts';
import { defaultNormalizeScore } from './normalize.ts';

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

const preFilterKey = stateKey<RequiredNodeAffinity>('PreFilterNodeAffinity');
const preScoreKey = stateKey<PreferredTerm[]>('PreScoreNodeAffinity');

/**
 * The node names every required term pins the pod to (union over terms of
 * the intersection of each term's `metadata.name In` fields); undefined when
 * some term does not pin names (then any node may match).
 */
export function requiredNodeNames(pod: Obj): Set<string> | undefined {
  const terms: Obj[] = pod['spec']?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of (t?.matchFields ?? []) as Obj[]) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      const s = new Set<string>(r.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
    }
    if (!termNames) return undefined;
    names = names ? new Set([...names, ...termNames]) : termNames;
  }
  return names;
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = 'NodeAffinity';

  preFilter(state: CycleState, pod: PodInfo): Status | PreFilterResult {
    const required = new RequiredNodeAffinity(pod.pod);
    if (!required.constrains) return skip;
    state.write(preFilterKey, required);
    const names = requiredNodeNames(pod.pod);
    if (names === undefined) return ok;
    if (names.size === 0) return unresolvable(ERR_REASON_CONFLICT);
    return { nodeNames: names };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const required = state.read(preFilterKey) ?? new RequiredNodeAffinity(pod.pod);
    return required.match(node.name, node.labels) ? ok : sharedRejection('UnschedulableAndUnresolvable', this.name, [ERR_REASON_POD]);
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    const terms = preferredNodeTerms(pod.pod);
    if (terms.length === 0) return skip;
    state.write(preScoreKey, terms);
    return ok;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const terms = state.read(preScoreKey) ?? preferredNodeTerms(pod.pod);
    let sum = 0;
    for (const t of terms) if (t.match(node.name, node.labels)) sum += t.weight;
    return sum;
  }

  normalizeScore(_s: CycleState, _p: PodInfo, scores: NodeScore[]): void {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      {
        event: { resource: 'Node', actions: Action.Add | Action.UpdateNodeLabel },
        hint: (pod, old, node) => {
          if (!node) return 'QueueSkip';
          const required = new RequiredNodeAffinity(pod.pod);
          const matches = (n: Obj) => required.match(n['metadata']?.name ?? '', n['metadata']?.labels ?? {});
          if (!matches(node)) return 'QueueSkip';
          // A node that already matched was not what rejected the pod.
          return old && matches(old) ? 'QueueSkip' : 'Queue';
        },
      },
    ];
  }
}
