/**
 * The Endpoints controller (`endpoints`), after upstream's
 * pkg/controller/endpoint: for every Service with a selector (not
 * ExternalName), one Endpoints object of the same name listing the
 * selected pods — ready ones under `addresses`, others (and, with
 * publishNotReadyAddresses, none) under `notReadyAddresses`; terminating
 * pods left out unless publishNotReadyAddresses — with the Service's labels
 * (plus `service.kubernetes.io/headless` for headless Services). The object
 * is written only when its subsets, labels or capacity annotation change.
 * When a Service goes, its Endpoints go too; so do Endpoints left without a
 * Service while the controller was down.
 *
 * Handlers only enqueue Service keys; `reconcile` reads the caches.
 */
import { isDeepStrictEqual } from 'node:util';
import { isApiError } from '../../api/errors.ts';
import { byNamespace, type Informer } from '../../client/informer.ts';
import { inNamespace, namespaceIndex } from '../common/informer-index.ts';
import { keyOf, resources, splitKey, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue } from '../../client/workqueue.ts';
import type { EventRecorder } from '../../client/events.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { isServiceIPSet, serviceSelector, servicesSelecting } from './pod-endpoints.ts';
import { desiredSubsets, truncateSubsets } from './subsets.ts';

const log = logger('endpoints-controller');

export const headlessLabel = 'service.kubernetes.io/headless';
export const overCapacityAnnotation = 'endpoints.kubernetes.io/over-capacity';
/** Endpoints that hold a leader-election record are not a Service's; upstream never deletes them. */
const leaderAnnotation = 'control-plane.alpha.kubernetes.io/leader';

/** Order-insensitive: stored objects need not keep our key order. */
const same = (a: unknown, b: unknown) => isDeepStrictEqual(a ?? null, b ?? null);

function labelsWithout(labels: Record<string, string> | undefined, key: string): Record<string, string> {
  const { [key]: _drop, ...rest } = labels ?? {};
  return rest;
}

export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  readonly queue: WorkQueue<string>;
  private readonly client: Client;
  private readonly recorder: EventRecorder;
  private readonly services: Informer;
  private readonly pods: Informer;
  private readonly endpoints: Informer;
  private readonly workers: number;

  constructor(ctx: ControllerContext, opts: { workers?: number } = {}) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('endpoint-controller');
    this.workers = opts.workers ?? 5;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.services = ctx.informers.informer(resources.services);
    this.pods = ctx.informers.informer(resources.pods);
    this.endpoints = ctx.informers.informer(resources.endpoints);
    this.services.addIndex(namespaceIndex, byNamespace);
    this.pods.addIndex(namespaceIndex, byNamespace);
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
    // Someone deleting a Service's Endpoints gets them back.
    this.endpoints.addHandler({ delete: (e) => this.queue.add(keyOf(e)) });
  }

  private podChanged(pod: Obj, old?: Obj): void {
    const keys = new Set(servicesSelecting(this.services, pod));
    if (old && !same(old['metadata']?.labels, pod['metadata']?.labels)) for (const k of servicesSelecting(this.services, old)) keys.add(k);
    for (const k of keys) this.queue.add(k);
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    // Endpoints whose Service went away while we were not running.
    for (const ep of this.endpoints.list()) if (!ep['metadata']?.annotations?.[leaderAnnotation]) this.queue.add(keyOf(ep));
    await runWorkers(this.queue, this.workers, (key) => this.reconcile(key), (key, err, retry) => {
      // A conflict means our cache was behind our own last write: routine, retried.
      const level = isApiError(err, 'Conflict') || isApiError(err, 'AlreadyExists') ? 'debug' : 'warn';
      log[level]('sync failed', { service: key, err: err instanceof Error ? err.message : String(err), retry });
    });
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.getByName(namespace, name);
    if (!svc) return this.serviceGone(namespace, name);
    if (svc['spec']?.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return;

    const pods = inNamespace(this.pods, namespace).filter((p) => selector.matches(p['metadata']?.labels ?? {}));
    const subsets = desiredSubsets(svc, pods);
    const truncated = truncateSubsets(subsets);
    const cur = this.endpoints.getByName(namespace, name);
    const svcLabels: Record<string, string> = svc['metadata']?.labels ?? {};
    if (
      cur &&
      same(cur['subsets'] ?? [], subsets) &&
      same(labelsWithout(cur['metadata']?.labels, headlessLabel), svcLabels) &&
      (cur['metadata']?.labels?.[headlessLabel] !== undefined) === !isServiceIPSet(svc) &&
      (cur['metadata']?.annotations?.[overCapacityAnnotation] !== undefined) === truncated
    ) {
      return;
    }
    const next: Obj = cur ? structuredClone(cur) : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace } };
    next['subsets'] = subsets;
    const labels = { ...svcLabels };
    if (!isServiceIPSet(svc)) labels[headlessLabel] = '';
    if (Object.keys(labels).length) next['metadata'].labels = labels;
    else delete next['metadata'].labels;
    const annotations = labelsWithout(next['metadata'].annotations, overCapacityAnnotation);
    if (truncated) annotations[overCapacityAnnotation] = 'truncated';
    if (Object.keys(annotations).length) next['metadata'].annotations = annotations;
    else delete next['metadata'].annotations;
    try {
      if (cur) await this.client.update(resources.endpoints, namespace, next);
      else await this.client.create(resources.endpoints, namespace, next);
    } catch (e) {
      // A terminating namespace takes no new objects: nothing to retry.
      if (!cur && isApiError(e, 'Forbidden')) return;
      const what = cur ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint';
      const msg = cur ? `Failed to update endpoint ${namespace}/${name}: ${(e as Error).message}` : `Failed to create endpoint for service ${namespace}/${name}: ${(e as Error).message}`;
      if (!isApiError(e, 'Conflict') && !isApiError(e, 'AlreadyExists')) this.recorder.event(next, 'Warning', what, msg);
      throw e;
    }
  }

  /** The Service is gone from the cache: confirm with a live read before deleting its Endpoints. */
  private async serviceGone(namespace: string, name: string): Promise<void> {
    const ep = this.endpoints.getByName(namespace, name);
    if (!ep || ep['metadata']?.annotations?.[leaderAnnotation]) return;
    try {
      await this.client.get(resources.services, namespace, name);
      return;
    } catch (e) {
      if (!isApiError(e, 'NotFound')) throw e;
    }
    try {
      await this.client.delete(resources.endpoints, namespace, name, { preconditions: { uid: ep['metadata'].uid } });
    } catch (e) {
      if (!isApiError(e, 'NotFound') && !isApiError(e, 'Conflict')) throw e;
    }
  }
}

export const endpointsControllerFactory = (ctx: ControllerContext): Controller => new EndpointsController(ctx);
