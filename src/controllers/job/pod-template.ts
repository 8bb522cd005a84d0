/**
 * The pods a Job creates: its template (whose labels the API server filled
 * with `batch.kubernetes.io/job-name`, `batch.kubernetes.io/controller-uid`
 * and their legacy forms) plus the tracking finalizer, which keeps a
 * finished pod around until the controller has counted it. Indexed Jobs add
 * the completion index as annotation, label, `JOB_COMPLETION_INDEX` and
 * hostname `<job>-<index>`, and name pods `<job>-<index>-xxxxx`.
 */
import type { Obj } from '../../client/types.ts';
import { podNamePrefix } from '../common/pod-control.ts';
import { completionIndexKey } from './indexes.ts';

export const trackingFinalizer = 'batch.kubernetes.io/job-tracking';

export function hasTrackingFinalizer(pod: Obj): boolean {
  return ((pod['metadata']?.finalizers ?? []) as string[]).includes(trackingFinalizer);
}

export function isIndexed(job: Obj): boolean {
  return job['spec']?.completionMode === 'Indexed';
}

const indexEnv = {
  name: 'JOB_COMPLETION_INDEX',
  valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${completionIndexKey}']` } },
};

/** The template every pod of the Job starts from. */
export function jobPodTemplate(job: Obj): Obj {
  const t: Obj = structuredClone(job['spec']?.template ?? {});
  const meta: Obj = (t['metadata'] ??= {});
  const finalizers: string[] = meta['finalizers'] ?? [];
  if (!finalizers.includes(trackingFinalizer)) meta['finalizers'] = [...finalizers, trackingFinalizer];
  if (isIndexed(job)) {
    for (const list of [t['spec']?.containers, t['spec']?.initContainers] as (Obj[] | undefined)[])
      for (const c of list ?? []) {
        const env: Obj[] = c['env'] ?? [];
        if (!env.some((e) => e['name'] === indexEnv.name)) c['env'] = [...env, structuredClone(indexEnv)];
      }
  }
  return t;
}

/** The template of the pod for completion index `index`, and its name prefix. */
export function indexedPodTemplate(job: Obj, base: Obj, index: number): { template: Obj; generateName: string } {
  const t = structuredClone(base);
  const meta: Obj = (t['metadata'] ??= {});
  meta['annotations'] = { ...(meta['annotations'] ?? {}), [completionIndexKey]: String(index) };
  meta['labels'] = { ...(meta['labels'] ?? {}), [completionIndexKey]: String(index) };
  const name: string = job['metadata'].name;
  (t['spec'] ??= {})['hostname'] = `${name}-${index}`;
  return { template: t, generateName: podNamePrefix(`${name}-${index}`) };
}
