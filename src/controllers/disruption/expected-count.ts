/**
 * How many pods a PodDisruptionBudget expects and how many must stay
 * healthy (upstream getExpectedPodCount / getExpectedScale):
 * - minAvailable as an integer: expected = the pods selected;
 * - minAvailable as a percentage, or maxUnavailable: expected = the sum of
 *   the scale of the pods' controllers (Deployment through its ReplicaSet,
 *   ReplicaSet, StatefulSet), each counted once; pods without a controller
 *   are reported as unmanaged and left out.
 * Percentages round up, as upstream.
 */
import type { Informer } from '../../client/informer.ts';
import type { Obj } from '../../client/types.ts';
import { controllerOf, type OwnerReference } from '../common/controller-ref.ts';

/** A value a budget field holds: an integer, or a string like "50%". */
export type IntOrString = number | string;

/**
 * An integer, or a percentage of `total` (upstream
 * GetScaledValueFromIntOrPercent). Throws on strings that are not percentages.
 */
export function scaledValue(v: IntOrString | undefined | null, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) throw new Error('nil value for IntOrString');
  if (typeof v === 'number') return v;
  if (!v.endsWith('%')) throw new Error('invalid value for IntOrString: invalid type: string is not a percentage');
  const digits = v.slice(0, -1);
  if (!/^[+-]?\d+$/.test(digits)) throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}: strconv.Atoi: parsing ${JSON.stringify(digits)}: invalid syntax`);
  const scaled = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export interface Workloads {
  replicaSets: Informer;
  deployments: Informer;
  statefulSets: Informer;
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** Built-in kinds that have no scale subresource: upstream's message names the resource. */
const withoutScale: Record<string, string> = {
  'apps/DaemonSet': 'daemonsets.apps',
  'batch/Job': 'jobs.batch',
  'batch/CronJob': 'cronjobs.batch',
  '/Pod': 'pods',
  '/Node': 'nodes',
};

/** The controller's uid and desired replicas; undefined if it is not in the cache. */
function findScale(ref: OwnerReference, namespace: string, w: Workloads): { uid: string; scale: number } | undefined {
  const group = groupOf(ref.apiVersion);
  const get = (inf: Informer, name: string, uid: string) => {
    const o = inf.getByName(namespace, name);
    return o && o['metadata'].uid === uid ? o : undefined;
  };
  if (ref.kind === 'ReplicaSet' && (group === 'apps' || group === 'extensions')) {
    const rs = get(w.replicaSets, ref.name, ref.uid);
    if (!rs) return undefined;
    const owner = controllerOf(rs);
    if (owner?.kind === 'Deployment' && ['apps', 'extensions'].includes(groupOf(owner.apiVersion))) {
      const d = get(w.deployments, owner.name, owner.uid);
      if (d) return { uid: d['metadata'].uid, scale: d['spec']?.replicas ?? 1 };
    }
    // A ReplicaSet on its own (or whose Deployment is gone) counts with its own scale.
    return { uid: rs['metadata'].uid, scale: rs['spec']?.replicas ?? 1 };
  }
  if (ref.kind === 'StatefulSet' && group === 'apps') {
    const ss = get(w.statefulSets, ref.name, ref.uid);
    return ss ? { uid: ss['metadata'].uid, scale: ss['spec']?.replicas ?? 1 } : undefined;
  }
  if (ref.kind === 'Deployment' && group === 'apps') {
    const d = get(w.deployments, ref.name, ref.uid);
    return d ? { uid: d['metadata'].uid, scale: d['spec']?.replicas ?? 1 } : undefined;
  }
  const noScale = withoutScale[`${group}/${ref.kind}`];
  if (noScale) throw new Error(`${noScale} does not implement the scale subresource`);
  throw new Error(`no matches for kind ${JSON.stringify(ref.kind)} in version ${JSON.stringify(ref.apiVersion)}`);
}

/** The sum of the scales of the pods' controllers, and the names of pods without one. */
export function expectedScale(pods: readonly Obj[], w: Workloads): { expected: number; unmanaged: string[] } {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) {
      unmanaged.push(pod['metadata'].name);
      continue;
    }
    if (scales.has(ref.uid)) continue;
    const found = findScale(ref, pod['metadata'].namespace, w);
    if (!found) throw new Error(`found no controllers for pod ${JSON.stringify(pod['metadata'].name)}`);
    scales.set(found.uid, found.scale);
  }
  let expected = 0;
  for (const s of scales.values()) expected += s;
  return { expected, unmanaged };
}

/** expectedPods and desiredHealthy of a budget over its selected pods. */
export function expectedPodCount(pdb: Obj, pods: readonly Obj[], w: Workloads): { expected: number; desiredHealthy: number; unmanaged: string[] } {
  const spec = pdb['spec'] ?? {};
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const { expected, unmanaged } = expectedScale(pods, w);
    const maxUnavailable = scaledValue(spec.maxUnavailable, expected, true);
    return { expected, desiredHealthy: Math.max(0, expected - maxUnavailable), unmanaged };
  }
  if (typeof spec.minAvailable === 'number') return { expected: pods.length, desiredHealthy: spec.minAvailable, unmanaged: [] };
  if (typeof spec.minAvailable === 'string') {
    const { expected, unmanaged } = expectedScale(pods, w);
    return { expected, desiredHealthy: scaledValue(spec.minAvailable, expected, true), unmanaged };
  }
  return { expected: 0, desiredHealthy: 0, unmanaged: [] };
}
