/**
 * The `pod-template-hash` of a pod template, as upstream's ComputeHash
 * (pkg/controller/controller_utils.go): FNV-1a (32-bit) over the Go dump
 * of the PodTemplateSpec (`go-dump.ts`), followed by the collision count as
 * 8 bytes (uint32 little-endian, zero-padded) when set; the decimal value
 * is then mapped onto upstream's "safe" alphabet (no vowels, so no words).
 *
 * Used by the Deployment controller for ReplicaSet names; DaemonSet and
 * StatefulSet revisions use the same function upstream.
 */
import type { Obj } from '../../client/types.ts';
import { dumpPodTemplateSpec } from './go-dump.ts';

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32-bit, continuing from `h` (start with the offset basis). */
export function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Upstream's rand.SafeEncodeString: each byte picks a character of the safe alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += safeAlphabet[s.charCodeAt(i) % safeAlphabet.length];
  return out;
}

/** The hash label value for `template` (a PodTemplateSpec as JSON) and the owner's collisionCount. */
export function computeHash(template: Obj, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(dumpPodTemplateSpec(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const extra = new Uint8Array(8);
    new DataView(extra.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(extra, h);
  }
  return safeEncodeString(String(h));
}
