/**
 * DefaultPreemption, as a PostFilter that explains rather than acts: it
 * runs upstream's candidate search (nodes that rejected the pod as merely
 * Unschedulable, minus the pods of lower priority, filtered again) and
 * reports the outcome in upstream's words ("No preemption victims found for
 * incoming pod", "Preemption is not helpful for scheduling"). It never
 * evicts; when a node would fit after evictions it reports nothing extra
 * and the pod waits like any other unschedulable pod.
 */
import type { NodeInfo } from '../cache/node-info.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { fitErrorMessage, statusOf } from '../framework/fit-error.ts';
import type { Handle, NodeToStatus, PostFilterPlugin } from '../framework/interfaces.ts';
import { errorStatus, unresolvable, unschedulable, type Status } from '../framework/status.ts';
import { logger } from '../../util/log.ts';

const log = logger('scheduler');

export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

export type FilterRunner = (state: CycleState, pod: PodInfo, node: NodeInfo) => Status;

export class DefaultPreemption implements PostFilterPlugin {
  readonly name = 'DefaultPreemption';
  private readonly h: Handle;
  private readonly runFilter: () => FilterRunner;

  /** `runFilter` is resolved lazily: the framework that runs the filters is built after its plugins. */
  constructor(handle: Handle, runFilter: () => FilterRunner) {
    this.h = handle;
    this.runFilter = runFilter;
  }

  postFilter(state: CycleState, pod: PodInfo, filtered: NodeToStatus): { status: Status } {
    if (pod.pod['spec']?.preemptionPolicy === 'Never') return { status: unschedulable('preemption: not eligible due to preemptionPolicy=Never.') };
    const all = this.h.cache.nodeInfos();
    if (all.length === 0) return { status: errorStatus(new Error('no nodes available')) };
    const statuses = new Map<string, Status>();
    let candidates = 0;
    for (const node of all) {
      if (statusOf(filtered, node.name).code !== 'Unschedulable') continue;
      const victims = [...node.pods.values()].filter((p) => p.priority < pod.priority);
      if (victims.length === 0) {
        statuses.set(node.name, unresolvable(NO_VICTIMS));
        continue;
      }
      const without = node.clone();
      for (const v of victims) without.removePod(v);
      const s = this.runFilter()(state, pod, without);
      if (s.code === 'Success') candidates++;
      else statuses.set(node.name, s);
    }
    if (candidates > 0) {
      log.info('preemption would make room but is not implemented; pod stays pending', { pod: pod.key, candidates });
      return { status: unschedulable() };
    }
    const msg = fitErrorMessage(all.length, { statuses, absent: unresolvable(NOT_HELPFUL) });
    return { status: unschedulable(`preemption: ${msg}`) };
  }
}
