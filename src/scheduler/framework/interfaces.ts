/**
 * The scheduling framework's extension points, as upstream's
 * framework/interface.go: one small interface per point; a plugin
 * implements the ones it needs. The scheduler calls them in this order for
 * each pod:
 *
 *   PreEnqueue (before queueing) → PreFilter → Filter (per node) →
 *   [PostFilter when no node fits] → PreScore → Score (per feasible node) →
 *   NormalizeScore → Reserve → Bind (asynchronously) / Unreserve on failure.
 *
 * Everything up to Reserve runs synchronously inside one scheduling cycle,
 * against the cache as it is between informer events.
 */
import type { Obj } from '../../client/types.ts';
import type { NamespaceLabels } from './handle.ts';
import type { SchedulerCache } from '../cache/cache.ts';
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { CycleState } from './cycle-state.ts';
import type { ClusterEventWithHint } from './events.ts';
import type { Status } from './status.ts';

export interface Plugin {
  /** Upstream's plugin name (`NodeResourcesFit`); appears in diagnostics. */
  readonly name: string;
}

/**
 * Called when a pod is added or updated in the queue, before it may enter
 * the active queue. Anything but Success parks the pod (SchedulingGates).
 */
export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: PodInfo): Status;
}

/** PreFilter may narrow the nodes to look at (e.g. node affinity to named nodes). */
export interface PreFilterResult {
  readonly nodeNames: ReadonlySet<string>;
}

/**
 * Called once per cycle before Filter. Computes per-cycle state. Success
 * continues; Skip means this plugin's Filter is not needed for this pod;
 * Unschedulable/UnschedulableAndUnresolvable reject the pod on every node;
 * Error aborts the cycle. A PreFilterResult restricts Filter to its nodes.
 */
export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo): Status | PreFilterResult;
}

/**
 * Called per node until enough feasible nodes are found. Success keeps the
 * node; Unschedulable or UnschedulableAndUnresolvable (with reasons for the
 * FailedScheduling summary) drops it. The first failing plugin decides.
 */
export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

/** Each node's Filter outcome, with a default for nodes never filtered (upstream NodeToStatus). */
export interface NodeToStatus {
  readonly statuses: ReadonlyMap<string, Status>;
  /** The status of nodes not in `statuses` (all nodes when PreFilter rejected the pod). */
  readonly absent: Status;
}

/**
 * Called only when no node passed Filter; may make room for the pod
 * (preemption). Its status message becomes part of the FailedScheduling
 * text; Success with a nominated node means room is being made.
 */
export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: PodInfo, filtered: NodeToStatus): { status: Status; nominatedNodeName?: string };
}

/** Called once per cycle with the feasible nodes before Score; Skip means its Score is not needed. */
export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status;
}

export interface NodeScore {
  readonly name: string;
  score: number;
}

/**
 * Called per feasible node; returns a score. After all nodes,
 * `normalizeScore` (when present) rescales the list in place to 0–100. The
 * framework multiplies by the plugin's weight and sums across plugins.
 */
export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  normalizeScore?(state: CycleState, pod: PodInfo, scores: NodeScore[]): void;
}

/**
 * Reserve is called after the pod is assumed on the chosen node; a failure
 * aborts and Unreserve is called on every Reserve plugin (also when binding
 * fails later). Unreserve must be idempotent.
 */
export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

/**
 * Called asynchronously after the cycle, in order until one does not
 * return Skip. Success means the binding was written; anything else fails
 * the pod's attempt (it is retried with backoff).
 */
export interface BindPlugin extends Plugin {
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status>;
}

/**
 * The cluster events after which a pod this plugin rejected may fit, with
 * optional hints that look at the change and say whether it helps this pod.
 */
export interface EnqueueExtensions extends Plugin {
  eventsToRegister(): ClusterEventWithHint[];
}

/** What plugins may use from the scheduler. */
export interface Handle {
  /** The cluster as of this cycle; read-only for plugins. */
  readonly cache: SchedulerCache;
  readonly namespaces: NamespaceLabels;
  /** Objects whose selectors target a pod (default spreading); empty when not wired. */
  readonly workloads: WorkloadLister;
}

/** Services, ReplicaSets and StatefulSets, as PodTopologySpread's default selector needs them. */
export interface WorkloadLister {
  services(namespace: string): readonly Obj[];
  replicaSet(namespace: string, name: string): Obj | undefined;
  statefulSet(namespace: string, name: string): Obj | undefined;
}

export function isPreFilterResult(r: Status | PreFilterResult): r is PreFilterResult {
  return (r as PreFilterResult).nodeNames !== undefined;
}
