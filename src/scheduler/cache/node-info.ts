/**
 * One node as the scheduler sees it (upstream framework.NodeInfo): the Node
 * object's scheduling-relevant fields, parsed once per node update, and the
 * pods on it (bound or assumed) with their summed requests and host ports.
 */
import type { Obj } from '../../client/types.ts';
import { HostPortInfo } from '../util/host-ports.ts';
import type { Labels } from '../util/node-affinity.ts';
import { addResources, emptyResources, nodeAllocatable, type Resources } from '../util/resources.ts';
import { taintsOf, type Taint } from '../util/taints.ts';
import { hasAffinity, type PodInfo } from './pod-info.ts';

const NO_LABELS: Labels = Object.freeze({});

export class NodeInfo {
  readonly name: string;
  /** Undefined while pods name a node the cache has not seen (or after it was deleted). */
  node: Obj | undefined;
  labels: Labels = NO_LABELS;
  taints: readonly Taint[] = [];
  unschedulable = false;
  allocatable: Resources = emptyResources();
  allowedPods = 0;
  readonly requested: Resources = emptyResources();
  /** Requests with scoring defaults for containers that request nothing. */
  nonZeroCPU = 0;
  nonZeroMemory = 0;
  readonly pods = new Map<string, PodInfo>();
  /** Pods here with any pod (anti-)affinity term, and those with required anti-affinity (upstream keeps both lists). */
  readonly podsWithAffinity = new Set<PodInfo>();
  readonly podsWithRequiredAntiAffinity = new Set<PodInfo>();
  usedPorts = new HostPortInfo();

  constructor(name: string) {
    this.name = name;
  }

  setNode(node: Obj | undefined): void {
    this.node = node;
    if (!node) return;
    this.labels = node['metadata']?.labels ?? NO_LABELS;
    this.taints = taintsOf(node);
    this.unschedulable = !!node['spec']?.unschedulable;
    const a = nodeAllocatable(node);
    this.allocatable = a.allocatable;
    this.allowedPods = a.allowedPods;
  }

  addPod(p: PodInfo): void {
    this.pods.set(p.uid, p);
    addResources(this.requested, p.requests);
    this.nonZeroCPU += p.nonZeroCPU;
    this.nonZeroMemory += p.nonZeroMemory;
    for (const hp of p.hostPorts) this.usedPorts.add(hp);
    if (hasAffinity(p)) this.podsWithAffinity.add(p);
    if (p.requiredAntiAffinityTerms.length) this.podsWithRequiredAntiAffinity.add(p);
  }

  /** Removes the pod with `p.uid`; returns false when it was not here. */
  removePod(p: PodInfo): boolean {
    const cur = this.pods.get(p.uid);
    if (!cur) return false;
    this.pods.delete(p.uid);
    addResources(this.requested, cur.requests, -1);
    this.nonZeroCPU -= cur.nonZeroCPU;
    this.nonZeroMemory -= cur.nonZeroMemory;
    for (const hp of cur.hostPorts) this.usedPorts.remove(hp);
    this.podsWithAffinity.delete(cur);
    this.podsWithRequiredAntiAffinity.delete(cur);
    return true;
  }

  /** A copy whose pod set can change independently (preemption dry runs). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.labels = this.labels;
    c.taints = this.taints;
    c.unschedulable = this.unschedulable;
    c.allocatable = this.allocatable;
    c.allowedPods = this.allowedPods;
    addResources(c.requested, this.requested);
    c.nonZeroCPU = this.nonZeroCPU;
    c.nonZeroMemory = this.nonZeroMemory;
    for (const [k, p] of this.pods) c.pods.set(k, p);
    for (const p of this.podsWithAffinity) c.podsWithAffinity.add(p);
    for (const p of this.podsWithRequiredAntiAffinity) c.podsWithRequiredAntiAffinity.add(p);
    c.usedPorts = this.usedPorts.clone();
    return c;
  }
}
