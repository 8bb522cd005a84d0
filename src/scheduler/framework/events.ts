/**
 * Cluster events that can make a rejected pod schedulable, as upstream's
 * framework.ClusterEvent: a resource and a set of action bits. Plugins
 * register the events they care about (EnqueueExtensions); when one
 * happens, the queue moves the pods those plugins rejected back to be
 * retried, asking the plugin's hint first when it gave one.
 */
import type { Obj } from '../../client/types.ts';
import type { PodInfo } from '../cache/pod-info.ts';

/** `Pod` events are about pods bound to nodes (upstream AssignedPod*); `Node` about nodes. */
export type EventResource = 'Node' | 'Pod' | 'WildCard';

export const Action = {
  Add: 1,
  Delete: 2,
  UpdateNodeAllocatable: 4,
  UpdateNodeLabel: 8,
  UpdateNodeTaint: 16,
  UpdateNodeCondition: 32,
  UpdateNodeAnnotation: 64,
  UpdatePodLabel: 128,
  UpdatePodScaleDown: 256,
  UpdatePodOther: 512,
} as const;

const UPDATE = 4 | 8 | 16 | 32 | 64 | 128 | 256 | 512;
/** Every update bit; `All` adds Add and Delete. */
export const ActionUpdate = UPDATE;
export const ActionAll = 1 | 2 | UPDATE;

export interface ClusterEvent {
  readonly resource: EventResource;
  readonly actions: number;
  /** For logs: `NodeAdd`, `AssignedPodDelete`, `UnschedulableTimeout` … */
  readonly label: string;
}

export type QueueingHint = 'Queue' | 'QueueSkip';

/**
 * Says whether a change (old → new; old undefined for an add, new
 * undefined for a delete) may make `pod` schedulable for the plugin that
 * rejected it.
 */
export type QueueingHintFn = (pod: PodInfo, oldObj: Obj | undefined, newObj: Obj | undefined) => QueueingHint;

export interface ClusterEventWithHint {
  readonly event: { readonly resource: EventResource; readonly actions: number };
  readonly hint?: QueueingHintFn;
}

export const events = {
  nodeAdd: { resource: 'Node', actions: Action.Add, label: 'NodeAdd' },
  nodeDelete: { resource: 'Node', actions: Action.Delete, label: 'NodeDelete' },
  assignedPodAdd: { resource: 'Pod', actions: Action.Add, label: 'AssignedPodAdd' },
  assignedPodDelete: { resource: 'Pod', actions: Action.Delete, label: 'AssignedPodDelete' },
  /** Periodic flush of pods parked too long; moves every parked pod. */
  unschedulableTimeout: { resource: 'WildCard', actions: ActionAll, label: 'UnschedulableTimeout' },
  /** Something the scheduler cannot attribute (a failed binding's freed room …). */
  forceActivate: { resource: 'WildCard', actions: ActionAll, label: 'ForceActivate' },
} as const satisfies Record<string, ClusterEvent>;

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Conditions without their heartbeat and transition times: only status flips count. */
function conditionKey(node: Obj): string {
  return JSON.stringify(((node['status']?.conditions ?? []) as Obj[]).map((c) => [c.type, c.status, c.reason]));
}

/** What changed in a node update that scheduling cares about (upstream nodeSchedulingPropertiesChange). */
export function nodeUpdateEvents(old: Obj, node: Obj): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  if (!!old['spec']?.unschedulable !== !!node['spec']?.unschedulable) out.push({ resource: 'Node', actions: Action.UpdateNodeTaint, label: 'NodeSpecUnschedulableChange' });
  if (!sameJSON(old['status']?.allocatable, node['status']?.allocatable)) out.push({ resource: 'Node', actions: Action.UpdateNodeAllocatable, label: 'NodeAllocatableChange' });
  if (!sameJSON(old['metadata']?.labels, node['metadata']?.labels)) out.push({ resource: 'Node', actions: Action.UpdateNodeLabel, label: 'NodeLabelChange' });
  if (!sameJSON(old['spec']?.taints, node['spec']?.taints)) out.push({ resource: 'Node', actions: Action.UpdateNodeTaint, label: 'NodeTaintChange' });
  if (conditionKey(old) !== conditionKey(node)) out.push({ resource: 'Node', actions: Action.UpdateNodeCondition, label: 'NodeConditionChange' });
  if (!sameJSON(old['metadata']?.annotations, node['metadata']?.annotations)) out.push({ resource: 'Node', actions: Action.UpdateNodeAnnotation, label: 'NodeAnnotationChange' });
  return out;
}

/** What changed in a bound pod that may help others (labels for affinity and spreading). */
export function assignedPodUpdateEvents(old: Obj, pod: Obj): ClusterEvent[] {
  if (!sameJSON(old['metadata']?.labels, pod['metadata']?.labels)) return [{ resource: 'Pod', actions: Action.UpdatePodLabel, label: 'AssignedPodUpdate' }];
  return [];
}

/** Whether a registered event covers an event that happened. */
export function covers(registered: ClusterEventWithHint['event'], e: ClusterEvent): boolean {
  if (e.resource === 'WildCard' || registered.resource === 'WildCard') return true;
  return registered.resource === e.resource && (registered.actions & e.actions) !== 0;
}
