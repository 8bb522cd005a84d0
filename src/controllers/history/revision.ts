/**
 * ControllerRevisions as the DaemonSet and StatefulSet controllers use them
 * (upstream pkg/controller/history): a revision snapshots a workload's pod
 * template as a strategic-merge patch that restores it, so `kubectl rollout
 * undo` can apply the revision's data to the workload unchanged. Revisions
 * are numbered; the highest number is the newest. Names are
 * `<parent>-<hash>`, the hash taken over the snapshot and the parent's
 * collision count so that a name clash can be escaped by bumping the count.
 *
 * Pure functions only; the API writes are in `store.ts`.
 */
import type { Obj } from '../../client/types.ts';

/** Label StatefulSet revisions carry their hash in (upstream ControllerRevisionHashLabel). */
export const revisionHashLabel = 'controller.kubernetes.io/hash';

/** Label pods (and DaemonSet revisions) carry their revision in. */
export const podRevisionLabel = 'controller-revision-hash';

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32 bits, over UTF-8 bytes (what upstream's hashes are built on). */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Maps each character to the alphabet upstream uses for generated names
 * (no vowels, so hashes never spell words, and no look-alike characters).
 */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += safeAlphabet[s.charCodeAt(i) % safeAlphabet.length];
  return out;
}

/** JSON with object keys sorted, so equal values always serialise alike. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v as Obj)
      .filter((k) => (v as Obj)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Obj)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Deep equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * The hash of a value plus an optional collision count, encoded as upstream
 * encodes ComputeHash/HashControllerRevision results: the decimal form of
 * the 32-bit hash mapped through the safe alphabet.
 */
export function hashOf(value: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(value)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const le = new Uint8Array(4);
    new DataView(le.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(le, h);
  }
  return safeEncode(String(h));
}

/** `<parent>-<hash>`, the parent name cut so the result stays a valid name (upstream ControllerRevisionName). */
export function revisionName(parent: string, hash: string): string {
  return `${parent.length > 223 ? parent.slice(0, 223) : parent}-${hash}`;
}

/** The revision data for a workload: a patch that replaces its pod template wholesale. */
export function templateData(template: Obj | undefined): Obj {
  return { spec: { template: { ...structuredClone(template ?? {}), $patch: 'replace' } } };
}

/** The pod template a revision restores (its data without the patch directive). */
export function templateOf(revision: Obj): Obj | undefined {
  const t = revision['data']?.spec?.template;
  if (!t || typeof t !== 'object') return undefined;
  const { $patch: _directive, ...rest } = t as Obj;
  return rest;
}

/** Does the revision snapshot exactly this template? */
export function matchesTemplate(revision: Obj, template: Obj | undefined): boolean {
  return deepEqual(revision['data'], templateData(template));
}

export interface NewRevision {
  parent: Obj;
  apiVersion: string;
  kind: string;
  /** Usually the pod template's labels, so the parent's selector finds its revisions. */
  labels: Record<string, string> | undefined;
  data: Obj;
  revision: number;
  collisionCount?: number;
}

/**
 * A ControllerRevision object for `parent` (upstream NewControllerRevision):
 * owned by it, labelled with its template labels plus the hash, and
 * annotated as the parent is (so `kubectl rollout history` shows the
 * change cause).
 */
export function newRevision(r: NewRevision): Obj {
  const pm = r.parent['metadata'];
  const hash = hashOf(r.data, r.collisionCount);
  const annotations = pm.annotations && Object.keys(pm.annotations).length ? { ...pm.annotations } : undefined;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(pm.name, hash),
      namespace: pm.namespace,
      labels: { ...(r.labels ?? {}), [revisionHashLabel]: hash },
      ...(annotations ? { annotations } : {}),
      ownerReferences: [{ apiVersion: r.apiVersion, kind: r.kind, name: pm.name, uid: pm.uid, controller: true, blockOwnerDeletion: true }],
    },
    data: r.data,
    revision: r.revision,
  };
}

/** Equal snapshots: hashes (when both carry one) and data agree (upstream EqualRevision). */
export function equalRevision(a: Obj | undefined, b: Obj | undefined): boolean {
  if (!a || !b) return a === b;
  const ha = a['metadata']?.labels?.[revisionHashLabel];
  const hb = b['metadata']?.labels?.[revisionHashLabel];
  if (ha !== undefined && hb !== undefined && ha !== hb) return false;
  return deepEqual(a['data'], b['data']);
}

/** Oldest first: by revision number, then creation time, then name (upstream SortControllerRevisions). */
export function sortRevisions(revisions: readonly Obj[]): Obj[] {
  return [...revisions].sort((a, b) => {
    const d = (a['revision'] ?? 0) - (b['revision'] ?? 0);
    if (d) return d;
    const ta = a['metadata']?.creationTimestamp ?? '';
    const tb = b['metadata']?.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    const na = a['metadata']?.name ?? '';
    const nb = b['metadata']?.name ?? '';
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

/** The revisions equal to `needle`, in the order given. */
export function findEqualRevisions(revisions: readonly Obj[], needle: Obj): Obj[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** One more than the highest revision number (1 for none). */
export function nextRevision(revisions: readonly Obj[]): number {
  return maxRevision(revisions) + 1;
}

export function maxRevision(revisions: readonly Obj[]): number {
  let max = 0;
  for (const r of revisions) max = Math.max(max, r['revision'] ?? 0);
  return max;
}
