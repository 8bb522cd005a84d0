/**
 * Server-side apply and managed fields (`metadata.managedFields`), as the
 * apiserver's field manager implements them on top of
 * structured-merge-diff:
 * - `updateManagedFields` after every create, update and non-apply patch;
 * - `serverSideApply` for `application/apply-patch+yaml` patches, with
 *   `applyConflictError` for the 409 its conflicts become.
 */
export { updateManagedFields, type UpdateManagedFieldsInput } from './update-managed-fields.ts';
export { serverSideApply, type ServerSideApplyInput, type ServerSideApplyResult } from './server-side-apply.ts';
export { applyConflictError, conflictMessage, type ApplyConflict } from './conflicts.ts';
export { maxUpdateManagers, type FieldManagerOptions } from './managers.ts';
export { decodeManagedFields, encodeManagedFields, managerIdentifier, type ManagedFieldsEntry } from './managed-fields.ts';
export { fieldSetFromFieldsV1, fieldSetToFieldsV1 } from './fields-v1.ts';
export { FieldSet } from './field-set.ts';
export { pathToString, type FieldPath, type PathElement } from './field-path.ts';
export { lastAppliedAnnotation } from './last-applied.ts';
