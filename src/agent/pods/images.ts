/**
 * Image pulls the kubelet's way: credentials from the pod's
 * imagePullSecrets (kubernetes.io/dockerconfigjson, or the older
 * dockercfg), matched to the image's registry; a back-off per pod and
 * image after a failed pull (10 s doubling to 5 min), during which the
 * container waits in ImagePullBackOff.
 */
import type { Clock } from '../../client/clock.ts';
import type { Obj } from '../../client/types.ts';
import type { RegistryAuth } from '../runtime/types.ts';

/** The registry host of an image reference (`docker.io` for Docker Hub names). */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  return slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/** A docker config's registry key as a bare host (`https://index.docker.io/v1/` → `docker.io`). */
function hostOfKey(key: string): string {
  const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** The auths of a pull secret ({} for other kinds of secret or bad data). */
export function dockerAuths(secret: Obj): Record<string, Obj> {
  const data = secret['data'] ?? {};
  const decode = (v: string): Obj | undefined => {
    try {
      return JSON.parse(Buffer.from(v, 'base64').toString('utf8'));
    } catch {
      return undefined;
    }
  };
  if (secret['type'] === 'kubernetes.io/dockerconfigjson' && data['.dockerconfigjson']) return decode(data['.dockerconfigjson'])?.['auths'] ?? {};
  if (secret['type'] === 'kubernetes.io/dockercfg' && data['.dockercfg']) return decode(data['.dockercfg']) ?? {};
  return {};
}

/** The credentials among `secrets` for the image's registry, first match wins (as the kubelet tries them in order). */
export function authFor(image: string, secrets: Obj[]): RegistryAuth | undefined {
  const registry = registryOf(image);
  for (const s of secrets) {
    for (const [key, entry] of Object.entries(dockerAuths(s))) {
      if (hostOfKey(key) !== registry) continue;
      const auth: RegistryAuth = {};
      if (entry['username']) auth.username = entry['username'];
      if (entry['password']) auth.password = entry['password'];
      if (entry['auth']) auth.auth = entry['auth'];
      if (entry['identitytoken']) auth.identityToken = entry['identitytoken'];
      if (entry['registrytoken']) auth.registryToken = entry['registrytoken'];
      return auth;
    }
  }
  return undefined;
}

const initialMs = 10_000;
const maxMs = 300_000;

/** Failed pulls per pod and image: when the next attempt may run, and the last error. */
export class ImagePullBackoff {
  private readonly clock: Clock;
  private readonly entries = new Map<string, { until: number; delayMs: number; message: string }>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Milliseconds until a pull may be tried again (0: now), and the error that started the wait. */
  blocked(uid: string, image: string): { ms: number; message: string } {
    const e = this.entries.get(`${uid}/${image}`);
    if (!e) return { ms: 0, message: '' };
    return { ms: Math.max(0, e.until - this.clock.now()), message: e.message };
  }

  failed(uid: string, image: string, message: string): number {
    const key = `${uid}/${image}`;
    const prev = this.entries.get(key);
    const delayMs = prev ? Math.min(maxMs, prev.delayMs * 2) : initialMs;
    this.entries.set(key, { until: this.clock.now() + delayMs, delayMs, message });
    return delayMs;
  }

  succeeded(uid: string, image: string): void {
    this.entries.delete(`${uid}/${image}`);
  }

  forget(uid: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(`${uid}/`)) this.entries.delete(k);
  }
}
