/**
 * The scoring both resource plugins share (upstream resourceAllocationScorer):
 * for each configured resource, what the node would have requested with
 * this pod added and what it can allocate; a scorer turns those into 0–100.
 */
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';

export interface ResourceSpec {
  name: string;
  weight: number;
}

/** NodeResourcesFit and BalancedAllocation score cpu and memory, weight 1 each, by default. */
export const DEFAULT_RESOURCES: readonly ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

/** The pod's request for one resource; with `useRequested` false, missing CPU/memory requests count as the defaults. */
export function podRequestFor(pod: PodInfo, name: string, useRequested: boolean): number {
  switch (name) {
    case 'cpu':
      return useRequested ? pod.requests.milliCPU : pod.nonZeroCPU;
    case 'memory':
      return useRequested ? pod.requests.memory : pod.nonZeroMemory;
    case 'ephemeral-storage':
      return pod.requests.ephemeralStorage;
    default:
      return pod.requests.scalar?.get(name) ?? 0;
  }
}

/**
 * [allocatable, requested-with-pod] for one resource. A scalar resource
 * the pod does not ask for is left out of scoring (0, 0).
 */
export function allocatableAndRequested(node: NodeInfo, name: string, podRequest: number, useRequested: boolean): [number, number] {
  switch (name) {
    case 'cpu':
      return [node.allocatable.milliCPU, (useRequested ? node.requested.milliCPU : node.nonZeroCPU) + podRequest];
    case 'memory':
      return [node.allocatable.memory, (useRequested ? node.requested.memory : node.nonZeroMemory) + podRequest];
    case 'ephemeral-storage':
      return [node.allocatable.ephemeralStorage, node.requested.ephemeralStorage + podRequest];
    default: {
      if (podRequest === 0) return [0, 0];
      const alloc = node.allocatable.scalar?.get(name);
      if (alloc === undefined) return [0, 0];
      return [alloc, (node.requested.scalar?.get(name) ?? 0) + podRequest];
    }
  }
}
