/**
 * The ServiceAccount controller (`serviceaccount`), after upstream's
 * pkg/controller/serviceaccount: every active namespace has a `default`
 * ServiceAccount; it is created with the namespace and again if deleted.
 * Terminating namespaces are left alone (they take no new objects).
 */
import { isApiError } from '../../api/errors.ts';
import type { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import { defaultServiceAccountName } from '../../admission/service-account.ts';
import type { Controller, ControllerContext } from '../manager.ts';

const log = logger('serviceaccount-controller');

const active = (ns: Obj | undefined) => !!ns && !ns['metadata']?.deletionTimestamp && ns['status']?.phase !== 'Terminating';

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount';
  readonly queue: WorkQueue<string>;
  private readonly client: Client;
  private readonly namespaces: Informer;
  private readonly accounts: Informer;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.namespaces = ctx.informers.informer(resources.namespaces);
    this.accounts = ctx.informers.informer(resources.serviceaccounts);
    this.namespaces.addHandler({ add: (ns) => this.queue.add(ns['metadata'].name), update: (_o, ns) => this.queue.add(ns['metadata'].name) });
    this.accounts.addHandler({
      delete: (sa) => {
        if (sa['metadata']?.name === defaultServiceAccountName) this.queue.add(sa['metadata'].namespace);
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    await runWorkers(this.queue, 2, (ns) => this.reconcile(ns), (ns, err, retry) =>
      log.warn('sync failed', { namespace: ns, err: err instanceof Error ? err.message : String(err), retry }),
    );
  }

  async reconcile(namespace: string): Promise<void> {
    if (!active(this.namespaces.getByName('', namespace))) return;
    if (this.accounts.getByName(namespace, defaultServiceAccountName)) return;
    try {
      await this.client.create(resources.serviceaccounts, namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: defaultServiceAccountName } });
    } catch (e) {
      // Already there (our cache was behind), or the namespace began terminating.
      if (isApiError(e, 'AlreadyExists') || isApiError(e, 'Forbidden') || isApiError(e, 'NotFound')) return;
      throw e;
    }
  }
}

export const serviceAccountControllerFactory = (ctx: ControllerContext): Controller => new ServiceAccountController(ctx);
