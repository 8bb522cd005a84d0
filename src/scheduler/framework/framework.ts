/**
 * Runs a profile's plugins at each extension point, in the configured
 * order, turning their outcomes into the cycle's decisions (upstream
 * frameworkImpl). A plugin that throws is a fault: its outcome becomes an
 * Error status naming it.
 */
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { CycleState } from './cycle-state.ts';
import type { ClusterEventWithHint } from './events.ts';
import {
  isPreFilterResult,
  type BindPlugin,
  type FilterPlugin,
  type NodeScore,
  type NodeToStatus,
  type Plugin,
  type PostFilterPlugin,
  type PreEnqueuePlugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ReservePlugin,
  type ScorePlugin,
} from './interfaces.ts';
import { errorStatus, isRejected, message, ok, withPlugin, type Status } from './status.ts';

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

export interface PluginEntry {
  plugin: Plugin;
  /** Score weight (default 1). */
  weight?: number;
}

export interface PreFilterOutcome {
  status: Status;
  /** Nodes to consider; undefined means all. */
  nodeNames?: ReadonlySet<string>;
  /** Plugins that rejected the pod or narrowed the nodes (for requeueing and messages). */
  plugins: string[];
}

const has = <K extends string>(p: Plugin, method: K): boolean => typeof (p as unknown as Record<K, unknown>)[method] === 'function';

function faulted(plugin: string, e: unknown): Status {
  return withPlugin(errorStatus(e), plugin);
}

export class Framework {
  readonly preEnqueuePlugins: PreEnqueuePlugin[] = [];
  readonly preFilterPlugins: PreFilterPlugin[] = [];
  readonly filterPlugins: FilterPlugin[] = [];
  readonly postFilterPlugins: PostFilterPlugin[] = [];
  readonly preScorePlugins: PreScorePlugin[] = [];
  readonly scorePlugins: ScorePlugin[] = [];
  readonly reservePlugins: ReservePlugin[] = [];
  readonly bindPlugins: BindPlugin[] = [];
  readonly weights = new Map<string, number>();
  /** Plugin name → the events after which a pod it rejected is worth retrying. */
  readonly enqueueEvents = new Map<string, ClusterEventWithHint[]>();

  constructor(entries: PluginEntry[]) {
    for (const { plugin: p, weight } of entries) {
      if (has(p, 'preEnqueue')) this.preEnqueuePlugins.push(p as PreEnqueuePlugin);
      if (has(p, 'preFilter')) this.preFilterPlugins.push(p as PreFilterPlugin);
      if (has(p, 'filter')) this.filterPlugins.push(p as FilterPlugin);
      if (has(p, 'postFilter')) this.postFilterPlugins.push(p as PostFilterPlugin);
      if (has(p, 'preScore')) this.preScorePlugins.push(p as PreScorePlugin);
      if (has(p, 'score')) {
        this.scorePlugins.push(p as ScorePlugin);
        this.weights.set(p.name, weight ?? 1);
      }
      if (has(p, 'reserve')) this.reservePlugins.push(p as ReservePlugin);
      if (has(p, 'bind')) this.bindPlugins.push(p as BindPlugin);
      if (has(p, 'eventsToRegister')) this.enqueueEvents.set(p.name, (p as unknown as { eventsToRegister(): ClusterEventWithHint[] }).eventsToRegister());
    }
  }

  /** Success lets the pod into the active queue; anything else keeps it parked (gated). */
  runPreEnqueue(pod: PodInfo): Status {
    for (const pl of this.preEnqueuePlugins) {
      const s = pl.preEnqueue(pod);
      if (s.code !== 'Success') return withPlugin(s, pl.name);
    }
    return ok;
  }

  /**
   * Every PreFilter plugin, unless one finds the pod unresolvable. An
   * Unschedulable plugin does not stop the others (preemption needs their
   * state); node-name results are intersected.
   */
  runPreFilter(state: CycleState, pod: PodInfo): PreFilterOutcome {
    let rejected: Status | undefined;
    let nodeNames: Set<string> | undefined;
    const narrowing: string[] = [];
    for (const pl of this.preFilterPlugins) {
      let r;
      try {
        r = pl.preFilter(state, pod);
      } catch (e) {
        return { status: faulted(pl.name, e), plugins: [] };
      }
      if (isPreFilterResult(r)) {
        narrowing.push(pl.name);
        nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => r.nodeNames.has(n))) : new Set(r.nodeNames);
        if (nodeNames.size === 0) {
          const msg = narrowing.length === 1 ? `node(s) didn't satisfy plugin ${narrowing[0]}` : `node(s) didn't satisfy plugin(s) [${narrowing.join(' ')}] simultaneously`;
          return { status: { code: 'UnschedulableAndUnresolvable', reasons: [msg] }, nodeNames, plugins: narrowing };
        }
        continue;
      }
      if (r.code === 'Skip') {
        state.skipFilterPlugins.add(pl.name);
        continue;
      }
      if (r.code === 'Success') continue;
      const s = withPlugin(r, pl.name);
      if (s.code === 'UnschedulableAndUnresolvable') return { status: s, plugins: [pl.name] };
      if (s.code === 'Unschedulable') {
        rejected ??= s;
        continue;
      }
      return { status: withPlugin(errorStatus(new Error(`running PreFilter plugin "${pl.name}": ${message(s)}`)), pl.name), plugins: [] };
    }
    if (rejected) return { status: rejected, plugins: [rejected.plugin!] };
    return { status: ok, nodeNames, plugins: narrowing };
  }

  /** The Filter plugins not skipped in this cycle, computed once per cycle (Filter runs per node). */
  private activeFilters(state: CycleState): FilterPlugin[] {
    if (this.filtersFor !== state) {
      this.filtersFor = state;
      this.filters = state.skipFilterPlugins.size ? this.filterPlugins.filter((p) => !state.skipFilterPlugins.has(p.name)) : this.filterPlugins;
    }
    return this.filters;
  }
  private filtersFor: CycleState | undefined;
  private filters: FilterPlugin[] = [];

  /** The first failing Filter decides the node's status. Call after runPreFilter for the same state. */
  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    for (const pl of this.activeFilters(state)) {
      let s: Status;
      try {
        s = pl.filter(state, pod, node);
      } catch (e) {
        return faulted(pl.name, e);
      }
      if (s.code === 'Success') continue;
      if (!isRejected(s)) return withPlugin(errorStatus(new Error(`running "${pl.name}" filter plugin: ${message(s)}`)), pl.name);
      return withPlugin(s, pl.name);
    }
    return ok;
  }

  /** PostFilter plugins until one succeeds; the last rejection's message is kept. */
  runPostFilter(state: CycleState, pod: PodInfo, filtered: NodeToStatus): { status: Status; nominatedNodeName?: string } {
    let last: Status = { code: 'Unschedulable', reasons: [] };
    for (const pl of this.postFilterPlugins) {
      let r;
      try {
        r = pl.postFilter(state, pod, filtered);
      } catch (e) {
        return { status: faulted(pl.name, e) };
      }
      if (r.status.code === 'Success') return r;
      if (r.status.code === 'Error') return { status: withPlugin(r.status, pl.name) };
      last = withPlugin(r.status, pl.name);
    }
    return { status: last };
  }

  runPreScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    for (const pl of this.preScorePlugins) {
      let s: Status;
      try {
        s = pl.preScore(state, pod, nodes);
      } catch (e) {
        return faulted(pl.name, e);
      }
      if (s.code === 'Skip') state.skipScorePlugins.add(pl.name);
      else if (s.code !== 'Success') return withPlugin(errorStatus(new Error(`running PreScore plugin "${pl.name}": ${message(s)}`)), pl.name);
    }
    return ok;
  }

  /**
   * Scores every node with every (non-skipped) Score plugin, normalises,
   * weights and sums. Returns the totals in `nodes` order; throws on a
   * plugin fault or an out-of-range normalised score.
   */
  runScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): number[] {
    const totals = new Array<number>(nodes.length).fill(0);
    for (const pl of this.scorePlugins) {
      if (state.skipScorePlugins.has(pl.name)) continue;
      const scores: NodeScore[] = new Array(nodes.length);
      for (let i = 0; i < nodes.length; i++) scores[i] = { name: nodes[i]!.name, score: pl.score(state, pod, nodes[i]!) };
      pl.normalizeScore?.(state, pod, scores);
      const w = this.weights.get(pl.name) ?? 1;
      for (let i = 0; i < nodes.length; i++) {
        const s = scores[i]!.score;
        if (!(s >= MIN_NODE_SCORE && s <= MAX_NODE_SCORE)) {
          throw new Error(`plugin "${pl.name}" returns an invalid score ${s}, it should in the range of [${MIN_NODE_SCORE}, ${MAX_NODE_SCORE}] after normalizing`);
        }
        totals[i]! += s * w;
      }
    }
    return totals;
  }

  runReserve(state: CycleState, pod: PodInfo, nodeName: string): Status {
    for (const pl of this.reservePlugins) {
      let s: Status;
      try {
        s = pl.reserve(state, pod, nodeName);
      } catch (e) {
        return faulted(pl.name, e);
      }
      if (s.code !== 'Success') return withPlugin(s, pl.name);
    }
    return ok;
  }

  /** Reverse order, as upstream, so later reservations are released first. */
  runUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let i = this.reservePlugins.length - 1; i >= 0; i--) this.reservePlugins[i]!.unreserve(state, pod, nodeName);
  }

  async runBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    for (const pl of this.bindPlugins) {
      let s: Status;
      try {
        s = await pl.bind(state, pod, nodeName);
      } catch (e) {
        s = errorStatus(e);
      }
      if (s.code === 'Skip') continue;
      if (s.code === 'Success') return s;
      return withPlugin(errorStatus(new Error(`running Bind plugin "${pl.name}": ${message(s)}`, { cause: s.error })), pl.name);
    }
    return errorStatus(new Error('no bind plugin bound the pod'));
  }
}
