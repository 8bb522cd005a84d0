/**
 * What the scheduler precomputes about a pod once per object version
 * (upstream framework.PodInfo): requests, affinity terms, host ports and
 * tolerations, so that checking it against thousands of nodes does no
 * parsing.
 */
import type { Obj } from '../../client/types.ts';
import type { Labels } from '../util/node-affinity.ts';
import { newAffinityTerm, type AffinityTerm, type WeightedAffinityTerm } from '../util/affinity-term.ts';
import { podHostPorts, type HostPort } from '../util/host-ports.ts';
import { podNonZeroRequests, podRequests, type Resources } from '../util/resources.ts';
import { tolerationsOf, type Toleration } from '../util/taints.ts';

export interface PodInfo {
  /** The API object; shared with the informer cache, never modified. */
  readonly pod: Obj;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** `namespace/name`. */
  readonly key: string;
  readonly labels: Labels;
  readonly nodeName: string;
  readonly priority: number;
  readonly terminating: boolean;
  readonly requests: Resources;
  readonly nonZeroCPU: number;
  readonly nonZeroMemory: number;
  readonly hostPorts: readonly HostPort[];
  readonly tolerations: readonly Toleration[];
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];
  /** Set when an affinity term's selector could not be parsed (InterPodAffinity rejects the pod). */
  readonly parseError?: string;
}

const EMPTY: readonly never[] = Object.freeze([]);

export function newPodInfo(pod: Obj): PodInfo {
  const m = pod['metadata'] ?? {};
  const spec = pod['spec'] ?? {};
  const namespace: string = m.namespace ?? '';
  const name: string = m.name ?? '';
  const affinity = spec.affinity ?? {};
  let parseError: string | undefined;
  const terms = (list: Obj[] | undefined): AffinityTerm[] => {
    if (!list?.length) return EMPTY as never[];
    const out: AffinityTerm[] = [];
    for (const t of list) {
      try {
        out.push(newAffinityTerm(namespace, t));
      } catch (e) {
        parseError ??= e instanceof Error ? e.message : String(e);
      }
    }
    return out;
  };
  const weighted = (list: Obj[] | undefined): WeightedAffinityTerm[] => {
    if (!list?.length) return EMPTY as never[];
    const out: WeightedAffinityTerm[] = [];
    for (const w of list) {
      try {
        out.push({ term: newAffinityTerm(namespace, w.podAffinityTerm ?? {}), weight: w.weight ?? 0 });
      } catch (e) {
        parseError ??= e instanceof Error ? e.message : String(e);
      }
    }
    return out;
  };
  const nonZero = podNonZeroRequests(spec);
  return {
    pod,
    uid: m.uid ?? `${namespace}/${name}`,
    namespace,
    name,
    key: `${namespace}/${name}`,
    labels: m.labels ?? {},
    nodeName: spec.nodeName ?? '',
    priority: typeof spec.priority === 'number' ? spec.priority : 0,
    terminating: !!m.deletionTimestamp,
    requests: podRequests(spec),
    nonZeroCPU: nonZero.milliCPU,
    nonZeroMemory: nonZero.memory,
    hostPorts: podHostPorts(pod),
    tolerations: tolerationsOf(pod),
    requiredAffinityTerms: terms(affinity.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAntiAffinityTerms: terms(affinity.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    preferredAffinityTerms: weighted(affinity.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinityTerms: weighted(affinity.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    ...(parseError ? { parseError } : {}),
  };
}

/** The pod as bound to `nodeName` in memory (an assumed pod), without touching the shared object. */
export function assumedPodInfo(pi: PodInfo, nodeName: string): PodInfo {
  const pod = { ...pi.pod, spec: { ...pi.pod['spec'], nodeName } };
  return { ...pi, pod, nodeName };
}

/** Whether the pod has any pod affinity or anti-affinity term (upstream PodsWithAffinity). */
export function hasAffinity(pi: PodInfo): boolean {
  return (
    pi.requiredAffinityTerms.length > 0 ||
    pi.requiredAntiAffinityTerms.length > 0 ||
    pi.preferredAffinityTerms.length > 0 ||
    pi.preferredAntiAffinityTerms.length > 0
  );
}
