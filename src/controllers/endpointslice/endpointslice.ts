/**
 * The EndpointSlice controller (`endpointslice`), after upstream's
 * pkg/controller/endpointslice: for every Service with a selector (not
 * ExternalName), EndpointSlices labelled `kubernetes.io/service-name` and
 * `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`,
 * owned by the Service, holding at most 100 endpoints each, with
 * ready/serving/terminating conditions. Slices are written only when their
 * content changes (see reconcile.ts); slices of a deleted Service are
 * removed (the garbage collector would too, through the owner reference).
 *
 * Handlers only enqueue Service keys; `reconcile` reads the caches, and
 * waits for them when they are older than its own last writes.
 */
import { isApiError } from '../../api/errors.ts';
import { byNamespace, type Informer } from '../../client/informer.ts';
import { keyOf, resources, splitKey, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import { inNamespace, namespaceIndex } from '../common/informer-index.ts';
import { serviceSelector, servicesSelecting } from '../endpoints/pod-endpoints.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { controllerName, desiredGroups, managedByLabel, serviceNameLabel } from './desired.ts';
import { defaultMaxEndpointsPerSlice, planSlices } from './reconcile.ts';
import { SliceTracker } from './tracker.ts';

const log = logger('endpointslice-controller');

const byService = 'endpointslice-service';
/** Our slices by `namespace/service`. */
const sliceService = (s: Obj): string[] => {
  const l = s['metadata']?.labels ?? {};
  return l[managedByLabel] === controllerName && l[serviceNameLabel] ? [`${s['metadata'].namespace}/${l[serviceNameLabel]}`] : [];
};

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';
  readonly queue: WorkQueue<string>;
  private readonly client: Client;
  private readonly services: Informer;
  private readonly pods: Informer;
  private readonly slices: Informer;
  private readonly nodes: Informer;
  private readonly tracker: SliceTracker;
  private readonly maxPerSlice: number;
  private readonly workers: number;

  constructor(ctx: ControllerContext, opts: { maxEndpointsPerSlice?: number; workers?: number } = {}) {
    this.client = ctx.client;
    this.maxPerSlice = opts.maxEndpointsPerSlice ?? defaultMaxEndpointsPerSlice;
    this.workers = opts.workers ?? 5;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.services = ctx.informers.informer(resources.services);
    this.pods = ctx.informers.informer(resources.pods);
    this.slices = ctx.informers.informer(resources.endpointslices);
    this.nodes = ctx.informers.informer(resources.nodes);
    this.services.addIndex(namespaceIndex, byNamespace);
    this.pods.addIndex(namespaceIndex, byNamespace);
    this.slices.addIndex(byService, sliceService);
    this.tracker = new SliceTracker(this.slices, () => ctx.clock.now());
    this.services.addHandler({
      add: (s) => this.queue.add(keyOf(s)),
      update: (_o, s) => this.queue.add(keyOf(s)),
      delete: (s) => this.queue.add(keyOf(s)),
    });
    this.pods.addHandler({
      add: (p) => this.podChanged(p),
      update: (old, p) => this.podChanged(p, old),
      delete: (p) => this.podChanged(p),
    });
    const sliceChanged = (s: Obj) => {
      for (const k of sliceService(s)) this.queue.add(k);
    };
    this.slices.addHandler({ add: sliceChanged, update: (_o, s) => sliceChanged(s), delete: sliceChanged });
  }

  private podChanged(pod: Obj, old?: Obj): void {
    const keys = new Set(servicesSelecting(this.services, pod));
    if (old) for (const k of servicesSelecting(this.services, old)) keys.add(k);
    for (const k of keys) this.queue.add(k);
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    await runWorkers(this.queue, this.workers, (key) => this.reconcile(key), (key, err, retry) => {
      const level = isApiError(err, 'Conflict') || isApiError(err, 'NotFound') ? 'debug' : 'warn';
      log[level]('sync failed', { service: key, err: err instanceof Error ? err.message : String(err), retry });
    });
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    if (this.tracker.stale(key, namespace)) return { requeueAfterMs: 50 };
    const existing = this.slices.byIndex(byService, key);
    const svc = this.services.getByName(namespace, name);
    if (!svc) {
      this.tracker.forget(key);
      for (const s of existing) await this.deleteSlice(key, s);
      return;
    }
    if (svc['spec']?.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return;
    const pods = inNamespace(this.pods, namespace).filter((p) => selector.matches(p['metadata']?.labels ?? {}));
    const desired = desiredGroups(svc, pods, (n) => this.nodes.getByName('', n));
    const plan = planSlices(svc, existing, desired, this.maxPerSlice);
    // Creates first, then updates, then deletes: consumers never see fewer endpoints than before.
    for (const s of plan.create) this.tracker.written(key, await this.client.create(resources.endpointslices, namespace, s));
    for (const s of plan.update) this.tracker.written(key, await this.client.update(resources.endpointslices, namespace, s));
    for (const s of plan.delete) await this.deleteSlice(key, s);
  }

  private async deleteSlice(key: string, s: Obj): Promise<void> {
    try {
      await this.client.delete(resources.endpointslices, s['metadata'].namespace, s['metadata'].name, { preconditions: { uid: s['metadata'].uid } });
      this.tracker.deleted(key, s);
    } catch (e) {
      if (!isApiError(e, 'NotFound')) throw e;
    }
  }
}

export const endpointSliceControllerFactory = (ctx: ControllerContext): Controller => new EndpointSliceController(ctx);
