/**
 * `metrics.k8s.io/v1beta1` as discovery lists it (what metrics-server
 * registers through aggregation): cluster-scoped `nodes` and namespaced
 * `pods`, read-only. Added to the discovery source only, not to the
 * registry: nothing is stored.
 */
import type { ResourceInfo } from '../../api/resources.ts';

export const metricsGroup = 'metrics.k8s.io';
export const metricsVersion = 'v1beta1';

const base = { group: metricsGroup, version: metricsVersion, subresources: [], verbs: ['get', 'list'] };

export const metricsResources: ResourceInfo[] = [
  { ...base, kind: 'NodeMetrics', resource: 'nodes', singular: '', namespaced: false },
  { ...base, kind: 'PodMetrics', resource: 'pods', singular: '', namespaced: true },
];
