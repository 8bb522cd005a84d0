/**
 * Planning the writes that bring a Service's EndpointSlices to the desired
 * endpoints, after upstream's EndpointSlice reconciler: slices are grouped
 * by port list; an endpoint stays in the slice it is in (so an unrelated
 * change rewrites one slice, not all); removed endpoints leave, changed
 * ones are updated in place; new ones fill slices already being written,
 * then slices with room, then new slices of at most `maxPerSlice`. Slices
 * not owned by this Service (a previous incarnation's), of another address
 * type, or for port lists no longer served are deleted. A Service without
 * endpoints keeps exactly one empty placeholder slice, as upstream.
 *
 * Pure: it returns the objects to create, update and delete.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Obj } from '../../client/types.ts';
import { endpointKey, portsKey, sliceLabels, type EndpointGroup } from './desired.ts';

export const defaultMaxEndpointsPerSlice = 100;

export interface SlicePlan {
  create: Obj[];
  update: Obj[];
  delete: Obj[];
}

/** `<service>-`, the generateName of its slices (upstream falls back to `slice-` for odd names). */
export function slicePrefix(serviceName: string): string {
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(serviceName) && serviceName.length <= 57 ? `${serviceName}-` : 'slice-';
}

export function ownerRef(svc: Obj): Obj {
  return { apiVersion: 'v1', kind: 'Service', name: svc['metadata'].name, uid: svc['metadata'].uid, controller: true, blockOwnerDeletion: true };
}

function ownedBy(slice: Obj, svc: Obj): boolean {
  return ((slice['metadata']?.ownerReferences ?? []) as Obj[]).some((r) => r.uid === svc['metadata'].uid && r.controller === true);
}

export function newSlice(svc: Obj, ports: Obj[], endpoints: Obj[]): Obj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { generateName: slicePrefix(svc['metadata'].name), namespace: svc['metadata'].namespace, labels: sliceLabels(svc), ownerReferences: [ownerRef(svc)] },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

interface Entry {
  slice: Obj;
  endpoints: Obj[];
  changed: boolean;
}

export function planSlices(svc: Obj, existing: Obj[], desired: Map<string, EndpointGroup>, maxPerSlice = defaultMaxEndpointsPerSlice): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const labels = sliceLabels(svc);
  const byKey = new Map<string, Obj[]>();
  for (const s of existing) {
    if (!ownedBy(s, svc) || s['addressType'] !== 'IPv4') {
      plan.delete.push(s);
      continue;
    }
    const k = portsKey(s['ports']);
    if (!desired.has(k) && !(desired.size === 0 && k === portsKey([]))) {
      plan.delete.push(s);
      continue;
    }
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(s);
  }

  for (const [k, group] of desired) {
    const want = new Map(group.endpoints.map((ep) => [endpointKey(ep), ep]));
    const placed = new Set<string>();
    const entries: Entry[] = [];
    for (const s of byKey.get(k) ?? []) {
      const eps: Obj[] = [];
      let changed = !isDeepStrictEqual(s['metadata']?.labels ?? {}, labels);
      for (const ep of (s['endpoints'] ?? []) as Obj[]) {
        const key = endpointKey(ep);
        const d = want.get(key);
        if (!d || placed.has(key)) {
          changed = true;
          continue;
        }
        placed.add(key);
        if (!isDeepStrictEqual(ep, d)) changed = true;
        eps.push(d);
      }
      entries.push({ slice: s, endpoints: eps, changed: changed || (s['endpoints'] ?? []).length === 0 });
    }
    const remaining = group.endpoints.filter((ep) => !placed.has(endpointKey(ep)));
    // Fill slices we write anyway first, then slices with room.
    for (const e of [...entries.filter((x) => x.changed), ...entries.filter((x) => !x.changed)]) {
      while (remaining.length && e.endpoints.length < maxPerSlice) {
        e.endpoints.push(remaining.shift()!);
        e.changed = true;
      }
    }
    while (remaining.length) plan.create.push(newSlice(svc, group.ports, remaining.splice(0, maxPerSlice)));
    for (const e of entries) {
      if (e.endpoints.length === 0) plan.delete.push(e.slice);
      else if (e.changed) {
        const next = structuredClone(e.slice);
        next['endpoints'] = e.endpoints;
        next['ports'] = group.ports;
        next['metadata'].labels = labels;
        plan.update.push(next);
      }
    }
  }

  // No endpoints at all: keep (or make) one empty placeholder slice.
  if (desired.size === 0) {
    const kept = existing.filter((s) => !plan.delete.includes(s));
    const placeholder = kept.find((s) => (s['endpoints'] ?? []).length === 0);
    for (const s of kept) if (s !== placeholder) plan.delete.push(s);
    if (!placeholder) plan.create.push(newSlice(svc, [], []));
    else if (!isDeepStrictEqual(placeholder['metadata']?.labels ?? {}, labels)) {
      const next = structuredClone(placeholder);
      next['metadata'].labels = labels;
      plan.update.push(next);
    }
  }
  return plan;
}
