/**
 * Resource names and quantities: container requests and limits, quota
 * and limit-range keys, as upstream core validation and core/helper
 * classify them.
 */
import { field, type FieldError, type Path } from '../field-errors.ts';
import { parseQuantity, type Quantity } from '../quantity.ts';
import { isQualifiedName } from './names.ts';
import { isObj, NEGATIVE, obj, type Obj } from './util.ts';

const STANDARD_CONTAINER = new Set(['cpu', 'memory', 'ephemeral-storage']);
const STANDARD = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'persistentvolumeclaims',
  'configmaps',
  'services.nodeports',
  'services.loadbalancers',
  'requests.storage',
  'storage',
]);
const STANDARD_QUOTA = new Set([...STANDARD].filter((r) => r !== 'storage'));
const INTEGER = new Set([
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);

export const isHugePageResourceName = (n: string): boolean => n.startsWith('hugepages-');
const isQuotaHugePage = (n: string) => n.startsWith('hugepages-') || n.startsWith('requests.hugepages-');
/** Unprefixed names and `*kubernetes.io/` names are native. */
export const isNativeResource = (n: string): boolean => !n.includes('/') || n.includes('kubernetes.io/');

export function isExtendedResourceName(n: string): boolean {
  if (isNativeResource(n) || n.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${n}`).length === 0;
}

export const isOvercommitAllowed = (n: string): boolean => isNativeResource(n) && !isHugePageResourceName(n);
export const isIntegerResourceName = (n: string): boolean => INTEGER.has(n) || isExtendedResourceName(n);
export const isStandardQuotaResourceName = (n: string): boolean => STANDARD_QUOTA.has(n) || isQuotaHugePage(n);

/** validateResourceName: qualified, and standard when unprefixed. */
export function validateResourceName(name: string, path: Path): FieldError[] {
  const errs = isQualifiedName(name).map((m) => field.invalid(path, name, m));
  if (errs.length) return errs;
  if (!name.includes('/') && !(STANDARD.has(name) || isQuotaHugePage(name)))
    return [field.invalid(path, name, 'must be a standard resource type or fully qualified')];
  return [];
}

export function validateContainerResourceName(name: string, path: Path): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/')) {
    if (!(STANDARD_CONTAINER.has(name) || isHugePageResourceName(name)))
      return [...errs, field.invalid(path, name, 'must be a standard resource for containers')];
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    return [...errs, field.invalid(path, name, "doesn't follow extended resource name standard")];
  }
  return errs;
}

export function validateQuotaResourceName(name: string, path: Path): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/') && !isStandardQuotaResourceName(name))
    return [...errs, field.invalid(path, name, 'must be a standard resource for quota')];
  return errs;
}

/**
 * Reads a quantity from JSON. Upstream rejects a malformed one while
 * decoding; here it becomes an Invalid error on its path.
 */
export function readQuantity(v: unknown, path: Path, errs: FieldError[]): Quantity | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') {
    errs.push(field.invalid(path, v ?? null, 'must be a quantity (a string such as "100m" or "1Gi")'));
    return undefined;
  }
  const r = parseQuantity(v);
  if (!r.ok) {
    errs.push(field.invalid(path, v, r.message));
    return undefined;
  }
  return r.quantity;
}

/** ValidateResourceQuantityValue: non-negative, and whole for countable resources. */
export function validateQuantityValue(name: string, q: Quantity, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(field.invalid(path, q.toString(), NEGATIVE));
  if (isIntegerResourceName(name) && q.milliValue() % 1000 !== 0)
    errs.push(field.invalid(path, q.toString(), 'must be an integer'));
  return errs;
}

/** Parses every entry of a resource list, reporting malformed ones. */
export function readResourceList(list: unknown, path: Path, errs: FieldError[]): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [k, v] of Object.entries(obj(list))) {
    const q = readQuantity(v, path.key(k), errs);
    if (q) out.set(k, q);
  }
  return out;
}

function hugePageMultiple(name: string, q: Quantity): string | undefined {
  const size = parseQuantity(name.slice('hugepages-'.length));
  const page = size.ok ? size.quantity : undefined;
  const divisible =
    page !== undefined &&
    page.sign() > 0 &&
    page.milliValue() % 1000 === 0 &&
    q.scaledValueBig(0) % page.scaledValueBig(0) === 0n;
  return divisible ? undefined : `${q.toString()} is not positive integer multiple of ${name}`;
}

/** Container (or overhead) requests and limits: names, values, requests ≤ limits. */
export function validateResourceRequirements(reqIn: unknown, path: Path, podClaims: Set<string> = new Set()): FieldError[] {
  const req: Obj = obj(reqIn);
  const errs: FieldError[] = [];
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  const limits = readResourceList(req.limits, limPath, errs);
  const requests = readResourceList(req.requests, reqPath, errs);
  let cpuOrMemory = false;
  let hugePages = false;
  for (const [name, q] of limits) {
    const p = limPath.key(name);
    errs.push(...validateContainerResourceName(name, p), ...validateQuantityValue(name, q, p));
    if (isHugePageResourceName(name)) {
      hugePages = true;
      const m = hugePageMultiple(name, q);
      if (m) errs.push(field.invalid(p, q.toString(), m));
    }
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
  }
  for (const [name, q] of requests) {
    const p = reqPath.key(name);
    errs.push(...validateContainerResourceName(name, p), ...validateQuantityValue(name, q, p));
    const limit = limits.get(name);
    if (limit) {
      if (q.cmp(limit) !== 0 && !isOvercommitAllowed(name))
        errs.push(field.invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${limit.toString()}`));
      else if (q.cmp(limit) > 0)
        errs.push(field.invalid(reqPath, q.toString(), `must be less than or equal to ${name} limit of ${limit.toString()}`));
    } else if (!isOvercommitAllowed(name)) {
      errs.push(field.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePageResourceName(name)) {
      hugePages = true;
      const m = hugePageMultiple(name, q);
      if (m) errs.push(field.invalid(p, q.toString(), m));
    }
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
  }
  if (!cpuOrMemory && hugePages) errs.push(field.forbidden(path, 'HugePages require cpu or memory'));
  const claims = Array.isArray(req.claims) ? req.claims : [];
  const seen = new Set<string>();
  claims.forEach((c, i) => {
    const name = isObj(c) && typeof c.name === 'string' ? c.name : '';
    const p = path.child('claims').index(i);
    if (!name) errs.push(field.required(p));
    else {
      if (seen.has(name)) errs.push(field.duplicate(p, name));
      seen.add(name);
      if (!podClaims.has(name)) {
        const names = [...podClaims].sort();
        errs.push({
          type: 'FieldValueNotFound',
          field: String(p),
          message: `Not found: ${JSON.stringify(name)}: must be one of the names in pod.spec.resourceClaims${names.length ? `: ${names.join(', ')}` : ' which is empty'}`,
        });
      }
    }
  });
  return errs;
}
