/**
 * NodeUnschedulable: keeps pods off cordoned nodes (`spec.unschedulable`)
 * unless they tolerate the `node.kubernetes.io/unschedulable` NoSchedule
 * taint.
 */
import type { Obj } from '../../client/types.ts';
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { Action, type ClusterEventWithHint } from '../framework/events.ts';
import type { EnqueueExtensions, FilterPlugin } from '../framework/interfaces.ts';
import { ok, sharedRejection, type Status } from '../framework/status.ts';
import { TAINT_NODE_UNSCHEDULABLE, tolerationsTolerateTaint, type Toleration } from '../util/taints.ts';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const cordonTaint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };

function toleratesCordon(tols: readonly Toleration[]): boolean {
  return tolerationsTolerateTaint(tols, cordonTaint);
}

export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  readonly name = 'NodeUnschedulable';

  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (!node.unschedulable || toleratesCordon(pod.tolerations)) return ok;
    return sharedRejection('UnschedulableAndUnresolvable', this.name, [ERR_REASON_UNSCHEDULABLE]);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      {
        event: { resource: 'Node', actions: Action.Add | Action.UpdateNodeTaint },
        // Only a node that is (now) schedulable, or a pod that tolerates the cordon, helps.
        hint: (pod, _old, node?: Obj) => (!node?.['spec']?.unschedulable || toleratesCordon(pod.tolerations) ? 'Queue' : 'QueueSkip'),
      },
    ];
  }
}
