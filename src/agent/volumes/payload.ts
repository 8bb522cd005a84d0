/**
 * The files of API data volumes (configMap, secret, downwardAPI,
 * projected), computed from the objects as upstream's MakePayload /
 * CollectData do: without `items`, every key becomes a file of the same
 * name; with `items`, only those keys, at their `path`, with their `mode`
 * (else `defaultMode`, 0644 by default). Missing objects or keys are
 * errors unless `optional`.
 */
import type { Obj } from '../../client/types.ts';
import { FieldRefError, podFieldValue, resourceFieldValue } from '../env/fields.ts';
import type { ObjectLookup } from '../env/lookup.ts';
import type { FileProjection, Payload } from './atomic-writer.ts';
import { VolumeError } from './types.ts';

export const DEFAULT_MODE = 0o644;

/** Failures collected while building one volume's payload (upstream aggregates them). */
class PayloadError extends Error {
  readonly code: VolumeError['code'];
  constructor(code: VolumeError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export { PayloadError };

function keyData(obj: Obj, key: string, secret: boolean): Buffer | undefined {
  if (secret) {
    const v = obj.data?.[key];
    return v === undefined ? undefined : Buffer.from(v, 'base64');
  }
  const s = obj.data?.[key];
  if (s !== undefined) return Buffer.from(s, 'utf8');
  const b = obj.binaryData?.[key];
  return b === undefined ? undefined : Buffer.from(b, 'base64');
}

function allKeys(obj: Obj, secret: boolean): string[] {
  return secret ? Object.keys(obj.data ?? {}) : [...Object.keys(obj.data ?? {}), ...Object.keys(obj.binaryData ?? {})];
}

/** ConfigMap or Secret keys → files. `obj` undefined means missing-but-optional (empty payload). */
function keysPayload(obj: Obj | undefined, items: Obj[] | undefined, defaultMode: number, optional: boolean, secret: boolean): Payload {
  const out: Payload = {};
  if (!obj) return out;
  if (!items || items.length === 0) {
    for (const k of allKeys(obj, secret)) out[k] = { data: keyData(obj, k, secret)!, mode: defaultMode };
    return out;
  }
  for (const it of items) {
    const data = keyData(obj, it.key, secret);
    if (data === undefined) {
      if (optional) continue;
      throw new PayloadError('KeyNotFound', secret ? `references non-existent secret key: ${it.key}` : `configmap references non-existent config key: ${it.key}`);
    }
    out[it.path] = { data, mode: it.mode ?? defaultMode };
  }
  return out;
}

async function fetchSource(lookup: ObjectLookup, ns: string, name: string, optional: boolean, secret: boolean): Promise<Obj | undefined> {
  let obj: Obj | undefined;
  try {
    obj = secret ? await lookup.secret(ns, name) : await lookup.configMap(ns, name);
  } catch (e) {
    throw new PayloadError('Lookup', e instanceof Error ? e.message : String(e));
  }
  if (!obj && !optional) throw new PayloadError('NotFound', secret ? `secret "${name}" not found` : `configmap "${name}" not found`);
  return obj;
}

export async function configMapPayload(src: Obj, ns: string, lookup: ObjectLookup): Promise<Payload> {
  const optional = src.optional === true;
  const cm = await fetchSource(lookup, ns, src.name, optional, false);
  return keysPayload(cm, src.items, src.defaultMode ?? DEFAULT_MODE, optional, false);
}

export async function secretPayload(src: Obj, ns: string, lookup: ObjectLookup): Promise<Payload> {
  const optional = src.optional === true;
  const s = await fetchSource(lookup, ns, src.secretName, optional, true);
  return keysPayload(s, src.items, src.defaultMode ?? DEFAULT_MODE, optional, true);
}

/** downwardAPI items: pod metadata fields and container resources (volume semantics: no status fields). */
export function downwardAPIPayload(items: Obj[] | undefined, defaultMode: number, pod: Obj, allocatable: Record<string, string>): Payload {
  const out: Payload = {};
  for (const it of items ?? []) {
    let value: string;
    try {
      if (it.fieldRef) value = podFieldValue(pod, it.fieldRef);
      else if (it.resourceFieldRef) value = resourceFieldValue(pod, undefined, it.resourceFieldRef, allocatable);
      else continue;
    } catch (e) {
      if (e instanceof FieldRefError) throw new PayloadError('FieldRef', e.message);
      throw e;
    }
    out[it.path] = { data: Buffer.from(value, 'utf8'), mode: it.mode ?? defaultMode } satisfies FileProjection;
  }
  return out;
}

/**
 * projected: the union of its sources. serviceAccountToken: bramble serves
 * no TokenRequest API yet, so the token file is a placeholder (empty), and
 * clients reading it talk to the API anonymously.
 */
export async function projectedPayload(src: Obj, pod: Obj, lookup: ObjectLookup, allocatable: Record<string, string>): Promise<Payload> {
  const ns: string = pod.metadata?.namespace ?? 'default';
  const defaultMode: number = src.defaultMode ?? DEFAULT_MODE;
  const out: Payload = {};
  const errs: PayloadError[] = [];
  for (const s of (src.sources ?? []) as Obj[]) {
    try {
      if (s.configMap) {
        const optional = s.configMap.optional === true;
        const cm = await fetchSource(lookup, ns, s.configMap.name, optional, false);
        Object.assign(out, keysPayload(cm, s.configMap.items, defaultMode, optional, false));
      } else if (s.secret) {
        const optional = s.secret.optional === true;
        const sec = await fetchSource(lookup, ns, s.secret.name, optional, true);
        Object.assign(out, keysPayload(sec, s.secret.items, defaultMode, optional, true));
      } else if (s.downwardAPI) {
        Object.assign(out, downwardAPIPayload(s.downwardAPI.items, defaultMode, pod, allocatable));
      } else if (s.serviceAccountToken) {
        out[s.serviceAccountToken.path] = { data: Buffer.alloc(0), mode: defaultMode };
      } else if (s.clusterTrustBundle) {
        throw new PayloadError('Unsupported', 'clusterTrustBundle projections are not supported');
      }
    } catch (e) {
      if (!(e instanceof PayloadError)) throw e;
      errs.push(e);
    }
  }
  // Upstream reports one error as itself and several as "[a, b]".
  if (errs.length === 1) throw errs[0]!;
  if (errs.length > 1) throw new PayloadError(errs[0]!.code, `[${errs.map((e) => e.message).join(', ')}]`);
  return out;
}
