/**
 * Builders for the apply and managed-fields tests: Deployment manifests as
 * kubectl sends them, the annotation client-side apply adds, and readers
 * for the managedFields entries of a result.
 */
import type { JsonObject } from '../../patch/json-value.ts';
import type { ManagedFieldsEntry } from '../managed-fields.ts';

export const lastAppliedKey = 'kubectl.kubernetes.io/last-applied-configuration';

export interface ContainerSpec {
  name: string;
  image?: string;
  [k: string]: unknown;
}

/** A Deployment manifest as a user writes it. */
export function manifest(opts: { replicas?: number; containers?: ContainerSpec[]; labels?: Record<string, string> } = {}): JsonObject {
  const spec: JsonObject = {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: opts.containers ?? [{ name: 'web', image: 'nginx:1.26' }] },
    },
  };
  if (opts.replicas !== undefined) spec.replicas = opts.replicas;
  const metadata: JsonObject = { name: 'web', namespace: 'default' };
  if (opts.labels) metadata.labels = opts.labels;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec };
}

/** What `kubectl apply` (client-side) creates: the manifest plus its last-applied annotation. */
export function withLastApplied(m: JsonObject): JsonObject {
  const copy = structuredClone(m);
  const meta = copy.metadata as JsonObject;
  const annotated = structuredClone(m);
  (annotated.metadata as JsonObject).annotations = {};
  meta.annotations = { ...((meta.annotations as object) ?? {}), [lastAppliedKey]: `${JSON.stringify(annotated)}\n` };
  return copy;
}

/** A stored object: the manifest with the metadata the registry adds. */
export function stored(m: JsonObject): JsonObject {
  const copy = structuredClone(m);
  Object.assign(copy.metadata as JsonObject, { uid: 'b1e7c0de-0000-4000-8000-000000000001', resourceVersion: '10', creationTimestamp: '2024-05-01T10:00:00Z', generation: 1 });
  return copy;
}

export function entries(obj: JsonObject): ManagedFieldsEntry[] {
  return ((obj.metadata as JsonObject).managedFields as ManagedFieldsEntry[] | undefined) ?? [];
}

/** The entry of `manager` (and operation/subresource if given), or undefined. */
export function entry(obj: JsonObject, manager: string, operation?: string, subresource?: string): ManagedFieldsEntry | undefined {
  return entries(obj).find(
    (e) => e.manager === manager && (operation === undefined || e.operation === operation) && (subresource === undefined || e.subresource === subresource),
  );
}

/** `[manager, operation, subresource?]` per entry, in order. */
export function owners(obj: JsonObject): string[] {
  return entries(obj).map((e) => [e.manager, e.operation, e.subresource].filter(Boolean).join('/'));
}

export function spec(obj: JsonObject): JsonObject {
  return obj.spec as JsonObject;
}

export function containers(obj: JsonObject): ContainerSpec[] {
  return ((spec(obj).template as JsonObject).spec as JsonObject).containers as ContainerSpec[];
}
