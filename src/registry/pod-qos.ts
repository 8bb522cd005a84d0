/**
 * A pod's QoS class (status.qosClass), computed as upstream: Guaranteed when
 * every container limits cpu and memory and requests equal limits,
 * BestEffort when nothing requests or limits cpu/memory, else Burstable.
 */
import type { Obj } from './types.ts';

const tracked = ['cpu', 'memory'];

export function podQOSClass(spec: Obj): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers: Obj[] = [...(spec['initContainers'] ?? []), ...(spec['containers'] ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const limits: Obj = c['resources']?.limits ?? {};
    // Requests default to limits when only limits are given.
    const requests: Obj = { ...limits, ...(c['resources']?.requests ?? {}) };
    for (const r of tracked) {
      if (requests[r] !== undefined || limits[r] !== undefined) any = true;
      if (limits[r] === undefined || requests[r] === undefined || String(requests[r]) !== String(limits[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
