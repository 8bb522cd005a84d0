/**
 * A Client that calls the registry directly, as a given user: the server's
 * own controllers and scheduler use it. Same semantics as the HTTP client
 * (the conformance suite runs both), minus the encoding; watch events are
 * the shared ones other watchers get, so they are read-only.
 */
import { errors } from '../api/errors.ts';
import type { UserInfo } from '../apiserver/http.ts';
import type { Authorizer } from '../apiserver/auth.ts';
import type { Registry } from '../registry/registry.ts';
import type { Store } from '../registry/store.ts';
import { deleteObject } from '../registry/store-delete.ts';
import { openWatch } from '../registry/store-watch.ts';
import { create, patch, update } from '../registry/store-write.ts';
import { bindPod } from '../registry/subresources/binding.ts';
import { evictPod } from '../registry/subresources/eviction.ts';
import { updateScale } from '../registry/subresources/scale.ts';
import type { WriteContext } from '../registry/types.ts';
import type { Client, ClientWatch, DeleteOptions, ListOptions, ListResult, Obj, PatchType, ResourceId, WatchOptions, WriteOptions } from './types.ts';

export class InProcessClient implements Client {
  readonly registry: Registry;
  readonly user: UserInfo;
  private readonly authorizer?: Authorizer;

  constructor(registry: Registry, user: UserInfo, authorizer?: Authorizer) {
    this.registry = registry;
    this.user = user;
    this.authorizer = authorizer;
  }

  get userName(): string {
    return this.user.name;
  }

  private async store(r: ResourceId, verb: string, namespace: string, name = '', subresource = ''): Promise<Store> {
    const s = this.registry.store(r.group, r.version, r.resource);
    if (!s) throw errors.notFound({ group: r.group, resource: r.resource }, name);
    if (this.authorizer && !(await this.authorizer.authorize(this.user, { verb, group: r.group, resource: r.resource, subresource, namespace, name })).allowed) {
      throw errors.forbidden({ group: r.group, resource: r.resource }, name, `User "${this.user.name}" cannot ${verb} resource "${r.resource}"`);
    }
    return s;
  }

  private ctx(opts: WriteOptions = {}): WriteContext {
    return { ...opts, user: this.user, warnings: [], userAgent: `${this.user.name}/in-process`, fieldManager: opts.fieldManager ?? fieldManagerOf(this.user) };
  }

  async get(r: ResourceId, namespace: string, name: string, opts: { resourceVersion?: string } = {}): Promise<Obj> {
    return (await this.store(r, 'get', namespace, name)).get(namespace, name, opts);
  }

  async list(r: ResourceId, namespace: string, opts: ListOptions = {}): Promise<ListResult> {
    return (await this.store(r, 'list', namespace)).list(namespace, opts);
  }

  async watch(r: ResourceId, namespace: string, opts: WatchOptions & { timeoutSeconds?: number }, signal: AbortSignal): Promise<ClientWatch> {
    const store = await this.store(r, 'watch', namespace);
    const abort = new AbortController();
    const stop = () => abort.abort();
    signal.addEventListener('abort', stop, { once: true });
    const timer = opts.timeoutSeconds ? setTimeout(stop, opts.timeoutSeconds * 1000) : undefined;
    timer?.unref();
    const w = await openWatch(store, namespace, opts, abort.signal);
    return {
      pump: async (onEvents) => {
        try {
          await w.pump(onEvents);
        } finally {
          if (timer) clearTimeout(timer);
          signal.removeEventListener('abort', stop);
        }
      },
    };
  }

  async create(r: ResourceId, namespace: string, obj: Obj, opts?: WriteOptions): Promise<Obj> {
    return create(await this.store(r, 'create', namespace), namespace, obj, this.ctx(opts));
  }

  async update(r: ResourceId, namespace: string, obj: Obj, opts: WriteOptions & { subresource?: string } = {}): Promise<Obj> {
    const name = obj['metadata']?.name ?? '';
    const sub = opts.subresource ?? '';
    const store = await this.store(r, 'update', namespace, name, sub);
    if (sub === 'scale') return updateScale(store, namespace, name, obj, this.ctx(opts));
    return (await update(store, namespace, name, obj, this.ctx(opts), sub)).object;
  }

  async patch(r: ResourceId, namespace: string, name: string, type: PatchType | 'apply', body: unknown, opts: WriteOptions & { subresource?: string } = {}): Promise<Obj> {
    const sub = opts.subresource ?? '';
    return (await patch(await this.store(r, 'patch', namespace, name, sub), namespace, name, type, body, this.ctx(opts), sub)).object;
  }

  async delete(r: ResourceId, namespace: string, name: string, opts: DeleteOptions = {}): Promise<void> {
    await deleteObject(await this.store(r, 'delete', namespace, name), namespace, name, opts, this.ctx({ dryRun: opts.dryRun }));
  }

  async createSubresource(r: ResourceId, namespace: string, name: string, subresource: string, body: Obj): Promise<void> {
    const store = await this.store(r, 'create', namespace, name, subresource);
    if (r.resource === 'pods' && subresource === 'binding') return bindPod(store, namespace, name, body, this.ctx());
    if (r.resource === 'pods' && subresource === 'eviction') return evictPod(this.registry, namespace, name, body, this.ctx());
    throw errors.notFound({ group: r.group, resource: `${r.resource}/${subresource}` }, name);
  }
}

/** Upstream's controllers record their component as the field manager (`kube-controller-manager`, `kube-scheduler`). */
function fieldManagerOf(user: UserInfo): string {
  const m = /^system:(?:serviceaccount:kube-system:)?(.+)$/.exec(user.name);
  return m ? m[1]! : user.name;
}
