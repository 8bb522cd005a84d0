/**
 * Node and pod conditions as the node controllers read and write them, the
 * taint-by-condition table (which condition status becomes which NoSchedule
 * taint), and the timestamp format of condition and taint times.
 */
import type { Obj } from '../../client/types.ts';
import { taintKeys, type Taint } from './taints.ts';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string | null;
  lastTransitionTime?: string | null;
  lastProbeTime?: string | null;
}

/** RFC 3339 with whole seconds, as metav1.Time serialises. */
export function timeString(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Milliseconds since the epoch of a Time or MicroTime string; 0 when absent or unparsable. */
export function parseTime(s: unknown): number {
  if (typeof s !== 'string' || !s) return 0;
  const t = Date.parse(s);
  return Number.isNaN(t) ? 0 : t;
}

export function getCondition(status: Obj | undefined, type: string): Condition | undefined {
  return (status?.['conditions'] as Condition[] | undefined)?.find((c) => c.type === type);
}

export { isNodeReady } from '../../api/node-status.ts';

export function isPodReady(pod: Obj): boolean {
  return getCondition(pod['status'], 'Ready')?.status === 'True';
}

/** Node condition type → condition status → the taint key it implies (upstream nodeConditionToTaintKeyStatusMap). */
const conditionTaints: Record<string, Partial<Record<Condition['status'], string>>> = {
  Ready: { False: taintKeys.notReady, Unknown: taintKeys.unreachable },
  MemoryPressure: { True: taintKeys.memoryPressure },
  DiskPressure: { True: taintKeys.diskPressure },
  NetworkUnavailable: { True: taintKeys.networkUnavailable },
  PIDPressure: { True: taintKeys.pidPressure },
};

/** Taint keys this controller owns with effect NoSchedule (the ones it adds and removes). */
const managedNoScheduleKeys = new Set<string>([taintKeys.unschedulable, ...Object.values(conditionTaints).flatMap((m) => Object.values(m))]);

/** The NoSchedule taints a node's conditions and spec.unschedulable call for (taint nodes by condition). */
export function conditionNoScheduleTaints(node: Obj): Taint[] {
  const out: Taint[] = [];
  for (const c of (node['status']?.conditions as Condition[] | undefined) ?? []) {
    const key = conditionTaints[c.type]?.[c.status];
    if (key) out.push({ key, effect: 'NoSchedule' });
  }
  if (node['spec']?.unschedulable === true) out.push({ key: taintKeys.unschedulable, effect: 'NoSchedule' });
  return out;
}

/** Whether a taint is one of the condition/unschedulable NoSchedule taints this controller manages. */
export function isManagedNoScheduleTaint(t: Taint): boolean {
  return t.effect === 'NoSchedule' && managedNoScheduleKeys.has(t.key);
}
