/**
 * The registry: one Store per served resource, plus namespace lifecycle
 * admission and the objects every cluster starts with.
 */
import { errors, type GroupResource } from '../api/errors.ts';
import { resources, type ResourceInfo } from '../api/resources.ts';
import type { Backend } from '../storage/backend.ts';
import { eventsV1Conversion } from './events-v1.ts';
import { Store } from './store.ts';
import { create } from './store-write.ts';
import { strategyFor } from './strategies.ts';
import type { Hooks, WriteContext } from './types.ts';
import type { AdmissionPlugin } from './admission.ts';

export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export class Registry {
  readonly backend: Backend;
  readonly hooks: Hooks;
  /** Admission plugins, run in order on every write (see admission.ts). */
  readonly admission: AdmissionPlugin[] = [];
  private readonly stores = new Map<string, Store>();

  constructor(backend: Backend, hooks: Hooks, served: ResourceInfo[] = resources) {
    this.backend = backend;
    this.hooks = hooks;
    const deps = { backend, hooks, admission: this.admission, checkNamespace: (ns: string, gr: GroupResource, name: string) => this.checkNamespace(ns, gr, name) };
    for (const info of served) {
      const conversion = info.group === 'events.k8s.io' ? eventsV1Conversion : undefined;
      this.stores.set(`${info.group}/${info.version}/${info.resource}`, new Store(info, strategyFor(info), deps, conversion));
    }
  }

  store(group: string, version: string, resource: string): Store | undefined {
    return this.stores.get(`${group}/${version}/${resource}`);
  }

  /** The store serving a group/resource at its (only) version. */
  storeFor(group: string, resource: string): Store {
    for (const s of this.stores.values()) if (s.info.group === group && s.info.resource === resource) return s;
    throw new Error(`no store for ${resource}.${group}`);
  }

  all(): Store[] {
    return [...this.stores.values()];
  }

  /** Upstream NamespaceLifecycle admission: no new content in missing or terminating namespaces. */
  async checkNamespace(namespace: string, gr: GroupResource, name: string): Promise<void> {
    const ns = this.storeFor('', 'namespaces');
    const kv = await ns.getKV('', namespace);
    if (!kv) throw errors.notFound({ group: '', resource: 'namespaces' }, namespace);
    const obj = JSON.parse(kv.value);
    if (obj.metadata?.deletionTimestamp || obj.status?.phase === 'Terminating') {
      const err = errors.forbidden(gr, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
      // Controllers recognise this refusal by its cause, as upstream's do.
      err.details!.causes = [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }];
      throw err;
    }
  }

  /** Creates the namespaces every cluster has; idempotent. */
  async bootstrap(ctx: WriteContext): Promise<void> {
    const ns = this.storeFor('', 'namespaces');
    for (const name of systemNamespaces) {
      if (await ns.getKV('', name)) continue;
      try {
        await create(ns, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { ...ctx, fieldManager: 'bramble-bootstrap' });
      } catch (e) {
        if ((e as { reason?: string }).reason !== 'AlreadyExists') throw e;
      }
    }
  }
}
