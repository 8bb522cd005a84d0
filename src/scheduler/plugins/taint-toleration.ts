/**
 * TaintToleration: a node's NoSchedule and NoExecute taints keep off pods
 * that do not tolerate them; PreferNoSchedule taints the pod does not
 * tolerate lower the node's score.
 */
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import { stateKey, type CycleState } from '../framework/cycle-state.ts';
import { Action, type ClusterEventWithHint } from '../framework/events.ts';
import { MAX_NODE_SCORE } from '../framework/framework.ts';
import type { EnqueueExtensions, FilterPlugin, NodeScore, PreScorePlugin, ScorePlugin } from '../framework/interfaces.ts';
import { ok, sharedRejection, type Status } from '../framework/status.ts';
import { doNotScheduleTaints, findUntoleratedTaint, taintsOf, tolerationsTolerateTaint, type Toleration } from '../util/taints.ts';
import { defaultNormalizeScore } from './normalize.ts';

const preScoreKey = stateKey<Toleration[]>('PreScoreTaintToleration');

export function untoleratedTaintReason(key: string, value: string | undefined): string {
  return `node(s) had untolerated taint {${key}: ${value ?? ''}}`;
}

export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = 'TaintToleration';

  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (node.taints.length === 0) return ok;
    const t = findUntoleratedTaint(node.taints, pod.tolerations, doNotScheduleTaints);
    return t ? sharedRejection('UnschedulableAndUnresolvable', this.name, [untoleratedTaintReason(t.key, t.value)]) : ok;
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    state.write(
      preScoreKey,
      pod.tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule'),
    );
    return ok;
  }

  /** The number of PreferNoSchedule taints not tolerated; normalised in reverse. */
  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    if (node.taints.length === 0) return 0;
    const tols = state.read(preScoreKey) ?? [];
    let n = 0;
    for (const t of node.taints) if (t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tols, t)) n++;
    return n;
  }

  normalizeScore(_s: CycleState, _p: PodInfo, scores: NodeScore[]): void {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      {
        event: { resource: 'Node', actions: Action.Add | Action.UpdateNodeTaint },
        hint: (pod, old, node) => {
          if (!node) return 'QueueSkip';
          const blocked = (n: typeof node) => findUntoleratedTaint(taintsOf(n), pod.tolerations, doNotScheduleTaints) !== undefined;
          if (blocked(node)) return 'QueueSkip';
          return !old || blocked(old) ? 'Queue' : 'QueueSkip';
        },
      },
    ];
  }
}
