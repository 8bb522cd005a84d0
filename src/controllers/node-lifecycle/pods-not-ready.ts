/**
 * Marking the pods of a node that stopped answering as not Ready (upstream
 * MarkPodsNotReady): nobody else will, since their kubelet is silent, and
 * Services must stop sending traffic to them. Only the Ready condition
 * changes; each changed pod gets a NodeNotReady warning event.
 */
import { isApiError } from '../../api/errors.ts';
import type { EventRecorder } from '../../client/events.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { getCondition, timeString } from './conditions.ts';

/** Resolves once every pod is marked; throws the first failure after trying them all. */
export async function markPodsNotReady(client: Client, recorder: EventRecorder, pods: readonly Obj[], nodeName: string, nowMs: number): Promise<void> {
  let firstErr: unknown;
  for (const pod of pods) {
    if (pod['spec']?.nodeName !== nodeName) continue;
    const ready = getCondition(pod['status'], 'Ready');
    if (!ready || ready.status === 'False') continue;
    const m = pod['metadata'];
    try {
      // Conditions merge by type, so only Ready changes; its reason and probe time stay.
      await client.patch(
        resources.pods,
        m.namespace,
        m.name,
        'strategic',
        { metadata: { uid: m.uid }, status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: timeString(nowMs) }] } },
        { subresource: 'status' },
      );
      recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
    } catch (e) {
      if (isApiError(e, 'NotFound')) continue;
      firstErr ??= e;
    }
  }
  if (firstErr !== undefined) throw firstErr;
}
