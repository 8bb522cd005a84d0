/**
 * Resource lists (`{cpu: 500m, memory: 1Gi}`) as exact quantities, with the
 * arithmetic quota and limit ranges need — sums, masks, comparisons, the
 * sorted `name=value` form upstream prints in quota errors — and a pod's
 * effective requests and limits (upstream's PodRequests/PodLimits: the sum
 * of its containers and sidecars, at least the largest init container,
 * plus pod overhead).
 */
import { parseQuantity, Quantity } from '../api/quantity.ts';
import type { Obj } from '../registry/types.ts';

export type ResourceList = Map<string, Quantity>;

export const zero = (): Quantity => Quantity.of(0);
export const one = (): Quantity => Quantity.of(1);

/** A JSON resource map as quantities; unparsable values are skipped (validation reports them). */
export function toList(json: unknown): ResourceList {
  const out: ResourceList = new Map();
  if (!json || typeof json !== 'object') return out;
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    const q = parseQuantity(v);
    if (q.ok) out.set(k, q.quantity);
  }
  return out;
}

/** Canonical JSON, keys sorted (as Go's encoder sorts map keys). */
export function toJSON(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...list.keys()].sort()) out[k] = list.get(k)!.toString();
  return out;
}

export function add(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) out.set(k, out.has(k) ? out.get(k)!.add(v) : v);
  return out;
}

/** a − b per key of either, never below zero (upstream's SubtractWithNonNegativeResult). */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of a) {
    const d = b.has(k) ? v.sub(b.get(k)!) : v;
    out.set(k, d.sign() > 0 ? d : zero());
  }
  for (const k of b.keys()) if (!out.has(k)) out.set(k, zero());
  return out;
}

export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const keep = new Set(names);
  return new Map([...list].filter(([k]) => keep.has(k)));
}

export function removeZeros(list: ResourceList): ResourceList {
  return new Map([...list].filter(([, v]) => !v.isZero()));
}

export function negatives(list: ResourceList): string[] {
  return [...list].filter(([, v]) => v.sign() < 0).map(([k]) => k);
}

/** Keys of `a` above their value in `b` (keys missing from `b` are not limited). */
export function exceeding(a: ResourceList, b: ResourceList): string[] {
  return [...a].filter(([k, v]) => b.has(k) && v.cmp(b.get(k)!) > 0).map(([k]) => k);
}

export function equal(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.has(k) || !b.get(k)!.equals(v)) return false;
  return true;
}

/** `requests.cpu=1,requests.memory=1Gi`: sorted names, as upstream's prettyPrint. */
export function prettyPrint(list: ResourceList): string {
  return [...list.keys()].sort().map((k) => `${k}=${list.get(k)!.toString()}`).join(',');
}

function addInto(into: ResourceList, list: ResourceList): void {
  for (const [k, v] of list) into.set(k, into.has(k) ? into.get(k)!.add(v) : v);
}

function maxInto(into: ResourceList, list: ResourceList): void {
  for (const [k, v] of list) if (!into.has(k) || v.cmp(into.get(k)!) > 0) into.set(k, v);
}

type Which = 'requests' | 'limits';

function podResources(pod: Obj, which: Which): ResourceList {
  const spec = pod['spec'] ?? {};
  const out: ResourceList = new Map();
  for (const c of (spec.containers ?? []) as Obj[]) addInto(out, toList(c?.resources?.[which]));
  const sidecars: ResourceList = new Map();
  const init: ResourceList = new Map();
  for (const c of (spec.initContainers ?? []) as Obj[]) {
    const own = toList(c?.resources?.[which]);
    if (c?.restartPolicy === 'Always') {
      // A sidecar runs alongside the app containers and every later init container.
      addInto(out, own);
      addInto(sidecars, own);
      maxInto(init, sidecars);
    } else {
      const tmp: ResourceList = new Map(own);
      addInto(tmp, sidecars);
      maxInto(init, tmp);
    }
  }
  maxInto(out, init);
  const overhead = toList(spec.overhead);
  if (which === 'requests') addInto(out, overhead);
  else for (const [k, v] of overhead) if (out.has(k)) out.set(k, out.get(k)!.add(v));
  return out;
}

/** The pod's effective requests. */
export function podRequests(pod: Obj): ResourceList {
  return podResources(pod, 'requests');
}

/** The pod's effective limits (overhead only where a limit is set). */
export function podLimits(pod: Obj): ResourceList {
  return podResources(pod, 'limits');
}
