/**
 * NodeResourcesBalancedAllocation: prefers nodes whose CPU and memory
 * would be used in similar proportions with the pod added (score 100 minus
 * the standard deviation of the used fractions, scaled). Uses actual
 * requests, not the scoring defaults.
 */
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { MAX_NODE_SCORE } from '../framework/framework.ts';
import type { ScorePlugin } from '../framework/interfaces.ts';
import { allocatableAndRequested, DEFAULT_RESOURCES, podRequestFor, type ResourceSpec } from './resource-allocation.ts';

export function balancedScore(requested: readonly number[], allocatable: readonly number[]): number {
  const fractions: number[] = [];
  let total = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(1, requested[i]! / allocatable[i]!);
    total += f;
    fractions.push(f);
  }
  let std = 0;
  if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  else if (fractions.length > 2) {
    const mean = total / fractions.length;
    let sum = 0;
    for (const f of fractions) sum += (f - mean) * (f - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export class NodeResourcesBalancedAllocation implements ScorePlugin {
  readonly name = 'NodeResourcesBalancedAllocation';
  private readonly resources: readonly ResourceSpec[];

  constructor(opts: { resources?: readonly ResourceSpec[] } = {}) {
    this.resources = opts.resources ?? DEFAULT_RESOURCES;
  }

  score(_s: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (this.resources === DEFAULT_RESOURCES) {
      const ac = node.allocatable.milliCPU;
      const am = node.allocatable.memory;
      if (ac === 0 || am === 0) {
        // At most one fraction: no spread to measure.
        return MAX_NODE_SCORE;
      }
      const fc = Math.min(1, (node.requested.milliCPU + pod.requests.milliCPU) / ac);
      const fm = Math.min(1, (node.requested.memory + pod.requests.memory) / am);
      return Math.trunc((1 - Math.abs((fc - fm) / 2)) * MAX_NODE_SCORE);
    }
    const requested: number[] = [];
    const allocatable: number[] = [];
    for (const r of this.resources) {
      const [alloc, req] = allocatableAndRequested(node, r.name, podRequestFor(pod, r.name, true), true);
      allocatable.push(alloc);
      requested.push(alloc === 0 ? 0 : req);
    }
    return balancedScore(requested, allocatable);
  }
}
