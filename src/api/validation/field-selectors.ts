/**
 * Downward API references (`fieldRef`, `resourceFieldRef`), shared by
 * container env vars and downwardAPI volume files, plus the relative-path
 * rules for files projected into volumes.
 */
import { field, type FieldError, type Path } from '../field-errors.ts';
import { canonicalQuantity } from '../quantity.ts';
import { isQualifiedName } from './names.ts';
import { isSet, obj, str, type Obj } from './util.ts';

/** Paths the env downward API accepts without a subscript. */
export const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
/** Paths a downwardAPI volume file accepts without a subscript. */
export const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];

const POD_FIELD_LABELS = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

const RESOURCE_PATHS = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];

/** `metadata.labels['app']` splits into path and subscript. */
function splitSubscript(p: string): { path: string; subscript: string } | undefined {
  if (!p.endsWith("']")) return undefined;
  const open = p.indexOf("['");
  if (open < 0) return undefined;
  return { path: p.slice(0, open), subscript: p.slice(open + 2, -2) };
}

export function validateObjectFieldSelector(fsIn: unknown, allowed: string[], path: Path): FieldError[] {
  const fs = obj(fsIn);
  const apiVersion = str(fs.apiVersion);
  const fieldPath = str(fs.fieldPath);
  if (!apiVersion) return [field.required(path.child('apiVersion'))];
  if (!fieldPath) return [field.required(path.child('fieldPath'))];
  const sub = splitSubscript(fieldPath);
  const base = sub?.path ?? fieldPath;
  if (apiVersion !== 'v1')
    return [field.invalid(path.child('fieldPath'), fieldPath, `error converting fieldPath: unsupported pod version: ${apiVersion}`)];
  if (!POD_FIELD_LABELS.has(base) || (sub && base !== 'metadata.labels' && base !== 'metadata.annotations'))
    return [field.invalid(path.child('fieldPath'), fieldPath, `error converting fieldPath: field label not supported: ${fieldPath}`)];
  if (sub) {
    const key = base === 'metadata.annotations' ? sub.subscript.toLowerCase() : sub.subscript;
    return isQualifiedName(key).map((m) => field.invalid(path, key, m));
  }
  if (!allowed.includes(base)) return [field.notSupported(path.child('fieldPath'), base, [...allowed].sort())];
  return [];
}

const MEMORY_DIVISORS = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];

function validateDivisor(resource: string, divisor: unknown, path: Path): FieldError[] {
  if (!isSet(divisor)) return [];
  const d = canonicalQuantity(divisor);
  if (d === undefined || d === '0') return [];
  const p = path.child('divisor');
  if ((resource === 'limits.cpu' || resource === 'requests.cpu') && d !== '1m' && d !== '1')
    return [field.invalid(p, resource, "only divisor's values 1m and 1 are supported with the cpu resource")];
  const list = MEMORY_DIVISORS.join(', ');
  if ((resource === 'limits.memory' || resource === 'requests.memory') && !MEMORY_DIVISORS.includes(d))
    return [field.invalid(p, resource, `only divisor's values ${list} are supported with the memory resource`)];
  if (resource.endsWith('.ephemeral-storage') && !MEMORY_DIVISORS.includes(d))
    return [field.invalid(p, resource, `only divisor's values ${list} are supported with the local ephemeral storage resource`)];
  if (/^(requests|limits)\.hugepages-/.test(resource) && !MEMORY_DIVISORS.includes(d))
    return [field.invalid(p, resource, `only divisor's values ${list} are supported with the hugepages resource`)];
  return [];
}

export function validateResourceFieldSelector(fsIn: unknown, path: Path, volume: boolean): FieldError[] {
  const fs: Obj = obj(fsIn);
  const resource = str(fs.resource);
  const errs: FieldError[] = [];
  if (volume && !str(fs.containerName)) errs.push(field.required(path.child('containerName')));
  else if (!resource) errs.push(field.required(path.child('resource')));
  else if (!RESOURCE_PATHS.includes(resource) && !/^(requests|limits)\.hugepages-/.test(resource))
    errs.push(field.notSupported(path.child('resource'), resource, RESOURCE_PATHS));
  return [...errs, ...validateDivisor(resource, fs.divisor, path)];
}

/** Relative, with no `..` element (validateLocalDescendingPath). */
export function validateLocalDescendingPath(p: string, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(field.invalid(path, p, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(p, path));
  return errs;
}

export function validatePathNoBacksteps(p: string, path: Path): FieldError[] {
  return p.split('/').includes('..') ? [field.invalid(path, p, "must not contain '..'")] : [];
}

/** ValidateLocalNonReservedPath: descending, and not starting with `..`. */
export function validateLocalNonReservedPath(p: string, path: Path): FieldError[] {
  const errs = validateLocalDescendingPath(p, path);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(field.invalid(path, p, "must not start with '..'"));
  return errs;
}

export const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

export function validateFileMode(mode: unknown, path: Path): FieldError[] {
  return typeof mode === 'number' && (mode > 0o777 || mode < 0) ? [field.invalid(path, mode, FILE_MODE_ERROR)] : [];
}
