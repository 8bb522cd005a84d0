/**
 * Zones and their disruption states, after upstream's node lifecycle
 * controller: nodes are grouped by their region/zone labels; a zone with no
 * Ready node is fully disrupted, one with more than two and at least
 * `unhealthyZoneThreshold` of its nodes not Ready is partially disrupted.
 * The states choose how fast NoExecute taints (and so evictions) proceed:
 * when every zone is fully disrupted the fault is most likely the control
 * plane's own view (a network partition around the server), so nothing is
 * evicted at all.
 */
import type { Obj } from '../../client/types.ts';
import type { Condition } from './conditions.ts';

export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

/** The zone a node belongs to: `region:\0:zone`, or '' for unlabelled nodes (upstream GetZoneKey). */
export function zoneKey(node: Obj): string {
  const l: Record<string, string> = node['metadata']?.labels ?? {};
  const region = l['topology.kubernetes.io/region'] || l['failure-domain.beta.kubernetes.io/region'] || '';
  const zone = l['topology.kubernetes.io/zone'] || l['failure-domain.beta.kubernetes.io/zone'] || '';
  return region || zone ? `${region}:\x00:${zone}` : '';
}

/** Nodes with this label are left out of zone health (upstream's exclude-disruption label). */
export const excludeDisruptionLabel = 'node.kubernetes.io/exclude-disruption';

export interface ZonePolicy {
  /** Node taints per second in a healthy zone (upstream --node-eviction-rate 0.1). */
  evictionQPS: number;
  /** In a partially disrupted large zone (upstream --secondary-node-eviction-rate 0.01). */
  secondaryEvictionQPS: number;
  /** Zones with at most this many nodes stop evicting when partially disrupted (upstream 50). */
  largeClusterThreshold: number;
  /** Share of not-Ready nodes that makes a zone partially disrupted (upstream 0.55). */
  unhealthyZoneThreshold: number;
}

export const defaultZonePolicy: ZonePolicy = { evictionQPS: 0.1, secondaryEvictionQPS: 0.01, largeClusterThreshold: 50, unhealthyZoneThreshold: 0.55 };

/** A zone's state from its nodes' Ready conditions, with the count of nodes not Ready. */
export function computeZoneState(ready: readonly (Condition | undefined)[], policy: ZonePolicy): { unhealthy: number; state: ZoneState } {
  let readyNodes = 0;
  let notReady = 0;
  for (const c of ready) {
    if (c?.status === 'True') readyNodes++;
    else notReady++;
  }
  if (readyNodes === 0 && notReady > 0) return { unhealthy: notReady, state: 'FullDisruption' };
  if (notReady > 2 && notReady / (notReady + readyNodes) >= policy.unhealthyZoneThreshold) return { unhealthy: notReady, state: 'PartialDisruption' };
  return { unhealthy: notReady, state: 'Normal' };
}

/** The tainting rate for a zone in a state (upstream setLimiterInZone). */
export function zoneQPS(state: ZoneState, zoneSize: number, policy: ZonePolicy): number {
  switch (state) {
    case 'PartialDisruption':
      return zoneSize > policy.largeClusterThreshold ? policy.secondaryEvictionQPS : 0;
    case 'Normal':
    case 'FullDisruption':
    case 'Initial':
      return policy.evictionQPS;
  }
}
