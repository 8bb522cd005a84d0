/**
 * Resource requests: maps a parsed URL and verb onto the registry, decodes
 * bodies and shapes responses (JSON, Table, PartialObjectMetadata, YAML).
 */
import { yaml } from '../util/yaml.ts';
import { ApiError, errors, successStatus } from '../api/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { Store } from '../registry/store.ts';
import { deleteCollection, deleteObject } from '../registry/store-delete.ts';
import { create, patch, update } from '../registry/store-write.ts';
import type { PodStreams } from './pod-streams.ts';
import { bindPod } from '../registry/subresources/binding.ts';
import { evictPod } from '../registry/subresources/eviction.ts';
import { getScale, patchScale, updateScale } from '../registry/subresources/scale.ts';
import type { ListResult, Obj, WriteContext } from '../registry/types.ts';
import { decodeObjectBody, decodePatchBody, readBody, type ProtobufDecoder } from './body.ts';
import type { RequestContext } from './http.ts';
import { negotiate, parseAccept, type Negotiated } from './negotiate.ts';
import { partialList, partialMetadata, stripTypeMeta, tableContentType, toTable, type PrinterLookup } from './output.ts';
import { deleteOptions, includeObject, listOptions, watchOptions, writeOptions } from './query.ts';
import type { ResourceRequest } from './request-info.ts';
import { addWarning, writeJSON } from './respond.ts';
import { serveWatch } from './watch-handler.ts';

export interface ResourceDeps {
  registry: Registry;
  printers: PrinterLookup;
  protobuf?: ProtobufDecoder;
  /** pods/log and the streaming subresources (pod-streams.ts); absent: 503. */
  podStreams?: Pick<PodStreams, 'serveLog'>;
}

export const notFoundStatus = () => new ApiError('NotFound', 'the server could not find the requested resource', {});

function send(ctx: RequestContext, status: number, body: Obj, neg: Negotiated, contentType?: string): void {
  if (neg.yaml) {
    const text = yaml().stringify(body);
    ctx.res.writeHead(status, { 'content-type': 'application/yaml', 'content-length': Buffer.byteLength(text) });
    ctx.res.end(text);
  } else writeJSON(ctx.res, status, body, contentType);
}

function sendObject(ctx: RequestContext, r: ResourceRequest, deps: ResourceDeps, status: number, obj: Obj, neg: Negotiated): void {
  if (neg.shape === 'table') {
    const printer = deps.printers(r.group, r.resource);
    const t = toTable(printer, [obj], { resourceVersion: obj['metadata']?.resourceVersion }, includeObject(ctx.url.searchParams));
    send(ctx, status, t, neg, tableContentType);
  } else if (neg.shape === 'metadata') send(ctx, status, partialMetadata(obj), neg);
  else send(ctx, status, obj, neg);
}

/**
 * A JSON list written from item texts in chunks: no parse of stored objects
 * and no single huge response string (a 10,000-pod list is ~25 MB).
 */
async function sendListText(ctx: RequestContext, store: Store, result: ListResult<string>): Promise<void> {
  const meta: Obj = { resourceVersion: result.resourceVersion };
  if (result.continue) meta['continue'] = result.continue;
  const { res } = ctx;
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
  let chunk = `{"kind":${JSON.stringify(`${store.info.kind}List`)},"apiVersion":${JSON.stringify(store.apiVersion)},"metadata":${JSON.stringify(meta)},"items":[`;
  const items = result.items;
  for (let i = 0; i < items.length; i++) {
    chunk += (i ? ',' : '') + items[i];
    if (chunk.length >= 256 * 1024) {
      if (!res.write(chunk)) {
        if (ctx.signal.aborted) return;
        await new Promise<void>((r) => {
          res.once('drain', r);
          ctx.signal.addEventListener('abort', () => r(), { once: true });
        });
      }
      chunk = '';
    }
  }
  res.end(chunk + ']}');
}

function flushWarnings(ctx: RequestContext, w: WriteContext): void {
  for (const text of w.warnings) addWarning(ctx.res, text);
}

async function body(ctx: RequestContext, deps: ResourceDeps): Promise<unknown> {
  const buf = await readBody(ctx.req);
  return decodeObjectBody(buf, ctx.req.headers['content-type'], deps.protobuf);
}

async function optionalBody(ctx: RequestContext, deps: ResourceDeps): Promise<Obj | undefined> {
  const buf = await readBody(ctx.req);
  if (buf.length === 0) return undefined;
  const b = decodeObjectBody(buf, ctx.req.headers['content-type'], deps.protobuf);
  return typeof b === 'object' && b !== null ? (b as Obj) : undefined;
}

export async function handleResource(ctx: RequestContext, r: ResourceRequest, deps: ResourceDeps): Promise<void> {
  const store = deps.registry.store(r.group, r.version, r.resource);
  if (!store) throw notFoundStatus();
  if (!store.info.namespaced && r.namespace) throw notFoundStatus();
  if (store.info.namespaced && !r.namespace && !['list', 'watch'].includes(r.verb)) throw notFoundStatus();
  const q = ctx.url.searchParams;
  const neg = negotiate(parseAccept(ctx.req.headers.accept));
  const w: WriteContext = {
    ...writeOptions(q),
    user: ctx.user,
    warnings: [],
    userAgent: ctx.req.headers['user-agent'],
  };
  const ns = r.namespace;

  if (r.resource === 'bindings' && r.verb === 'create') {
    const b = (await body(ctx, deps)) as Obj;
    await bindPod(deps.registry.storeFor('', 'pods'), ns, b?.['metadata']?.name ?? '', b, w);
    return send(ctx, 201, successStatus(201), neg);
  }
  if (r.subresource) return handleSubresource(ctx, r, deps, store, neg, w);

  switch (r.verb) {
    case 'get': {
      const obj = await store.get(ns, r.name, { resourceVersion: q.get('resourceVersion') ?? undefined });
      return sendObject(ctx, r, deps, 200, obj, neg);
    }
    case 'list': {
      if (neg.shape === 'object' && !neg.yaml) return sendListText(ctx, store, await store.listText(ns, listOptions(q)));
      const result = await store.list(ns, listOptions(q));
      const listMeta: Obj = { resourceVersion: result.resourceVersion };
      if (result.continue) listMeta['continue'] = result.continue;
      if (neg.shape === 'table') {
        return send(ctx, 200, toTable(deps.printers(r.group, r.resource), result.items, listMeta, includeObject(q)), neg, tableContentType);
      }
      if (neg.shape === 'metadata') return send(ctx, 200, partialList(store, result.items, listMeta), neg);
      return send(ctx, 200, store.listObject({ ...result, items: stripTypeMeta(result.items) }), neg);
    }
    case 'watch': {
      const printer = neg.shape === 'table' ? deps.printers(r.group, r.resource) : undefined;
      return serveWatch(ctx, store, ns, watchOptions(q), neg, printer, includeObject(q));
    }
    case 'create': {
      const created = await create(store, ns, await body(ctx, deps), w);
      flushWarnings(ctx, w);
      return sendObject(ctx, r, deps, 201, created, neg);
    }
    case 'update': {
      const res = await update(store, ns, r.name, await body(ctx, deps), w);
      flushWarnings(ctx, w);
      return sendObject(ctx, r, deps, res.created ? 201 : 200, res.object, neg);
    }
    case 'patch': {
      const p = decodePatchBody(await readBody(ctx.req), ctx.req.headers['content-type']);
      const res = await patch(store, ns, r.name, p.kind, p.body, w);
      flushWarnings(ctx, w);
      return sendObject(ctx, r, deps, res.created ? 201 : 200, res.object, neg);
    }
    case 'delete': {
      const opts = deleteOptions(q, await optionalBody(ctx, deps));
      const res = await deleteObject(store, ns, r.name, opts, w);
      if (res.deleted && !store.strategy.returnDeletedObject) {
        const m = res.object['metadata'] ?? {};
        return send(ctx, 200, successStatus(200, { name: m.name, group: r.group, kind: r.resource, uid: m.uid }), neg);
      }
      return sendObject(ctx, r, deps, 200, res.object, neg);
    }
    case 'deletecollection': {
      const opts = deleteOptions(q, await optionalBody(ctx, deps));
      const items = await deleteCollection(store, ns, listOptions(q), opts, w);
      return send(ctx, 200, store.listObject({ items, resourceVersion: '' }), neg);
    }
    default:
      throw errors.methodNotAllowed();
  }
}

async function handleSubresource(ctx: RequestContext, r: ResourceRequest, deps: ResourceDeps, store: Store, neg: Negotiated, w: WriteContext): Promise<void> {
  const has = store.info.subresources.some((s) => s.name === r.subresource);
  if (!has) throw notFoundStatus();
  const ns = r.namespace;
  switch (`${r.subresource}:${r.verb}`) {
    case 'status:get':
      return sendObject(ctx, r, deps, 200, await store.get(ns, r.name), neg);
    case 'status:update':
    case 'finalize:update': {
      const res = await update(store, ns, r.name, await body(ctx, deps), w, r.subresource);
      flushWarnings(ctx, w);
      return sendObject(ctx, r, deps, 200, res.object, neg);
    }
    case 'status:patch': {
      const p = decodePatchBody(await readBody(ctx.req), ctx.req.headers['content-type']);
      const res = await patch(store, ns, r.name, p.kind, p.body, w, 'status');
      flushWarnings(ctx, w);
      return sendObject(ctx, r, deps, 200, res.object, neg);
    }
    case 'scale:get':
      return send(ctx, 200, await getScale(store, ns, r.name), neg);
    case 'scale:update':
      return send(ctx, 200, await updateScale(store, ns, r.name, (await body(ctx, deps)) as Obj, w), neg);
    case 'scale:patch': {
      const p = decodePatchBody(await readBody(ctx.req), ctx.req.headers['content-type']);
      if (p.kind === 'apply') throw errors.unsupportedMediaType('application/apply-patch+yaml', ['application/json-patch+json', 'application/merge-patch+json']);
      return send(ctx, 200, await patchScale(store, ns, r.name, p.kind, p.body, w), neg);
    }
    case 'binding:create': {
      await bindPod(store, ns, r.name, (await body(ctx, deps)) as Obj, w);
      return send(ctx, 201, successStatus(201), neg);
    }
    case 'eviction:create': {
      await evictPod(deps.registry, ns, r.name, (await body(ctx, deps)) as Obj, w);
      return send(ctx, 201, successStatus(201), neg);
    }
    case 'log:get':
    case 'exec:get':
    case 'exec:create':
    case 'attach:get':
    case 'attach:create':
    case 'portforward:get':
    case 'portforward:create': {
      if (r.subresource === 'log' && deps.podStreams) return deps.podStreams.serveLog(ctx, ns, r.name);
      // Streams arrive as HTTP/1.1 upgrades (pod-streams.ts); a plain request cannot carry one.
      if (deps.podStreams) throw errors.badRequest('Upgrade request required');
      const pod = await store.get(ns, r.name);
      if (!pod['spec']?.nodeName) throw errors.badRequest(`pod ${r.name} does not have a host assigned`);
      throw errors.serviceUnavailable(`no node agent is serving ${r.subresource} for node "${pod['spec'].nodeName}"`);
    }
    default:
      throw errors.methodNotAllowed();
  }
}
