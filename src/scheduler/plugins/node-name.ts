/**
 * NodeName: a pod that names a node in `spec.nodeName` fits only there.
 * (The scheduler only takes pods without a node name, so this matters for
 * preemption dry runs and for parity with upstream's profile.)
 */
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { Action, type ClusterEventWithHint } from '../framework/events.ts';
import type { EnqueueExtensions, FilterPlugin } from '../framework/interfaces.ts';
import { ok, unresolvable, type Status } from '../framework/status.ts';

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin, EnqueueExtensions {
  readonly name = 'NodeName';

  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return !pod.nodeName || pod.nodeName === node.name ? ok : unresolvable(ERR_REASON_NODE_NAME);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [{ event: { resource: 'Node', actions: Action.Add }, hint: (pod, _o, n) => (n?.['metadata']?.name === pod.nodeName ? 'Queue' : 'QueueSkip') }];
  }
}
