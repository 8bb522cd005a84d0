/**
 * The patch formats the apiserver accepts on PATCH, applied as upstream
 * applies them:
 * - `application/json-patch+json`: `applyJsonPatch` (RFC 6902, json-patch v4 rules);
 * - `application/merge-patch+json`: `applyMergePatch` (RFC 7386);
 * - `application/strategic-merge-patch+json`: `applyStrategicMergePatch`.
 * Server-side apply (`application/apply-patch+yaml`) lives in `../apply`.
 */
export { applyJsonPatch, applyJsonPatchOperations, decodeJsonPatch, JsonPatchError, maxJsonPatchOperations } from './json-patch.ts';
export type { JsonPatchOperation } from './json-patch.ts';
export { applyMergePatch } from './merge-patch.ts';
export { applyStrategicMergePatch } from './strategic-merge.ts';
export { SmpError } from './strategic-merge-errors.ts';
export type { JsonObject } from './json-value.ts';
