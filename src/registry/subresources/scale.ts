/**
 * The scale subresource (`autoscaling/v1 Scale`) of Deployments,
 * ReplicaSets and StatefulSets: a view of spec.replicas and the selector.
 */
import { errors } from '../../api/errors.ts';
import { formatLabelSelector } from '../../api/selectors/label.ts';
import type { Store } from '../store.ts';
import { guaranteedUpdate } from '../store-write.ts';
import type { Obj, PatchType, WriteContext } from '../types.ts';

export function scaleOf(obj: Obj): Obj {
  const m = obj['metadata'] ?? {};
  const sel = formatLabelSelector(obj['spec']?.selector);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: obj['spec']?.replicas ?? 0 },
    status: { replicas: obj['status']?.replicas ?? 0, selector: sel === '<none>' ? '' : sel },
  };
}

/** Validates a Scale body as upstream does; returns the requested replicas. */
function checkScale(store: Store, scale: Obj, name: string): number {
  if (scale['kind'] !== undefined && scale['kind'] !== 'Scale') throw errors.badRequest(`the kind in the data (${scale['kind']}) does not match the expected kind (Scale)`);
  const body = { ...scale, metadata: { name, ...(scale['metadata'] ?? {}) } };
  const errs = store.deps.hooks.validate({ group: 'autoscaling', version: 'v1', kind: 'Scale' }, body, undefined, 'scale');
  if (errs.length) throw errors.invalid('autoscaling', 'Scale', name, errs);
  return scale['spec']?.replicas ?? 0;
}

export async function getScale(store: Store, namespace: string, name: string): Promise<Obj> {
  return scaleOf(await store.get(namespace, name));
}

/**
 * Writes spec.replicas from a requested Scale, computed from the current
 * Scale view; the requested Scale's resourceVersion, when set, is a
 * precondition.
 */
async function writeScale(store: Store, namespace: string, name: string, ctx: WriteContext, request: (current: Obj) => Obj): Promise<Obj> {
  const updated = await guaranteedUpdate(
    store,
    namespace,
    name,
    ctx,
    (obj) => {
      const current = scaleOf(obj);
      const wanted = request(current);
      const replicas = checkScale(store, wanted, name);
      const rv = wanted['metadata']?.resourceVersion;
      if (rv && rv !== current['metadata'].resourceVersion) throw errors.staleObject(store.gr, name);
      obj['spec'] = { ...(obj['spec'] ?? {}), replicas };
    },
    'scale',
  );
  return scaleOf(updated);
}

/** PUT .../scale. */
export function updateScale(store: Store, namespace: string, name: string, scale: Obj, ctx: WriteContext): Promise<Obj> {
  return writeScale(store, namespace, name, ctx, () => scale);
}

/** PATCH .../scale: the patch applies to the Scale view (a strategic patch merges like a merge patch: Scale has no lists). */
export function patchScale(store: Store, namespace: string, name: string, type: PatchType, patch: unknown, ctx: WriteContext): Promise<Obj> {
  const scaleGVK = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  return writeScale(store, namespace, name, ctx, (current) => store.deps.hooks.patch(type === 'strategic' ? 'merge' : type, scaleGVK, current, patch));
}
