/**
 * StatefulSet pod identity (upstream stateful_set_utils.go): a pod's name is
 * `<set>-<ordinal>`, its hostname the same, its subdomain the set's
 * serviceName; it carries `statefulset.kubernetes.io/pod-name`,
 * `apps.kubernetes.io/pod-index` and its revision in
 * `controller-revision-hash`; each volumeClaimTemplate becomes a volume
 * naming the claim `<template>-<set>-<ordinal>`.
 */
import type { Obj } from '../../client/types.ts';
import { newControllerRef } from '../common/controller-ref.ts';
import { podFromTemplate } from '../common/pod-control.ts';
import { podRevisionLabel } from '../history/revision.ts';

export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';

const ordinalRe = /^(.*)-([0-9]+)$/;

/** Parent name and ordinal from a pod name; ordinal -1 when the name has none. */
export function parentAndOrdinal(podName: string): { parent: string; ordinal: number } {
  const m = ordinalRe.exec(podName);
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return { parent: m[1]!, ordinal: Number.isSafeInteger(n) && n <= 2147483647 ? n : -1 };
}

export function ordinalOf(pod: Obj): number {
  return parentAndOrdinal(pod['metadata'].name).ordinal;
}

export function isMemberOf(set: Obj, pod: Obj): boolean {
  return parentAndOrdinal(pod['metadata'].name).parent === set['metadata'].name;
}

export function startOrdinal(set: Obj): number {
  return set['spec']?.ordinals?.start ?? 0;
}

export function replicasOf(set: Obj): number {
  return set['spec']?.replicas ?? 1;
}

/** Is the pod's ordinal within [start, start + replicas)? */
export function inOrdinalRange(set: Obj, pod: Obj): boolean {
  const o = ordinalOf(pod);
  const start = startOrdinal(set);
  return o >= start && o < start + replicasOf(set);
}

export function podName(set: Obj, ordinal: number): string {
  return `${set['metadata'].name}-${ordinal}`;
}

export function claimName(set: Obj, template: Obj, ordinal: number): string {
  return `${template['metadata']?.name}-${set['metadata'].name}-${ordinal}`;
}

export function podRevision(pod: Obj): string {
  return pod['metadata']?.labels?.[podRevisionLabel] ?? '';
}

/** Name, namespace and pod-name label fit the set (upstream identityMatches). */
export function identityMatches(set: Obj, pod: Obj): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod['metadata'].name);
  return (
    ordinal >= 0 &&
    parent === set['metadata'].name &&
    pod['metadata'].namespace === set['metadata'].namespace &&
    pod['metadata'].labels?.[podNameLabel] === pod['metadata'].name
  );
}

/** Every claim template has a volume naming this pod's claim (upstream storageMatches). */
export function storageMatches(set: Obj, pod: Obj): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map<string, Obj>(((pod['spec']?.volumes ?? []) as Obj[]).map((v) => [v['name'], v]));
  return ((set['spec']?.volumeClaimTemplates ?? []) as Obj[]).every((t) => volumes.get(t['metadata']?.name)?.persistentVolumeClaim?.claimName === claimName(set, t, ordinal));
}

/** Sets the pod-name and pod-index labels (upstream updateIdentity). */
export function updateIdentity(set: Obj, pod: Obj): void {
  const ordinal = ordinalOf(pod);
  const m = pod['metadata'];
  m.name = podName(set, ordinal);
  m.namespace = set['metadata'].namespace;
  m.labels = { ...(m.labels ?? {}), [podNameLabel]: m.name, [podIndexLabel]: String(ordinal) };
}

/** Replaces the claim templates' volumes with this pod's claims, keeping the other volumes (upstream updateStorage). */
export function updateStorage(set: Obj, pod: Obj): void {
  const ordinal = ordinalOf(pod);
  const templates: Obj[] = set['spec']?.volumeClaimTemplates ?? [];
  const names = new Set(templates.map((t) => t['metadata']?.name));
  const spec: Obj = (pod['spec'] ??= {});
  const claims = templates.map((t) => ({ name: t['metadata']?.name, persistentVolumeClaim: { claimName: claimName(set, t, ordinal) } }));
  spec['volumes'] = [...claims, ...((spec['volumes'] ?? []) as Obj[]).filter((v) => !names.has(v['name']))];
  if (!spec['volumes'].length) delete spec['volumes'];
}

/** The pod for `ordinal` from `set`'s template (upstream newStatefulSetPod), labelled with `revision`. */
export function newStatefulPod(set: Obj, ordinal: number, revision: string): Obj {
  const pod = podFromTemplate(set['spec']?.template ?? {}, set, newControllerRef(set, 'apps/v1', 'StatefulSet'));
  const m = pod['metadata'];
  delete m.generateName;
  m.name = podName(set, ordinal);
  updateIdentity(set, pod);
  // Hostname and subdomain are immutable: set once, at creation.
  pod['spec'].hostname = m.name;
  if (set['spec']?.serviceName) pod['spec'].subdomain = set['spec'].serviceName;
  updateStorage(set, pod);
  m.labels[podRevisionLabel] = revision;
  return pod;
}

/** Pods ascending by ordinal. */
export function byOrdinal(a: Obj, b: Obj): number {
  return ordinalOf(a) - ordinalOf(b);
}
