/**
 * List continuation tokens, shaped like upstream's: base64url of
 * `{"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key suffix>\u0000"}`.
 * The revision pins later pages to a consistent snapshot.
 */
import { errors } from '../api/errors.ts';

export interface ContinueToken {
  rv: number;
  /** Key suffix (relative to the list prefix) to resume from, inclusive. */
  start: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64url');
}

export function decodeContinue(s: string): ContinueToken {
  try {
    const j = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (j.v !== 'meta.k8s.io/v1' || typeof j.rv !== 'number' || typeof j.start !== 'string') throw new Error('bad token');
    if (j.start.includes('/..') || j.start.startsWith('/')) throw new Error('bad token');
    return { rv: j.rv, start: j.start };
  } catch {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}
