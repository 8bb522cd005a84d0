/**
 * NodePorts: a pod asking for host ports fits only where no other pod
 * holds the same protocol and port (on the same address, or any address
 * when either binds 0.0.0.0).
 */
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { Action, type ClusterEventWithHint } from '../framework/events.ts';
import type { EnqueueExtensions, FilterPlugin, PreFilterPlugin } from '../framework/interfaces.ts';
import { ok, sharedRejection, skip, type Status } from '../framework/status.ts';
import { podHostPorts } from '../util/host-ports.ts';

export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = 'NodePorts';

  preFilter(_s: CycleState, pod: PodInfo): Status {
    return pod.hostPorts.length === 0 ? skip : ok;
  }

  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (node.usedPorts.size === 0) return ok;
    for (const p of pod.hostPorts) if (node.usedPorts.conflicts(p)) return sharedRejection('Unschedulable', this.name, [ERR_REASON_NODE_PORTS]);
    return ok;
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      // Only a bound pod that held one of the wanted ports frees anything.
      {
        event: { resource: 'Pod', actions: Action.Delete },
        hint: (pod, old) => {
          if (!old?.['spec']?.nodeName) return 'QueueSkip';
          const freed = podHostPorts(old);
          return freed.some((f) => pod.hostPorts.some((p) => p.port === f.port && p.protocol === f.protocol)) ? 'Queue' : 'QueueSkip';
        },
      },
      { event: { resource: 'Node', actions: Action.Add } },
    ];
  }
}
