/**
 * The text upstream hashes for a pod template. Placeholder: a canonical
 * JSON form (sorted keys) until the Go dump emulation lands.
 */
import type { Obj } from '../../client/types.ts';

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function dumpPodTemplateSpec(template: Obj): string {
  return JSON.stringify(canonical(template));
}
