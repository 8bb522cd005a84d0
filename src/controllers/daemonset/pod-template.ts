/**
 * The pods a DaemonSet creates (upstream CreatePodTemplate, NewPod and
 * ReplaceDaemonSetPodNodeNameNodeAffinity): the template with the default
 * daemon tolerations, the revision hash label, and a required node affinity
 * naming exactly one node, so the scheduler (not this controller) binds the
 * pod, and still checks resources and ports there.
 */
import type { Obj } from '../../client/types.ts';
import { podRevisionLabel } from '../history/revision.ts';
import { withDaemonTolerations } from './eligibility.ts';

/** Deprecated label upstream still sets from the DaemonSet's template-generation annotation. */
export const templateGenerationLabel = 'pod-template-generation';
export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

/** The DaemonSet's template generation, when its (deprecated) annotation carries one. */
export function templateGeneration(ds: Obj): string | undefined {
  const v = ds['metadata']?.annotations?.[templateGenerationAnnotation];
  return typeof v === 'string' && /^-?\d+$/.test(v) ? v : undefined;
}

/** A pod is current if its revision hash (or template generation) is the DaemonSet's (upstream IsPodUpdated). */
export function isPodUpdated(pod: Obj, hash: string, generation: string | undefined): boolean {
  const labels = pod['metadata']?.labels ?? {};
  return (hash !== '' && labels[podRevisionLabel] === hash) || (generation !== undefined && labels[templateGenerationLabel] === generation);
}

/** Required node affinity for exactly `nodeName`, replacing any required terms the template had. */
export function nodeNameAffinity(affinity: Obj | undefined, nodeName: string): Obj {
  const term = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] };
  const out: Obj = structuredClone(affinity ?? {});
  const na: Obj = (out['nodeAffinity'] ??= {});
  na['requiredDuringSchedulingIgnoredDuringExecution'] = { ...(na['requiredDuringSchedulingIgnoredDuringExecution'] ?? {}), nodeSelectorTerms: [term] };
  return out;
}

/**
 * The node a daemon pod is for: its nodeName once bound, else the node its
 * `metadata.name In [node]` affinity names (upstream GetTargetNodeName).
 */
export function targetNodeName(pod: Obj): string | undefined {
  const spec = pod['spec'] ?? {};
  if (spec.nodeName) return spec.nodeName;
  const terms: Obj[] = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms)
    for (const f of (t['matchFields'] ?? []) as Obj[])
      if (f['key'] === 'metadata.name' && f['operator'] === 'In') return f['values']?.length === 1 ? f['values'][0] : undefined;
  return undefined;
}

/**
 * The template of the pod for `ds` on `nodeName` at revision `hash`: the
 * DaemonSet's template with the daemon tolerations, the hash (and template
 * generation) labels, and the one-node affinity. PodControl turns it into a
 * pod with a generated name and the controller reference.
 */
export function daemonPodTemplate(ds: Obj, nodeName: string, hash: string): Obj {
  const template: Obj = structuredClone(ds['spec']?.template ?? {});
  const meta: Obj = template['metadata'] ?? {};
  const spec: Obj = template['spec'] ?? {};
  const labels: Record<string, string> = { ...(meta['labels'] ?? {}) };
  const generation = templateGeneration(ds);
  if (generation !== undefined) labels[templateGenerationLabel] = generation;
  if (hash) labels[podRevisionLabel] = hash;
  spec['tolerations'] = withDaemonTolerations(spec);
  spec['affinity'] = nodeNameAffinity(spec['affinity'], nodeName);
  return { metadata: { ...meta, labels }, spec };
}
