/** Query parameters of resource requests, checked as upstream does. */
import { errors } from '../api/errors.ts';
import type { DeleteOptions, FieldValidation, ListOptions, WatchOptions, WriteOptions } from '../registry/types.ts';
import type { IncludeObject } from './output.ts';

function bool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === 'true' || v === '1' || v === '') return true;
  if (v === 'false' || v === '0') return false;
  throw errors.badRequest(`invalid value for ${name}: "${v}"`);
}

function int(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid value for ${name}: "${v}": expected an integer`);
  return Number(v);
}

export function listOptions(q: URLSearchParams): ListOptions {
  const m = q.get('resourceVersionMatch') ?? '';
  if (m !== '' && m !== 'Exact' && m !== 'NotOlderThan') {
    throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${m}": supported values: "Exact", "NotOlderThan"`);
  }
  const limit = int(q, 'limit');
  if (limit !== undefined && limit < 0) throw errors.badRequest('limit must be non-negative');
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    limit,
    continue: q.get('continue') || undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: m as ListOptions['resourceVersionMatch'],
  };
}

export function watchOptions(q: URLSearchParams): WatchOptions & { timeoutSeconds?: number } {
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
    allowWatchBookmarks: bool(q, 'allowWatchBookmarks'),
    sendInitialEvents: bool(q, 'sendInitialEvents'),
    timeoutSeconds: int(q, 'timeoutSeconds'),
  };
}

function dryRun(q: URLSearchParams): boolean {
  const all = q.getAll('dryRun');
  for (const v of all) if (v !== 'All') throw errors.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return all.length > 0;
}

export function writeOptions(q: URLSearchParams): WriteOptions {
  const fv = q.get('fieldValidation') ?? '';
  if (fv !== '' && !['Strict', 'Warn', 'Ignore'].includes(fv)) {
    throw errors.badRequest(`fieldValidation: Unsupported value: "${fv}": supported values: "Ignore", "Strict", "Warn"`);
  }
  const fieldManager = q.get('fieldManager') ?? undefined;
  if (fieldManager !== undefined && fieldManager.length > 128) throw errors.badRequest('fieldManager: Too long: may not be more than 128 bytes');
  return {
    dryRun: dryRun(q),
    fieldManager,
    fieldValidation: (fv || undefined) as FieldValidation | undefined,
    force: bool(q, 'force'),
  };
}

/** DeleteOptions from the query; the body, when present, fills what the query leaves out. */
export function deleteOptions(q: URLSearchParams, body: Record<string, unknown> | undefined): DeleteOptions {
  const b = (body ?? {}) as Omit<DeleteOptions, 'dryRun'> & { dryRun?: unknown };
  const policy = q.get('propagationPolicy') ?? b.propagationPolicy;
  if (policy !== undefined && policy !== null && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Background", "Foreground", "Orphan"`);
  }
  return {
    gracePeriodSeconds: int(q, 'gracePeriodSeconds') ?? b.gracePeriodSeconds ?? undefined,
    propagationPolicy: (policy ?? undefined) as DeleteOptions['propagationPolicy'],
    orphanDependents: bool(q, 'orphanDependents') ?? b.orphanDependents ?? undefined,
    preconditions: b.preconditions ?? undefined,
    dryRun: dryRun(q) || (Array.isArray(b.dryRun) && b.dryRun.includes('All')),
  };
}

export function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject') ?? 'Metadata';
  if (v !== 'None' && v !== 'Metadata' && v !== 'Object') throw errors.badRequest(`includeObject: Unsupported value: "${v}"`);
  return v;
}
