/**
 * Authentication and authorization.
 * - x509: a client certificate signed by the cluster's client CA names the
 *   user (CN) and groups (O), as upstream.
 * - Anonymous callers may read only /version and the health endpoints
 *   (upstream's system:public-info-viewer); everything else is 401.
 * - Authorization is a small interface; the policy for now grants
 *   `system:masters` everything and nothing to anyone else.
 */
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from './http.ts';

export const anonymous: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'], via: 'anonymous' };

/** Reads the verified peer certificate of a TLS connection. */
export function userFromSocket(socket: TLSSocket): UserInfo {
  if (!socket.authorized) return anonymous;
  const cert = socket.getPeerCertificate();
  const cn = cert?.subject?.CN;
  if (!cn) return anonymous;
  const o = cert.subject.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { name: Array.isArray(cn) ? cn[0]! : cn, groups: [...groups, 'system:authenticated'], via: 'x509' };
}

export const publicPaths = new Set(['/version', '/version/', '/healthz', '/livez', '/readyz']);

export function isPublicPath(pathname: string): boolean {
  return publicPaths.has(pathname) || /^\/(healthz|livez|readyz)\/[\w-]+$/.test(pathname);
}

export interface Attributes {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** Set for non-resource requests (discovery, openapi). */
  path?: string;
  /** `?fieldSelector=` of a list or watch (a node may list one secret by name). */
  fieldSelector?: string;
}

export interface Decision {
  allowed: boolean;
  reason?: string;
}

export interface Authorizer {
  authorize(user: UserInfo, attrs: Attributes): Decision | Promise<Decision>;
}

/** Allows what any of the authorizers allows, asking them in order. */
export function union(...authorizers: Authorizer[]): Authorizer {
  return {
    async authorize(user, attrs) {
      for (const a of authorizers) {
        const d = await a.authorize(user, attrs);
        if (d.allowed) return d;
      }
      return { allowed: false };
    },
  };
}

/** The built-in policy: cluster admins (`system:masters`) may do anything. */
export const adminOnly: Authorizer = {
  authorize(user) {
    return user.groups.includes('system:masters') ? { allowed: true } : { allowed: false };
  },
};

/** Upstream's wording for a denied request. */
export function forbiddenMessage(user: UserInfo, a: Attributes): string {
  if (a.path) return `User "${user.name}" cannot ${a.verb} path "${a.path}"`;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? ` in the namespace "${a.namespace}"` : a.name || !a.namespace ? ' at the cluster scope' : '';
  return `User "${user.name}" cannot ${a.verb} resource "${res}" in API group "${a.group}"${where}`;
}
