/**
 * The default profile (`default-scheduler`): upstream 1.32's default
 * plugins, in its order, with its score weights. Volume plugins and
 * ImageLocality are not implemented (bramble has no volume binding yet).
 */
import type { Client } from '../../client/types.ts';
import { NodeResourcesBalancedAllocation } from '../plugins/balanced-allocation.ts';
import { DefaultBinder } from '../plugins/default-binder.ts';
import { DefaultPreemption, type FilterRunner } from '../plugins/default-preemption.ts';
import { InterPodAffinity } from '../plugins/inter-pod-affinity.ts';
import { NodeAffinity } from '../plugins/node-affinity.ts';
import { NodeName } from '../plugins/node-name.ts';
import { NodePorts } from '../plugins/node-ports.ts';
import { NodeResourcesFit } from '../plugins/node-resources-fit.ts';
import { NodeUnschedulable } from '../plugins/node-unschedulable.ts';
import { PodTopologySpread } from '../plugins/pod-topology-spread/plugin.ts';
import { SchedulingGates } from '../plugins/scheduling-gates.ts';
import { TaintToleration } from '../plugins/taint-toleration.ts';
import type { PluginEntry } from './framework.ts';
import type { Handle } from './interfaces.ts';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export function defaultPlugins(handle: Handle, client: Client, runFilter: () => FilterRunner): PluginEntry[] {
  return [
    { plugin: new SchedulingGates() },
    { plugin: new NodeUnschedulable() },
    { plugin: new NodeName() },
    { plugin: new TaintToleration(), weight: 3 },
    { plugin: new NodeAffinity(), weight: 2 },
    { plugin: new NodePorts() },
    { plugin: new NodeResourcesFit(), weight: 1 },
    { plugin: new PodTopologySpread(handle), weight: 2 },
    { plugin: new InterPodAffinity(handle), weight: 2 },
    { plugin: new DefaultPreemption(handle, runFilter) },
    { plugin: new NodeResourcesBalancedAllocation(), weight: 1 },
    { plugin: new DefaultBinder(client) },
  ];
}
