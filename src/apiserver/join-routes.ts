/**
 * The two endpoints a joining agent uses before it has a credential:
 * - `GET /cacerts`: the server CA, unauthenticated, so the agent can check
 *   its hash against the join token before trusting this server;
 * - `POST /v1-bramble/node-credentials`: with `Authorization: Bearer <join
 *   secret>`, certifies the agent's own key as `system:node:<name>`;
 * - `GET /v1-bramble/config`: with the same secret, the cluster-wide
 *   settings every agent must share (src/cluster/join/cluster-config.ts);
 * - `GET /v1-bramble/server-bootstrap`: with the same secret, the CAs every
 *   server of an HA cluster shares, for a server joining it
 *   (src/cluster/etcd/bootstrap.ts); 404 on a server without etcd. As in
 *   k3s without a separate agent token, whoever holds the token could ask.
 */
import { errors } from '../api/errors.ts';
import { clusterConfigPath, type ClusterConfig } from '../cluster/join/cluster-config.ts';
import { checkCredentialRequest, type CredentialRequest, type NodeCredential } from '../cluster/join/credentials.ts';
import { secretsEqual } from '../cluster/join/token.ts';
import { serverBootstrapPath, type ServerBootstrap } from '../cluster/etcd/bootstrap.ts';
import { parseJSON, readBody } from './body.ts';
import type { RequestContext } from './http.ts';
import { writeJSON } from './respond.ts';

export interface JoinService {
  serverCaPem: string;
  secret: string;
  issue(req: CredentialRequest): Promise<NodeCredential>;
  config: ClusterConfig;
  /** HA servers only: the shared CAs for servers joining. */
  bootstrap?: () => Promise<ServerBootstrap>;
}

export const joinPaths = { cacerts: '/cacerts', credentials: '/v1-bramble/node-credentials', config: clusterConfigPath, bootstrap: serverBootstrapPath } as const;

export async function serveJoin(ctx: RequestContext, join: JoinService): Promise<void> {
  const path = ctx.url.pathname;
  const method = ctx.req.method ?? 'GET';
  if (path === joinPaths.cacerts) {
    if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed();
    ctx.res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(join.serverCaPem) });
    ctx.res.end(join.serverCaPem);
    return;
  }
  const reads = path === joinPaths.config || path === joinPaths.bootstrap;
  if (method !== (reads ? 'GET' : 'POST')) throw errors.methodNotAllowed();
  const auth = String(ctx.req.headers['authorization'] ?? '');
  const m = /^Bearer (.+)$/.exec(auth);
  if (!m || !secretsEqual(m[1]!, join.secret)) throw errors.unauthorized('invalid join token');
  if (path === joinPaths.config) {
    writeJSON(ctx.res, 200, join.config);
    return;
  }
  if (path === joinPaths.bootstrap) {
    if (!join.bootstrap) throw errors.notFound({ group: 'bramble.io', resource: 'server-bootstrap' }, 'cluster'); // not an HA server (no --cluster-init / --server)
    writeJSON(ctx.res, 200, await join.bootstrap());
    return;
  }
  const req = checkCredentialRequest(parseJSON((await readBody(ctx.req, 64 * 1024)).toString('utf8')));
  writeJSON(ctx.res, 200, await join.issue(req));
}
