/**
 * The ResourceQuota controller (`resourcequota`), after upstream's
 * pkg/controller/resourcequota: keeps each quota's `status.hard` equal to
 * `spec.hard` and `status.used` equal to what the namespace really uses.
 *
 * Admission charges quota as objects are created; this controller gives
 * usage back ("replenishes") when objects go away or stop counting (a pod
 * finishes, a Service stops being a NodePort), computes usage for a new or
 * changed quota, and recounts every quota every `resyncMs` (upstream's 5
 * minutes) to repair charges for writes that failed after admission.
 *
 * As upstream, it does not react to status-only quota changes (admission's
 * charges): a recount racing a create that admission has charged but
 * storage has not yet shown would give back usage that is in fact taken.
 */
import { isDeepStrictEqual } from 'node:util';
import { isApiError } from '../../api/errors.ts';
import { byNamespace, type Informer } from '../../client/informer.ts';
import { keyOf, resources, splitKey, type Client, type Obj, type ResourceId } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import type { InformerFactory } from '../../client/informer.ts';
import { logger } from '../../util/log.ts';
import { equal, toJSON, toList } from '../../admission/resource-quota-resources.ts';
import { evaluatorFor } from '../../admission/resource-quota-usage.ts';
import { inNamespace, namespaceIndex } from '../common/informer-index.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { calculateUsage, evaluatorsFor } from './usage.ts';

const log = logger('resourcequota-controller');

export const defaultResyncMs = 5 * 60_000;

export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota';
  readonly queue: WorkQueue<string>;
  private readonly client: Client;
  private readonly informers: InformerFactory;
  private readonly quotas: Informer;
  private readonly watched = new Set<string>();
  private readonly now: () => number;
  private readonly resyncMs: number;

  constructor(ctx: ControllerContext, opts: { resyncMs?: number } = {}) {
    this.client = ctx.client;
    this.informers = ctx.informers;
    this.now = () => ctx.clock.now();
    this.resyncMs = opts.resyncMs ?? defaultResyncMs;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.quotas = ctx.informers.informer(resources.resourcequotas);
    this.quotas.addIndex(namespaceIndex, byNamespace);
    this.quotas.addHandler({
      add: (q) => this.queue.add(keyOf(q)),
      // Only spec changes: status changes are admission's charges and our own writes.
      update: (old, q) => {
        if (!isDeepStrictEqual(old['spec'] ?? {}, q['spec'] ?? {})) this.queue.add(keyOf(q));
      },
    });
    for (const id of [resources.pods, resources.services, resources.persistentvolumeclaims]) this.watchForReplenishment(id);
  }

  /** Recount the namespace's quotas when an object of this kind goes away or starts costing less. */
  private watchForReplenishment(id: ResourceId): void {
    const k = `${id.group}/${id.resource}`;
    if (this.watched.has(k)) return;
    this.watched.add(k);
    const ev = evaluatorFor({ group: id.group, resource: id.resource });
    const enqueueNamespace = (o: Obj) => {
      for (const q of inNamespace(this.quotas, o['metadata']?.namespace ?? '')) this.queue.add(keyOf(q));
    };
    this.informers.informer(id).addHandler({
      delete: enqueueNamespace,
      update: (old, o) => {
        if (!inNamespace(this.quotas, o['metadata']?.namespace ?? '').length) return;
        const now = this.now();
        if (!equal(ev.usage(old, now), ev.usage(o, now))) enqueueNamespace(o);
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    await runWorkers(this.queue, 2, (key) => this.reconcile(key), (key, err, retry) => {
      const level = isApiError(err, 'Conflict') ? 'debug' : 'warn';
      log[level]('sync failed', { quota: key, err: err instanceof Error ? err.message : String(err), retry });
    });
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const quota = this.quotas.getByName(namespace, name);
    if (!quota) return;
    const hardNames = Object.keys(quota['spec']?.hard ?? {});
    // Kinds counted by this quota get informers too, so their deletions give usage back.
    for (const { id } of evaluatorsFor(hardNames)) this.watchForReplenishment(id);
    // Read live: the cached quota may be behind admission's latest charge.
    const live = await this.client.get(resources.resourcequotas, namespace, name);
    const used = await calculateUsage(this.client, live, this.now());
    const hard = toList(live['spec']?.hard);
    if (equal(toList(live['status']?.hard), hard) && equal(toList(live['status']?.used), used) && live['status']?.used) {
      return { requeueAfterMs: this.resyncMs };
    }
    const next = structuredClone(live);
    next['status'] = { hard: toJSON(hard), used: toJSON(used) };
    await this.client.update(resources.resourcequotas, namespace, next, { subresource: 'status' });
    return { requeueAfterMs: this.resyncMs };
  }
}

export const resourceQuotaControllerFactory = (ctx: ControllerContext): Controller => new ResourceQuotaController(ctx);
