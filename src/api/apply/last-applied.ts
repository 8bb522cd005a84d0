/**
 * The bridge from client-side to server-side apply for kubectl
 * (apimachinery `lastappliedmanager.go` and `lastappliedupdater.go`). When
 * the manager is `kubectl` and the object carries
 * `kubectl.kubernetes.io/last-applied-configuration`:
 * - conflicts on fields that the annotation sets, with the live value still
 *   equal to it, are forgiven (the apply is retried with force), so
 *   `kubectl apply --server-side` after `kubectl apply` just works;
 * - the annotation is rewritten to the newly applied configuration, so a
 *   later client-side apply computes its patch from it.
 */
import { isObject, type JsonObject } from '../patch/json-value.ts';
import { goJson } from './field-path.ts';
import type { FieldSet } from './field-set.ts';
import type { UpdaterContext, Conflict } from './updater.ts';
import { compare, toFieldSet, validateApplied } from './typed-value.ts';

export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** The manager name these rules apply to. */
export const kubectlManager = 'kubectl';

function annotationOf(obj: unknown): string | undefined {
  if (!isObject(obj) || !isObject(obj.metadata) || !isObject(obj.metadata.annotations)) return undefined;
  const v = obj.metadata.annotations[lastAppliedAnnotation];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * The fields whose conflicts are forgiven: those the last-applied
 * configuration sets and the live object still has unchanged. Undefined
 * when there is no usable annotation (then nothing is forgiven).
 */
export function allowedConflicts(ctx: UpdaterContext, live: unknown, apiVersion: string): FieldSet | undefined {
  const text = annotationOf(live);
  if (text === undefined) return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(lastApplied) || lastApplied.apiVersion !== apiVersion) return undefined;
  try {
    validateApplied(ctx.ts, lastApplied, ctx.node);
    const set = toFieldSet(ctx.ts, lastApplied, ctx.node);
    const c = compare(ctx.ts, lastApplied, live, ctx.node);
    return set.difference(c.modified).difference(c.added).difference(c.removed);
  } catch {
    return undefined;
  }
}

/** The conflicts not covered by `allowed`. */
export function unforgiven(conflicts: Conflict[], allowed: FieldSet): Conflict[] {
  return conflicts.filter((c) => !allowed.has(c.path));
}

/**
 * The annotation value for an applied configuration: the configuration
 * without the annotation itself, as Go's JSON encoder writes it (sorted
 * keys, trailing newline).
 */
export function buildLastApplied(applied: JsonObject): string {
  const copy = structuredClone(applied);
  if (isObject(copy.metadata) && isObject(copy.metadata.annotations)) {
    delete copy.metadata.annotations[lastAppliedAnnotation];
  }
  return `${goJson(copy)}\n`;
}

/** Sets the annotation on `obj` if it already has one (never adds it). */
export function updateLastApplied(obj: JsonObject, applied: JsonObject): void {
  if (annotationOf(obj) === undefined) return;
  ((obj.metadata as JsonObject).annotations as JsonObject)[lastAppliedAnnotation] = buildLastApplied(applied);
}
