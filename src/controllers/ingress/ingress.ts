/**
 * The `ingress` controller (server side of the built-in ingress controller,
 * src/agent/ingress): as k3s does for Traefik,
 * - it creates the IngressClass `bramble` (controller `bramble.io/ingress`)
 *   as the cluster's default class
 *   (`ingressclass.kubernetes.io/is-default-class: "true"`), once: an
 *   administrator's later edits (or deletion of the annotation) are kept;
 * - it writes `status.loadBalancer.ingress` of every Ingress the built-in
 *   controller serves (class bramble, or none): the InternalIPs of the Ready
 *   real nodes, each of which answers on ports 80/443 (simulated nodes, label
 *   `type=bramble-fake`, run no proxy and are left out), sorted.
 */
import { isNodeReady, nodeInternalIP } from '../../api/node-status.ts';
import { isDeepStrictEqual } from 'node:util';
import { isApiError } from '../../api/errors.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, splitKey, type Client, type Obj, type ResourceId } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';

const log = logger('ingress-controller');

export const INGRESS_CLASS = 'bramble';
export const INGRESS_CONTROLLER = 'bramble.io/ingress';
export const ingressClasses: ResourceId = { group: 'networking.k8s.io', version: 'v1', resource: 'ingressclasses' };
const CLASS_KEY = '#class';
const ALL_KEY = '#all';

export function desiredIngressClass(): Obj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: INGRESS_CLASS, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' }, labels: { 'app.kubernetes.io/managed-by': 'bramble' } },
    spec: { controller: INGRESS_CONTROLLER },
  };
}

export function servedByBramble(ing: Obj): boolean {
  const cls = ing['spec']?.ingressClassName ?? ing['metadata']?.annotations?.['kubernetes.io/ingress.class'];
  return !cls || cls === INGRESS_CLASS;
}


/** status.loadBalancer.ingress for the cluster's nodes now. */
export function desiredLoadBalancer(nodes: Obj[]): Obj[] {
  const ips = nodes.filter((n) => isNodeReady(n) && n['metadata']?.labels?.['type'] !== 'bramble-fake').map(nodeInternalIP).filter((ip): ip is string => !!ip);
  return [...new Set(ips)].sort().map((ip) => ({ ip }));
}

export class IngressStatusController implements Controller {
  readonly name = 'ingress';
  readonly queue: WorkQueue<string>;
  private readonly client: Client;
  private readonly ingresses: Informer;
  private readonly nodes: Informer;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.ingresses = ctx.informers.informer(resources.ingresses);
    this.nodes = ctx.informers.informer(resources.nodes);
    this.ingresses.addHandler({ add: (o) => this.queue.add(keyOf(o)), update: (_, o) => this.queue.add(keyOf(o)) });
    const nodeKey = (n: Obj) => `${nodeInternalIP(n) ?? ''}/${isNodeReady(n)}`;
    this.nodes.addHandler({ add: () => this.queue.add(ALL_KEY), update: (o, n) => nodeKey(o) !== nodeKey(n) && this.queue.add(ALL_KEY), delete: () => this.queue.add(ALL_KEY) });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    this.queue.add(CLASS_KEY);
    await runWorkers(this.queue, 1, (key) => this.reconcile(key), (key, err, retry) => log.warn('sync failed', { key, err: err instanceof Error ? err.message : String(err), retry }));
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    if (key === CLASS_KEY) {
      try {
        await this.client.create(ingressClasses, '', desiredIngressClass());
        log.info('created the default IngressClass', { name: INGRESS_CLASS });
      } catch (e) {
        if (!isApiError(e, 'AlreadyExists')) throw e;
      }
      return {};
    }
    if (key === ALL_KEY) {
      for (const i of this.ingresses.list()) this.queue.add(keyOf(i));
      return {};
    }
    const { namespace, name } = splitKey(key);
    const ing = this.ingresses.getByName(namespace, name);
    if (!ing || !servedByBramble(ing) || ing['metadata']?.deletionTimestamp) return {};
    const want = desiredLoadBalancer(this.nodes.list());
    if (isDeepStrictEqual(ing['status']?.loadBalancer?.ingress ?? [], want)) return {};
    await this.client.patch(resources.ingresses, namespace, name, 'merge', { status: { loadBalancer: { ingress: want } } }, { subresource: 'status' });
    return {};
  }
}

/**
 * `bramble server --disable ingress`: as k3s removes a disabled addon, the
 * IngressClass this controller created goes, so no agent serves ports 80/443
 * (they serve only while a class of our controller exists) and another
 * ingress controller can take them. A class an administrator made for our
 * controller under another name is theirs and stays.
 */
export async function removeIngressClass(client: Client): Promise<boolean> {
  try {
    const cls = await client.get(ingressClasses, '', INGRESS_CLASS);
    if (cls['spec']?.controller !== INGRESS_CONTROLLER || cls['metadata']?.labels?.['app.kubernetes.io/managed-by'] !== 'bramble') return false;
    await client.delete(ingressClasses, '', INGRESS_CLASS, { preconditions: { uid: cls['metadata'].uid } });
    log.info('built-in ingress disabled: removed its IngressClass', { name: INGRESS_CLASS });
    return true;
  } catch (e) {
    if (isApiError(e, 'NotFound') || isApiError(e, 'Conflict')) return false;
    throw e;
  }
}

export const ingressControllerFactory: ControllerFactory = (ctx) => new IngressStatusController(ctx);
