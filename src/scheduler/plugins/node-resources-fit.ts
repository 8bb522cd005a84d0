/**
 * NodeResourcesFit: a pod fits a node when each resource it requests
 * (including init containers, sidecars and overhead) fits in what the node
 * can allocate minus what its pods already request, and the node's pod
 * limit is not reached. Scores with LeastAllocated: emptier nodes first.
 */
import type { Obj } from '../../client/types.ts';
import { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { Action, type ClusterEventWithHint } from '../framework/events.ts';
import { MAX_NODE_SCORE } from '../framework/framework.ts';
import type { EnqueueExtensions, FilterPlugin, ScorePlugin } from '../framework/interfaces.ts';
import { ok, sharedRejection, type Status } from '../framework/status.ts';
import { nodeAllocatable } from '../util/resources.ts';
import { allocatableAndRequested, DEFAULT_RESOURCES, podRequestFor, type ResourceSpec } from './resource-allocation.ts';

export interface InsufficientResource {
  resource: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
}

/** What does not fit (upstream fitsRequest); empty when the pod fits. */
export function insufficientResources(pod: PodInfo, node: NodeInfo, ignored: ReadonlySet<string> = new Set()): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  if (node.pods.size + 1 > node.allowedPods) {
    out.push({ resource: 'pods', reason: 'Too many pods', requested: 1, used: node.pods.size, capacity: node.allowedPods });
  }
  const r = pod.requests;
  if (r.milliCPU === 0 && r.memory === 0 && r.ephemeralStorage === 0 && !r.scalar?.size) return out;
  const a = node.allocatable;
  const u = node.requested;
  if (r.milliCPU > 0 && r.milliCPU > a.milliCPU - u.milliCPU) {
    out.push({ resource: 'cpu', reason: 'Insufficient cpu', requested: r.milliCPU, used: u.milliCPU, capacity: a.milliCPU });
  }
  if (r.memory > 0 && r.memory > a.memory - u.memory) {
    out.push({ resource: 'memory', reason: 'Insufficient memory', requested: r.memory, used: u.memory, capacity: a.memory });
  }
  if (r.ephemeralStorage > 0 && r.ephemeralStorage > a.ephemeralStorage - u.ephemeralStorage) {
    out.push({ resource: 'ephemeral-storage', reason: 'Insufficient ephemeral-storage', requested: r.ephemeralStorage, used: u.ephemeralStorage, capacity: a.ephemeralStorage });
  }
  if (r.scalar) {
    for (const [name, q] of r.scalar) {
      if (q === 0 || ignored.has(name)) continue;
      const cap = a.scalar?.get(name) ?? 0;
      const used = u.scalar?.get(name) ?? 0;
      if (q > cap - used) out.push({ resource: name, reason: `Insufficient ${name}`, requested: q, used, capacity: cap });
    }
  }
  return out;
}

/** The same verdict as `insufficientResources(...).length === 0`, without building reasons (the hot path). */
export function fits(pod: PodInfo, node: NodeInfo, ignored: ReadonlySet<string>): boolean {
  if (node.pods.size + 1 > node.allowedPods) return false;
  const r = pod.requests;
  const a = node.allocatable;
  const u = node.requested;
  if (r.milliCPU > 0 && r.milliCPU > a.milliCPU - u.milliCPU) return false;
  if (r.memory > 0 && r.memory > a.memory - u.memory) return false;
  if (r.ephemeralStorage > 0 && r.ephemeralStorage > a.ephemeralStorage - u.ephemeralStorage) return false;
  if (r.scalar) {
    for (const [name, q] of r.scalar) {
      if (q !== 0 && !ignored.has(name) && q > (a.scalar?.get(name) ?? 0) - (u.scalar?.get(name) ?? 0)) return false;
    }
  }
  return true;
}

/** Whether the pod would fit the node if it were empty (for queueing hints). */
function fitsEmpty(pod: PodInfo, node: Obj): boolean {
  const n = new NodeInfo(node['metadata']?.name ?? '');
  n.setNode(node);
  return insufficientResources(pod, n).length === 0;
}

function requestedGrew(pod: PodInfo, old: Obj, cur: Obj): boolean {
  const a = nodeAllocatable(old).allocatable;
  const b = nodeAllocatable(cur).allocatable;
  const r = pod.requests;
  if (nodeAllocatable(cur).allowedPods > nodeAllocatable(old).allowedPods) return true;
  if (r.milliCPU > 0 && b.milliCPU > a.milliCPU) return true;
  if (r.memory > 0 && b.memory > a.memory) return true;
  if (r.ephemeralStorage > 0 && b.ephemeralStorage > a.ephemeralStorage) return true;
  for (const [k, q] of r.scalar ?? []) if (q > 0 && (b.scalar?.get(k) ?? 0) > (a.scalar?.get(k) ?? 0)) return true;
  return false;
}

/** LeastAllocated for one resource: the share left free, 0–100. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export class NodeResourcesFit implements FilterPlugin, ScorePlugin, EnqueueExtensions {
  readonly name = 'NodeResourcesFit';
  private readonly resources: readonly ResourceSpec[];
  private readonly ignored: ReadonlySet<string>;

  constructor(opts: { resources?: readonly ResourceSpec[]; ignoredResources?: string[] } = {}) {
    this.resources = opts.resources ?? DEFAULT_RESOURCES;
    this.ignored = new Set(opts.ignoredResources ?? []);
  }

  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (fits(pod, node, this.ignored)) return ok;
    const missing = insufficientResources(pod, node, this.ignored);
    if (missing.length === 0) return ok;
    return sharedRejection('Unschedulable', this.name, missing.map((m) => m.reason));
  }

  score(_s: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (this.resources === DEFAULT_RESOURCES) {
      // cpu and memory, weight 1 each, with the scoring defaults for missing requests.
      const ac = node.allocatable.milliCPU;
      const am = node.allocatable.memory;
      let sum = 0;
      let n = 0;
      if (ac !== 0) {
        sum += leastRequestedScore(node.nonZeroCPU + pod.nonZeroCPU, ac);
        n++;
      }
      if (am !== 0) {
        sum += leastRequestedScore(node.nonZeroMemory + pod.nonZeroMemory, am);
        n++;
      }
      return n === 0 ? 0 : Math.trunc(sum / n);
    }
    let score = 0;
    let weights = 0;
    for (const r of this.resources) {
      const [alloc, req] = allocatableAndRequested(node, r.name, podRequestFor(pod, r.name, false), false);
      if (alloc === 0) continue;
      score += leastRequestedScore(req, alloc) * r.weight;
      weights += r.weight;
    }
    return weights === 0 ? 0 : Math.trunc(score / weights);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      // A bound pod going away frees room; an unscheduled one frees nothing.
      { event: { resource: 'Pod', actions: Action.Delete }, hint: (_pod, old) => (old?.['spec']?.nodeName ? 'Queue' : 'QueueSkip') },
      {
        event: { resource: 'Node', actions: Action.Add | Action.UpdateNodeAllocatable },
        hint: (pod, old, node) => {
          if (!node || !fitsEmpty(pod, node)) return 'QueueSkip';
          if (!old) return 'Queue';
          return requestedGrew(pod, old, node) ? 'Queue' : 'QueueSkip';
        },
      },
    ];
  }
}
