/**
 * Apply conflicts as values, and the 409 the apiserver answers them with
 * (apimachinery `managedfields/internal/conflict.go`):
 *
 *   Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas
 *
 * with one `FieldManagerConflict` cause per field. kubectl prints the
 * message and suggests `--force-conflicts`.
 */
import { ApiError } from '../errors.ts';
import { pathToString } from './field-path.ts';
import { parseIdentifier } from './managed-fields.ts';
import type { Conflict } from './updater.ts';

/** A field another manager owns and the apply would change. */
export interface ApplyConflict {
  /** The other manager's name. */
  manager: string;
  /** The field, e.g. `.spec.replicas` or `.spec.template.spec.containers[name="web"].image`. */
  field: string;
  /** The version the other manager wrote with (for Apply managers, their entry's version). */
  apiVersion: string;
  operation: 'Apply' | 'Update';
  subresource?: string;
  /** The manager identifier, for grouping as upstream does. */
  managerId: string;
}

/** Turns updater conflicts into values, ordered by manager then field. */
export function describeConflicts(conflicts: Conflict[], versions: Map<string, string>): ApplyConflict[] {
  const out = conflicts.map((c) => {
    const id = parseIdentifier(c.managerId);
    const conflict: ApplyConflict = {
      manager: id.manager ?? '',
      field: pathToString(c.path),
      apiVersion: id.apiVersion ?? versions.get(c.managerId) ?? '',
      operation: id.operation === 'Apply' ? 'Apply' : 'Update',
      managerId: c.managerId,
    };
    if (id.subresource) conflict.subresource = id.subresource;
    return conflict;
  });
  return out.sort((a, b) => (a.managerId < b.managerId ? -1 : a.managerId > b.managerId ? 1 : 0));
}

/** `"kubectl"`, `"ci" with subresource "scale" using apps/v1`: how upstream names a manager. */
export function printManager(c: Pick<ApplyConflict, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let s = JSON.stringify(c.manager);
  if (c.subresource) s += ` with subresource ${JSON.stringify(c.subresource)}`;
  if (c.operation === 'Update') s += ` using ${c.apiVersion}`;
  return s;
}

/** The message upstream writes for these conflicts. */
export function conflictMessage(conflicts: ApplyConflict[]): string {
  if (conflicts.length === 1) {
    return `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0])}: ${conflicts[0].field}`;
  }
  const byManager = new Map<string, ApplyConflict[]>();
  for (const c of conflicts) byManager.set(c.managerId, [...(byManager.get(c.managerId) ?? []), c]);
  const lines: string[] = [];
  for (const id of [...byManager.keys()].sort()) {
    const group = byManager.get(id)!;
    lines.push(`conflicts with ${printManager(group[0])}:`);
    for (const c of group) lines.push(`- ${c.field}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** The 409 Conflict for an apply that hit these conflicts. */
export function applyConflictError(conflicts: ApplyConflict[]): ApiError {
  return new ApiError('Conflict', conflictMessage(conflicts), {
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${printManager(c)}`,
      field: c.field,
    })),
  });
}
