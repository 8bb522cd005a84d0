/**
 * The LimitRanger admission plugin, after upstream's
 * plugin/pkg/admission/limitranger:
 * - mutating: a new pod's containers (and init containers) get the
 *   `default` limits and `defaultRequest` requests of the namespace's
 *   LimitRanges for resources they do not set, recorded in the
 *   `kubernetes.io/limit-ranger` annotation;
 * - validating: pods (on create) and PersistentVolumeClaims (create and
 *   update) must respect each LimitRange's min, max and
 *   maxLimitRequestRatio, per Container, per Pod (summed) and per claim;
 *   a violation is a 403 listing every broken rule, worded as upstream.
 *
 * Pod updates are left alone, as upstream: containers cannot change.
 */
import { errors } from '../api/errors.ts';
import type { Quantity } from '../api/quantity.ts';
import { InProcessClient } from '../client/in-process.ts';
import { resources } from '../client/types.ts';
import type { AdmissionPlugin, AdmissionRequest } from '../registry/admission.ts';
import type { Registry } from '../registry/registry.ts';
import type { Obj } from '../registry/types.ts';
import type { ControllerConfig } from '../controllers/manager.ts';
import { aggregate, limitRequestRatioConstraint, maxConstraint, maxRequestConstraint, minConstraint } from './limit-ranger-constraints.ts';
import { podLimits, podRequests, toList, type ResourceList } from './resource-quota-resources.ts';
import { nameForMessage } from './resource-quota.ts';

export const limitRangerAnnotation = 'kubernetes.io/limit-ranger';

const isPod = (req: AdmissionRequest) => req.resource.group === '' && req.resource.resource === 'pods';
const isPVC = (req: AdmissionRequest) => req.resource.group === '' && req.resource.resource === 'persistentvolumeclaims';

function applies(req: AdmissionRequest): boolean {
  if (req.subresource !== '' || !req.namespace || req.operation === 'DELETE') return false;
  if (isPod(req)) return req.operation === 'CREATE';
  if (!isPVC(req)) return false;
  return !req.oldObject?.['metadata']?.deletionTimestamp;
}

/** Sets the LimitRange's container defaults on the pod; returns nothing, records what it set. */
export function applyDefaults(limitRange: Obj, pod: Obj): void {
  const limits: Obj = {};
  const requests: Obj = {};
  for (const item of (limitRange['spec']?.limits ?? []) as Obj[]) {
    if (item?.type !== 'Container') continue;
    Object.assign(requests, item.defaultRequest ?? {});
    Object.assign(limits, item.default ?? {});
  }
  const notes: string[] = [];
  const merge = (c: Obj, what: string) => {
    const res: Obj = (c.resources ??= {});
    const setLimits: string[] = [];
    const setRequests: string[] = [];
    for (const [k, v] of Object.entries(limits)) {
      if (res.limits && k in res.limits) continue;
      (res.limits ??= {})[k] = v;
      setLimits.push(k);
    }
    for (const [k, v] of Object.entries(requests)) {
      if (res.requests && k in res.requests) continue;
      (res.requests ??= {})[k] = v;
      setRequests.push(k);
    }
    if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${what} ${c.name}`);
    if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${what} ${c.name}`);
  };
  for (const c of (pod['spec']?.containers ?? []) as Obj[]) merge(c, 'container');
  for (const c of (pod['spec']?.initContainers ?? []) as Obj[]) merge(c, 'init container');
  if (notes.length) {
    const m = (pod['metadata'] ??= {});
    m.annotations = { ...(m.annotations ?? {}), [limitRangerAnnotation]: `LimitRanger plugin set: ${notes.join('; ')}` };
  }
}

/** Go ranges over maps in random order; sorted names make the message stable. */
const sortedEntries = (o: unknown): [string, Quantity][] => [...toList(o)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Every rule of the LimitRange the pod breaks. */
export function podViolations(limitRange: Obj, pod: Obj): string[] {
  const out: string[] = [];
  const check = (type: string, item: Obj, requests: ResourceList, limits: ResourceList) => {
    for (const [k, v] of sortedEntries(item.min)) out.push(minConstraint(type, k, v, requests, limits) ?? '');
    for (const [k, v] of sortedEntries(item.max)) out.push(maxConstraint(type, k, v, requests, limits) ?? '');
    for (const [k, v] of sortedEntries(item.maxLimitRequestRatio)) out.push(limitRequestRatioConstraint(type, k, v, requests, limits) ?? '');
  };
  for (const item of (limitRange['spec']?.limits ?? []) as Obj[]) {
    if (item?.type === 'Container') {
      const spec = pod['spec'] ?? {};
      for (const c of [...((spec.containers ?? []) as Obj[]), ...((spec.initContainers ?? []) as Obj[])]) {
        check('Container', item, toList(c?.resources?.requests), toList(c?.resources?.limits));
      }
    } else if (item?.type === 'Pod') check('Pod', item, podRequests(pod), podLimits(pod));
  }
  return out.filter(Boolean);
}

export function pvcViolations(limitRange: Obj, pvc: Obj): string[] {
  const out: string[] = [];
  const requests = toList(pvc['spec']?.resources?.requests);
  for (const item of (limitRange['spec']?.limits ?? []) as Obj[]) {
    if (item?.type !== 'PersistentVolumeClaim') continue;
    for (const [k, v] of sortedEntries(item.min)) out.push(minConstraint('PersistentVolumeClaim', k, v, requests, new Map()) ?? '');
    for (const [k, v] of sortedEntries(item.max)) out.push(maxRequestConstraint('PersistentVolumeClaim', k, v, requests) ?? '');
  }
  return out.filter(Boolean);
}

export function newLimitRangerPlugin(listLimitRanges: (namespace: string) => Promise<Obj[]>): AdmissionPlugin {
  return {
    name: 'LimitRanger',
    async mutate(req) {
      if (!applies(req) || !isPod(req)) return;
      for (const lr of await listLimitRanges(req.namespace)) applyDefaults(lr, req.object);
    },
    async validate(req) {
      if (!applies(req)) return;
      for (const lr of await listLimitRanges(req.namespace)) {
        const broken = isPod(req) ? podViolations(lr, req.object) : pvcViolations(lr, req.object);
        if (broken.length) throw errors.forbidden(req.resource, nameForMessage(req.object, req.name), aggregate(broken));
      }
    },
  };
}

const limitRangerUser = { name: 'system:apiserver', groups: ['system:masters'], via: 'token' as const };

/** The factory `src/admission/index.ts` lists. */
export function limitRangerAdmission(registry: Registry, _config: ControllerConfig): AdmissionPlugin {
  const client = new InProcessClient(registry, limitRangerUser);
  return newLimitRangerPlugin(async (namespace) => (await client.list(resources.limitranges, namespace)).items);
}
