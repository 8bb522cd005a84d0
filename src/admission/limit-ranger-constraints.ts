/**
 * LimitRange checks with upstream's wording (plugin/pkg/admission/
 * limitranger): minimum and maximum per Container, Pod or
 * PersistentVolumeClaim, and the largest limit-to-request ratio. Values are
 * compared as upstream does, in thousandths rounded up (whole units for
 * values too big for that), never as floats.
 */
import type { Quantity } from '../api/quantity.ts';
import type { ResourceList } from './resource-quota-resources.ts';

/** Go's MaxInt64 / 1000: above it upstream compares whole units. */
const maxMilliValue = ((1n << 63n) - 1n) / 1000n;

function comparable(values: (Quantity | undefined)[]): bigint[] {
  const units = values.map((q) => (q ? q.scaledValueBig(0) : 0n));
  if (units.every((u) => u <= maxMilliValue)) return values.map((q) => (q ? q.scaledValueBig(-3) : 0n));
  return units;
}

export function minConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, e] = comparable([req, lim, enforced]) as [bigint, bigint, bigint];
  if (!req) return `minimum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (r < e) return `minimum ${name} usage per ${type} is ${enforced}, but request is ${req}`;
  if (lim && l < e) return `minimum ${name} usage per ${type} is ${enforced}, but limit is ${lim}`;
  return undefined;
}

export function maxConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, e] = comparable([req, lim, enforced]) as [bigint, bigint, bigint];
  if (!lim) return `maximum ${name} usage per ${type} is ${enforced}.  No limit is specified`;
  if (l > e) return `maximum ${name} usage per ${type} is ${enforced}, but limit is ${lim}`;
  if (req && r > e) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${req}`;
  return undefined;
}

/** For kinds whose limits are not user input (PVCs): the maximum applies to the request. */
export function maxRequestConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList): string | undefined {
  const req = requests.get(name);
  const [r, e] = comparable([req, enforced]) as [bigint, bigint];
  if (!req) return `maximum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (r > e) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${req}`;
  return undefined;
}

export function limitRequestRatioConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l] = comparable([req, lim, enforced]) as [bigint, bigint];
  if (!req || r === 0n) return `${name} max limit to request ratio per ${type} is ${enforced}, but no request is specified or request is 0`;
  if (!lim || l === 0n) return `${name} max limit to request ratio per ${type} is ${enforced}, but no limit is specified or limit is 0`;
  const enforcedUnits = enforced.scaledValueBig(0);
  const useMilli = enforcedUnits <= maxMilliValue;
  const maxRatio = useMilli ? enforced.scaledValueBig(-3) : enforcedUnits;
  // ratio > max  ⇔  l × scale > max × r, in integers.
  if (l * (useMilli ? 1000n : 1n) > maxRatio * r) {
    return `${name} max limit to request ratio per ${type} is ${enforced}, but provided ratio is ${(Number(l) / Number(r)).toFixed(6)}`;
  }
  return undefined;
}

/** Upstream's error aggregate: one message as is, several de-duplicated in brackets. */
export function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}
