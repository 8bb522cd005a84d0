/**
 * One scheduling attempt's algorithm (upstream schedule_one.go
 * schedulePod): PreFilter, Filter over nodes starting where the previous
 * attempt stopped until enough feasible nodes are found, then PreScore,
 * Score and a pick among the best. Runs synchronously against the cache.
 */
import type { SchedulerCache } from './cache/cache.ts';
import type { NodeInfo } from './cache/node-info.ts';
import type { PodInfo } from './cache/pod-info.ts';
import type { CycleState } from './framework/cycle-state.ts';
import { DEFAULT_ABSENT, type Diagnosis } from './framework/fit-error.ts';
import type { Framework } from './framework/framework.ts';
import { message, unresolvable, type Status } from './framework/status.ts';

/** Below this many nodes every node is checked (upstream minFeasibleNodesToFind). */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** The adaptive percentage never goes below this (upstream minFeasibleNodesPercentageToFind). */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

export type ScheduleOutcome =
  | { kind: 'scheduled'; nodeName: string; evaluatedNodes: number; feasibleNodes: number }
  | { kind: 'unschedulable'; diagnosis: Diagnosis; numAllNodes: number }
  | { kind: 'noNodes' }
  | { kind: 'error'; status: Status };

export interface AlgorithmOptions {
  /** 0 (default) means adaptive: 50% − nodes/125, at least 5%. */
  percentageOfNodesToScore?: number;
  /** Tie-breaking among the best nodes; Math.random by default. */
  rand?: () => number;
}

/** How many feasible nodes to look for before scoring (upstream numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let percentage = percentageOfNodesToScore;
  if (percentage === 0) {
    percentage = 50 - Math.trunc(numAllNodes / 125);
    if (percentage < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) percentage = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * percentage) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

/** The index of a highest total; ties are broken uniformly at random (reservoir sampling, as upstream). */
export function selectHost(totals: readonly number[], rand: () => number): number {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < totals.length; i++) {
    if (totals[i]! > totals[best]!) {
      best = i;
      ties = 1;
    } else if (totals[i] === totals[best]) {
      ties++;
      if (Math.floor(rand() * ties) === 0) best = i;
    }
  }
  return best;
}

export class Algorithm {
  private readonly fwk: Framework;
  private readonly cache: SchedulerCache;
  private readonly percentage: number;
  private readonly rand: () => number;
  /** Where the next attempt starts looking, so every node gets its turn. */
  nextStartNodeIndex = 0;

  constructor(fwk: Framework, cache: SchedulerCache, opts: AlgorithmOptions = {}) {
    this.fwk = fwk;
    this.cache = cache;
    this.percentage = opts.percentageOfNodesToScore ?? 0;
    this.rand = opts.rand ?? Math.random;
  }

  schedulePod(state: CycleState, pod: PodInfo): ScheduleOutcome {
    const all = this.cache.nodeInfos();
    if (all.length === 0) return { kind: 'noNodes' };
    const found = this.findNodesThatFitPod(state, pod, all);
    if ('error' in found) return { kind: 'error', status: found.error };
    const { feasible } = found;
    if (feasible.length === 0) return { kind: 'unschedulable', diagnosis: found.diagnosis(), numAllNodes: all.length };
    const evaluatedNodes = feasible.length + found.rejected;
    if (feasible.length === 1) return { kind: 'scheduled', nodeName: feasible[0]!.name, evaluatedNodes, feasibleNodes: 1 };
    const pre = this.fwk.runPreScore(state, pod, feasible);
    if (pre.code !== 'Success') return { kind: 'error', status: pre };
    let totals: number[];
    try {
      totals = this.fwk.runScore(state, pod, feasible);
    } catch (e) {
      return { kind: 'error', status: { code: 'Error', reasons: [e instanceof Error ? e.message : String(e)], error: e } };
    }
    const i = selectHost(totals, this.rand);
    return { kind: 'scheduled', nodeName: feasible[i]!.name, evaluatedNodes, feasibleNodes: feasible.length };
  }

  /**
   * Feasible nodes, how many were rejected, and (built only when asked, as it
   * is needed only when nothing fits) the per-node diagnosis.
   */
  private findNodesThatFitPod(state: CycleState, pod: PodInfo, all: readonly NodeInfo[]): { feasible: NodeInfo[]; rejected: number; diagnosis: () => Diagnosis } | { error: Status } {
    const pre = this.fwk.runPreFilter(state, pod);
    if (pre.status.code === 'Error') return { error: pre.status };
    if (pre.status.code !== 'Success') {
      // Every node shares the PreFilter's verdict; its message replaces the per-node histogram.
      const diagnosis: Diagnosis = {
        statuses: new Map(),
        absent: pre.status,
        unschedulablePlugins: new Set(pre.plugins),
        preFilterMsg: message(pre.status),
        postFilterMsg: '',
      };
      return { feasible: [], rejected: 0, diagnosis: () => diagnosis };
    }
    let nodes = all;
    let absent = DEFAULT_ABSENT;
    if (pre.nodeNames) {
      nodes = [...pre.nodeNames].map((n) => this.cache.get(n)).filter((n): n is NodeInfo => n !== undefined);
      absent = unresolvable(`node(s) didn't satisfy plugin(s) [${[...pre.plugins].sort().join(' ')}]`);
    }
    const rejectedNodes: string[] = [];
    const rejected: Status[] = [];
    const feasible: NodeInfo[] = [];
    const n = nodes.length;
    const want = this.fwk.scorePlugins.length === 0 ? 1 : numFeasibleNodesToFind(n, this.percentage);
    const start = n ? this.nextStartNodeIndex % n : 0;
    for (let i = 0; i < n && feasible.length < want; i++) {
      const node = nodes[(start + i) % n]!;
      const s = this.fwk.runFilter(state, pod, node);
      if (s.code === 'Success') feasible.push(node);
      else if (s.code === 'Error') return { error: s };
      else {
        rejectedNodes.push(node.name);
        rejected.push(s);
      }
    }
    this.nextStartNodeIndex = (this.nextStartNodeIndex + feasible.length + rejected.length) % all.length;
    const diagnosis = (): Diagnosis => {
      const statuses = new Map<string, Status>();
      const plugins = new Set<string>(pre.nodeNames ? pre.plugins : []);
      for (let i = 0; i < rejected.length; i++) {
        statuses.set(rejectedNodes[i]!, rejected[i]!);
        if (rejected[i]!.plugin) plugins.add(rejected[i]!.plugin!);
      }
      return { statuses, absent, unschedulablePlugins: plugins, preFilterMsg: '', postFilterMsg: '' };
    };
    return { feasible, rejected: rejected.length, diagnosis };
  }
}
