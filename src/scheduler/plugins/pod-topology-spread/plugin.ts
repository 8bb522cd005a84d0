/**
 * PodTopologySpread: DoNotSchedule constraints reject a node when placing
 * the pod there would make its domain exceed `maxSkew` over the least
 * populated eligible domain (or over zero while fewer than `minDomains`
 * domains exist); ScheduleAnyway constraints (and the cluster's default
 * spreading for pods selected by a Service, ReplicaSet or StatefulSet)
 * prefer nodes in emptier domains.
 *
 * Matching pods are counted per node by live MatchIndex queries, so a
 * cycle costs O(nodes × constraints) lookups rather than walking pods.
 */
import type { Obj } from '../../../client/types.ts';
import type { NodeCounts } from '../../cache/node-counts.ts';
import type { NodeInfo } from '../../cache/node-info.ts';
import type { PodInfo } from '../../cache/pod-info.ts';
import { stateKey, type CycleState } from '../../framework/cycle-state.ts';
import { Action, type ClusterEventWithHint } from '../../framework/events.ts';
import { MAX_NODE_SCORE } from '../../framework/framework.ts';
import type { EnqueueExtensions, FilterPlugin, Handle, NodeScore, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../../framework/interfaces.ts';
import { errorStatus, ok, sharedRejection, skip, type Status } from '../../framework/status.ts';
import { RequiredNodeAffinity } from '../../util/node-affinity.ts';
import { doNotScheduleTaints, findUntoleratedTaint } from '../../util/taints.ts';
import { constraintsFor, nodeHasAllKeys, SYSTEM_DEFAULT_CONSTRAINTS, type Constraint, type RawConstraint } from './constraints.ts';

export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + ' (missing required label)';

const HOSTNAME = 'kubernetes.io/hostname';

interface FilterState {
  constraints: Constraint[];
  counts: NodeCounts[];
  /** Per constraint: matching pods per eligible domain. */
  domains: Map<string, number>[];
  /** Per constraint: the global minimum the skew is measured against. */
  minMatch: number[];
}

interface ScoreState {
  constraints: Constraint[];
  counts: NodeCounts[];
  ignored: Set<string>;
  /** Per constraint (non-hostname keys): matching pods per domain seen among feasible nodes. */
  pairs: Map<string, number>[];
  weights: number[];
}

const filterKey = stateKey<FilterState>('PreFilterPodTopologySpread');
const scoreKey = stateKey<ScoreState>('PreScorePodTopologySpread');

function included(c: Constraint, pod: PodInfo, node: NodeInfo, required: RequiredNodeAffinity): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !required.match(node.name, node.labels)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedTaint(node.taints, pod.tolerations, doNotScheduleTaints)) return false;
  return true;
}

export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = 'PodTopologySpread';
  private readonly h: Handle;
  private readonly defaults: readonly RawConstraint[];

  constructor(handle: Handle, opts: { defaultConstraints?: readonly RawConstraint[] } = {}) {
    this.h = handle;
    this.defaults = opts.defaultConstraints ?? SYSTEM_DEFAULT_CONSTRAINTS;
  }

  preFilter(state: CycleState, pod: PodInfo): Status {
    let constraints: Constraint[];
    try {
      constraints = constraintsFor(pod, 'DoNotSchedule', this.h.workloads, this.defaults).constraints;
    } catch (e) {
      return errorStatus(e);
    }
    if (constraints.length === 0) return skip;
    const counts = constraints.map((c) => this.h.cache.matches.counts(c.query));
    const domains = constraints.map(() => new Map<string, number>());
    const required = new RequiredNodeAffinity(pod.pod);
    for (const node of this.h.cache.nodeInfos()) {
      if (!nodeHasAllKeys(node.labels, constraints)) continue;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        if (!included(c, pod, node, required)) continue;
        const v = node.labels[c.topologyKey]!;
        domains[i]!.set(v, (domains[i]!.get(v) ?? 0) + (counts[i]!.byNode.get(node.name) ?? 0));
      }
    }
    const minMatch = constraints.map((c, i) => {
      const d = domains[i]!;
      if (d.size < c.minDomains) return 0;
      let min = Infinity;
      for (const n of d.values()) if (n < min) min = n;
      return min;
    });
    state.write(filterKey, { constraints, counts, domains, minMatch });
    return ok;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const s = state.mustRead(filterKey);
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = node.labels[c.topologyKey];
      if (v === undefined) return sharedRejection('UnschedulableAndUnresolvable', this.name, [ERR_REASON_NODE_LABEL_NOT_MATCH]);
      const self = c.selector.matches(pod.labels as Record<string, string>) ? 1 : 0;
      const skew = (s.domains[i]!.get(v) ?? 0) + self - s.minMatch[i]!;
      if (skew > c.maxSkew) return sharedRejection('Unschedulable', this.name, [ERR_REASON_CONSTRAINTS_NOT_MATCH]);
    }
    return ok;
  }

  preScore(state: CycleState, pod: PodInfo, filtered: readonly NodeInfo[]): Status {
    if (filtered.length === 0 || this.h.cache.numNodes === 0) return skip;
    let res;
    try {
      res = constraintsFor(pod, 'ScheduleAnyway', this.h.workloads, this.defaults);
    } catch (e) {
      return errorStatus(e);
    }
    const { constraints, systemDefaulted } = res;
    if (constraints.length === 0) return skip;
    // System defaults do not require every key, so nodes without a zone still spread by host.
    const requireAll = !systemDefaulted;
    const ignored = new Set<string>();
    const pairs = constraints.map(() => new Map<string, number>());
    for (const node of filtered) {
      if (requireAll && !nodeHasAllKeys(node.labels, constraints)) {
        ignored.add(node.name);
        continue;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey === HOSTNAME) return;
        const v = node.labels[c.topologyKey] ?? '';
        if (!pairs[i]!.has(v)) pairs[i]!.set(v, 0);
      });
    }
    const counts = constraints.map((c) => this.h.cache.matches.counts(c.query));
    const required = new RequiredNodeAffinity(pod.pod);
    if (pairs.some((p) => p.size > 0)) {
      for (const node of this.h.cache.nodeInfos()) {
        if (requireAll && !nodeHasAllKeys(node.labels, constraints)) continue;
        for (let i = 0; i < constraints.length; i++) {
          const c = constraints[i]!;
          if (c.topologyKey === HOSTNAME || !included(c, pod, node, required)) continue;
          const v = node.labels[c.topologyKey] ?? '';
          const cur = pairs[i]!.get(v);
          if (cur === undefined) continue;
          pairs[i]!.set(v, cur + (counts[i]!.byNode.get(node.name) ?? 0));
        }
      }
    }
    const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? filtered.length - ignored.size : pairs[i]!.size) + 2));
    state.write(scoreKey, { constraints, counts, ignored, pairs, weights });
    return ok;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.mustRead(scoreKey);
    if (s.ignored.has(node.name)) return 0;
    let score = 0;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = node.labels[c.topologyKey];
      if (v === undefined) continue;
      const cnt = c.topologyKey === HOSTNAME ? (s.counts[i]!.byNode.get(node.name) ?? 0) : (s.pairs[i]!.get(v) ?? 0);
      score += cnt * s.weights[i]! + (c.maxSkew - 1);
    }
    return Math.round(score);
  }

  /** Fewer matching pods → higher score; ignored nodes get 0. */
  normalizeScore(state: CycleState, _p: PodInfo, scores: NodeScore[]): void {
    const s = state.read(scoreKey);
    if (!s) return;
    let min = Infinity;
    let max = 0;
    for (const n of scores) {
      if (s.ignored.has(n.name)) continue;
      if (n.score < min) min = n.score;
      if (n.score > max) max = n.score;
    }
    for (const n of scores) {
      if (s.ignored.has(n.name)) n.score = 0;
      else if (max === 0) n.score = MAX_NODE_SCORE;
      else n.score = Math.trunc((MAX_NODE_SCORE * (max + min - n.score)) / max);
    }
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      {
        event: { resource: 'Pod', actions: Action.Add | Action.UpdatePodLabel | Action.Delete },
        hint: (pod, old, cur) => (this.podMatters(pod, old) || this.podMatters(pod, cur) ? 'Queue' : 'QueueSkip'),
      },
      { event: { resource: 'Node', actions: Action.Add | Action.Delete | Action.UpdateNodeLabel | Action.UpdateNodeTaint } },
    ];
  }

  /** Whether a changed pod is one of those this pod's constraints count. */
  private podMatters(pod: PodInfo, o: Obj | undefined): boolean {
    if (!o || o['metadata']?.namespace !== pod.namespace) return false;
    try {
      const { constraints } = constraintsFor(pod, 'DoNotSchedule', this.h.workloads, this.defaults);
      const labels = o['metadata']?.labels ?? {};
      return constraints.some((c) => c.selector.matches(labels));
    } catch {
      return true;
    }
  }
}
