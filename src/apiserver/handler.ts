/**
 * The request pipeline: authenticate → authorize → route. Routes are the
 * non-resource endpoints (version, health, discovery, OpenAPI) and the
 * resource tree under /api and /apis.
 */
import { errors } from '../api/errors.ts';
import { logger } from '../util/log.ts';
import { adminOnly, anonymous, forbiddenMessage, isPublicPath, type Authorizer } from './auth.ts';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersions,
  type DiscoverySource,
} from './discovery.ts';
import { serveHealth, type HealthCheck } from './health.ts';
import { joinPaths, serveJoin, type JoinService } from './join-routes.ts';
import type { HttpRequest, HttpResponse, RequestContext, UserInfo } from './http.ts';
import { parseAccept, wantsAggregatedDiscovery } from './negotiate.ts';
import { handleResource, notFoundStatus, type ResourceDeps } from './resource-handler.ts';
import { parseResourcePath } from './request-info.ts';
import { serveMetrics } from './metrics/handler.ts';
import type { MetricsCollector } from './metrics/collector.ts';
import { metricsGroup } from './metrics/resources.ts';
import { writeError, writeJSON } from './respond.ts';
import { versionInfo } from './version.ts';

const log = logger('apiserver');

export interface OpenAPIProvider {
  root(): unknown;
  /** Serialized document and its hash, or undefined for an unknown group-version. */
  document(group: string, version: string): { json: string; hash: string } | undefined;
}

export interface HandlerDeps extends ResourceDeps {
  discovery: DiscoverySource;
  openapi?: OpenAPIProvider;
  authorizer?: Authorizer;
  health: { livez: HealthCheck[]; readyz: HealthCheck[] };
  version: string;
  /** host:port clients should use, for APIVersions. */
  serverAddress: string;
  /** Agents joining with a token; absent: joining is off. */
  join?: JoinService;
  /** metrics.k8s.io figures (kubectl top); absent: the group is not served. */
  metrics?: Pick<MetricsCollector, 'get'>;
}

export type Handler = (req: HttpRequest, res: HttpResponse, user: UserInfo | undefined, signal: AbortSignal) => Promise<void>;

export function createHandler(deps: HandlerDeps): Handler {
  const authorizer = deps.authorizer ?? adminOnly;
  return async (req, res, user, signal) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'https://bramble.invalid');
    const ctx: RequestContext = { req, res, url, user: user ?? anonymous, signal, started };
    try {
      await route(ctx, deps, authorizer);
    } catch (e) {
      writeError(res, e);
    } finally {
      log.debug('request', {
        method: req.method,
        path: url.pathname + (url.search.length > 120 ? url.search.slice(0, 120) + '…' : url.search),
        status: res.statusCode,
        user: ctx.user.name,
        ms: Date.now() - started,
        cmd: req.headers['kubectl-command'],
      });
    }
  };
}

async function route(ctx: RequestContext, deps: HandlerDeps, authorizer: Authorizer): Promise<void> {
  const path = ctx.url.pathname;
  const method = ctx.req.method ?? 'GET';
  if (isPublicPath(path)) {
    if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed();
    if (path.startsWith('/version')) return writeJSON(ctx.res, 200, versionInfo(deps.version));
    if (path.startsWith('/readyz')) return serveHealth(ctx, 'readyz', deps.health.readyz);
    if (path.startsWith('/livez')) return serveHealth(ctx, 'livez', deps.health.livez);
    return serveHealth(ctx, 'healthz', deps.health.readyz);
  }
  if (deps.join && (path === joinPaths.cacerts || path === joinPaths.credentials || path === joinPaths.config || path === joinPaths.bootstrap)) return serveJoin(ctx, deps.join);
  if (ctx.user.via === 'anonymous') throw errors.unauthorized();

  const r = parseResourcePath(path, method, ctx.url.searchParams);
  if (r) {
    const decision = await authorizer.authorize(ctx.user, {
      verb: r.verb,
      group: r.group,
      resource: r.resource,
      subresource: r.subresource,
      namespace: r.namespace,
      name: r.name,
      fieldSelector: ctx.url.searchParams.get('fieldSelector') ?? undefined,
    });
    if (!decision.allowed) {
      throw errors.forbidden({ group: r.group, resource: r.resource }, r.name, forbiddenMessage(ctx.user, { ...r }));
    }
    if (r.group === metricsGroup && deps.metrics) return serveMetrics(ctx, r, { registry: deps.registry, metrics: deps.metrics });
    return handleResource(ctx, r, deps);
  }

  const verb = method.toLowerCase();
  if (!(await authorizer.authorize(ctx.user, { verb, group: '', resource: '', subresource: '', namespace: '', name: '', path })).allowed) {
    throw errors.forbidden({ group: '', resource: '' }, '', forbiddenMessage(ctx.user, { verb, group: '', resource: '', subresource: '', namespace: '', name: '', path }));
  }
  if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed();
  const segs = path.split('/').filter(Boolean);
  const accept = parseAccept(ctx.req.headers.accept);
  if (segs[0] === 'api' && segs.length === 1) {
    const agg = wantsAggregatedDiscovery(accept);
    if (agg) return writeJSON(ctx.res, 200, aggregatedDiscovery(deps.discovery, true, agg), aggregatedContentType(agg));
    return writeJSON(ctx.res, 200, apiVersions(deps.serverAddress));
  }
  if (segs[0] === 'apis' && segs.length === 1) {
    const agg = wantsAggregatedDiscovery(accept);
    if (agg) return writeJSON(ctx.res, 200, aggregatedDiscovery(deps.discovery, false, agg), aggregatedContentType(agg));
    return writeJSON(ctx.res, 200, apiGroupList(deps.discovery));
  }
  if (segs[0] === 'api' && segs.length === 2) {
    const doc = apiResourceList(deps.discovery, '', segs[1]!);
    if (doc) return writeJSON(ctx.res, 200, doc);
  }
  if (segs[0] === 'apis' && segs.length === 2) {
    const doc = apiGroupDoc(deps.discovery, segs[1]!);
    if (doc) return writeJSON(ctx.res, 200, doc);
  }
  if (segs[0] === 'apis' && segs.length === 3) {
    const doc = apiResourceList(deps.discovery, segs[1]!, segs[2]!);
    if (doc) return writeJSON(ctx.res, 200, doc);
  }
  if (segs[0] === 'openapi' && segs[1] === 'v3' && deps.openapi) return serveOpenAPI(ctx, deps.openapi, segs.slice(2));
  throw notFoundStatus();
}

function serveOpenAPI(ctx: RequestContext, openapi: OpenAPIProvider, rest: string[]): void {
  if (rest.length === 0) return writeJSON(ctx.res, 200, openapi.root());
  const [first, a, b] = rest;
  const gv = first === 'api' && a && !b ? { group: '', version: a } : first === 'apis' && a && b ? { group: a, version: b } : undefined;
  const doc = gv && openapi.document(gv.group, gv.version);
  if (!doc) throw notFoundStatus();
  const etag = `"${doc.hash}"`;
  const hashed = ctx.url.searchParams.get('hash') === doc.hash;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    etag,
    'cache-control': hashed ? 'public, immutable' : 'no-cache, private',
  };
  if (ctx.req.headers['if-none-match'] === etag) {
    ctx.res.writeHead(304, headers);
    ctx.res.end();
    return;
  }
  ctx.res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(doc.json) });
  ctx.res.end(doc.json);
}
