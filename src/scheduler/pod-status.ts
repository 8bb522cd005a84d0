/**
 * Writing PodScheduled=False on a pod that could not be scheduled, as
 * upstream's updatePod: only when status, reason or message changed (a pod
 * retried with the same outcome is not rewritten), keeping the transition
 * time while the status stays False.
 */
import { resources, type Client, type Obj } from '../client/types.ts';

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The condition patch to send, or undefined when the pod already says this. */
export function unschedulableCondition(pod: Obj, reason: string, message: string, now: number): Obj | undefined {
  const cur = ((pod['status']?.conditions ?? []) as Obj[]).find((c) => c.type === 'PodScheduled');
  if (cur && cur.status === 'False' && cur.reason === reason && cur.message === message) return undefined;
  return {
    type: 'PodScheduled',
    status: 'False',
    lastProbeTime: null,
    lastTransitionTime: cur?.status === 'False' && cur.lastTransitionTime ? cur.lastTransitionTime : rfc3339(now),
    reason,
    message,
  };
}

export async function writeUnschedulable(client: Client, pod: Obj, reason: string, message: string, now: number): Promise<void> {
  const cond = unschedulableCondition(pod, reason, message, now);
  if (!cond) return;
  const m = pod['metadata'];
  await client.patch(resources.pods, m.namespace, m.name, 'strategic', { metadata: { uid: m.uid }, status: { conditions: [cond] } }, { subresource: 'status' });
}
