/**
 * Namespace lifecycle, after upstream's namespace controller: when a
 * namespace is deleted it becomes Terminating; this controller deletes
 * everything in it, waits until nothing is left (objects with finalizers
 * or pods in their grace period take time), then clears the `kubernetes`
 * finalizer so the registry removes the namespace itself.
 */
import { runWorkers, WorkQueue } from '../../client/workqueue.ts';
import type { Registry } from '../../registry/registry.ts';
import { deleteCollection } from '../../registry/store-delete.ts';
import { openWatch } from '../../registry/store-watch.ts';
import { listPrefix } from '../../registry/keys.ts';
import { guaranteedUpdate } from '../../registry/store-write.ts';
import type { WriteContext } from '../../registry/types.ts';
import { nowTime } from '../../registry/object-meta.ts';
import { logger } from '../../util/log.ts';

const log = logger('namespace-controller');

const ctx: WriteContext = {
  user: { name: 'system:serviceaccount:kube-system:namespace-controller', groups: ['system:serviceaccounts'], via: 'token' },
  warnings: [],
  fieldManager: 'namespace-controller',
};

/** How soon to look again while content remains. */
export const recheckMs = 1000;

export class NamespaceController {
  private readonly registry: Registry;
  readonly queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 30_000 });

  constructor(registry: Registry) {
    this.registry = registry;
  }

  /** Returns a requeue delay while the namespace still has content. */
  async reconcile(name: string): Promise<{ requeueAfterMs?: number } | void> {
    const namespaces = this.registry.storeFor('', 'namespaces');
    const kv = await namespaces.getKV('', name);
    if (!kv) return;
    const ns = namespaces.fromKV(kv);
    if (!ns['metadata']?.deletionTimestamp) return;
    if (!(ns['spec']?.finalizers ?? []).includes('kubernetes')) return;

    let remaining = 0;
    const left: string[] = [];
    for (const store of this.registry.all()) {
      // events.k8s.io shares core events' storage; deleting through one is enough.
      if (!store.info.namespaced || store.conversion) continue;
      await deleteCollection(store, name, {}, { propagationPolicy: 'Background' }, ctx);
      // Objects held by finalizers or a grace period are still there; count what is left.
      const { count } = await this.registry.backend.count(listPrefix(store.info, name));
      if (count > 0) {
        remaining += count;
        left.push(`${store.info.resource}${store.info.group ? '.' + store.info.group : ''} has ${count} resource instances`);
      }
    }
    if (remaining > 0) {
      await this.setCondition(name, left);
      return { requeueAfterMs: recheckMs };
    }
    await guaranteedUpdate(
      namespaces,
      '',
      name,
      ctx,
      (o) => {
        const fin: string[] = o['spec']?.finalizers ?? [];
        if (!fin.includes('kubernetes')) return false;
        o['spec'].finalizers = fin.filter((f) => f !== 'kubernetes');
      },
      'finalize',
    );
    log.info('namespace emptied and finalized', { namespace: name });
  }

  /** Mirrors upstream's NamespaceContentRemaining condition, so `describe ns` explains the wait. */
  private async setCondition(name: string, left: string[]): Promise<void> {
    const namespaces = this.registry.storeFor('', 'namespaces');
    const message = `Some resources are remaining: ${left.join(', ')}`;
    await guaranteedUpdate(
      namespaces,
      '',
      name,
      ctx,
      (o) => {
        const st = (o['status'] ??= {});
        const conds: Record<string, unknown>[] = (st.conditions ??= []);
        const existing = conds.find((c) => c['type'] === 'NamespaceContentRemaining');
        if (existing && existing['message'] === message) return false;
        const cond = { type: 'NamespaceContentRemaining', status: 'True', lastTransitionTime: nowTime(), reason: 'SomeResourcesRemain', message };
        if (existing) Object.assign(existing, cond);
        else conds.push(cond);
      },
      'status',
    );
  }

  async run(signal: AbortSignal): Promise<void> {
    const namespaces = this.registry.storeFor('', 'namespaces');
    const workers = runWorkers(this.queue, 1, (k) => this.reconcile(k), (k, err, retry) =>
      log.warn('reconcile failed', { namespace: k, err, retry }),
    );
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    let rv = '';
    while (!signal.aborted) {
      try {
        const events = await openWatch(namespaces, '', { resourceVersion: rv, allowWatchBookmarks: true }, signal);
        let expired = false;
        await events.pump((batch) => {
          for (const ev of batch) {
            // 410: our resourceVersion was compacted away; relist from scratch.
            if (ev.type === 'ERROR') expired = true;
            else {
              rv = ev.object['metadata']?.resourceVersion ?? rv;
              if (ev.type !== 'BOOKMARK' && ev.object['metadata']?.deletionTimestamp) this.queue.add(ev.object['metadata'].name);
            }
          }
        });
        if (expired) rv = '';
      } catch (e) {
        if (signal.aborted) break;
        log.warn('namespace watch failed; retrying', { err: e });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    this.queue.shutDown();
    await workers;
  }
}
