/**
 * The taint eviction controller (upstream pkg/controller/tainteviction,
 * `taint-eviction-controller`): deletes pods from nodes with NoExecute
 * taints they do not tolerate — at once — and pods that tolerate them for
 * `tolerationSeconds` when that runs out. The deletion is an ordinary
 * graceful one: on a dead node the pod stays Terminating, but its
 * ReplicaSet no longer counts it and starts a replacement elsewhere.
 * Before deleting, the pod gets the DisruptionTarget condition
 * (DeletionByTaintManager) so Jobs' pod failure policies can see why.
 */
import { isApiError } from '../../api/errors.ts';
import type { Clock } from '../../client/clock.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, splitKey, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { timeString } from './conditions.ts';
import { podsOnNode, watchPodsByNode } from './pod-index.ts';
import { matchingTolerations, minTolerationMs, noExecuteTaints, taintsOf, type Taint, type Toleration } from './taints.ts';
import { TimedWorkers } from './timed-workers.ts';

const log = logger('taint-eviction');

/** Deletion attempts per scheduled eviction (upstream retries 5 times). */
const deleteAttempts = 5;

const sameJSON = (a: unknown, b: unknown) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction-controller';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly recorder: EventRecorder;
  private readonly nodes: Informer;
  private readonly pods: Informer;
  /** NoExecute taints of each tainted node, as last processed. */
  private readonly tainted = new Map<string, Taint[]>();
  private readonly nodeQueue: WorkQueue<string>;
  private readonly podQueue: WorkQueue<string>;
  readonly evictions: TimedWorkers;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.recorder = ctx.recorder('taint-eviction-controller');
    this.nodeQueue = new WorkQueue({ clock: ctx.clock, baseDelayMs: 50, maxDelayMs: 30_000 });
    this.podQueue = new WorkQueue({ clock: ctx.clock, baseDelayMs: 50, maxDelayMs: 30_000 });
    this.evictions = new TimedWorkers(ctx.clock, (key) => this.deletePod(key));
    this.nodes = ctx.informers.informer(resources.nodes);
    this.pods = watchPodsByNode(ctx.informers);
    this.nodes.addHandler({
      add: (n) => this.nodeQueue.add(n['metadata'].name),
      update: (o, n) => {
        if (!sameJSON(noExecuteTaints(taintsOf(o)), noExecuteTaints(taintsOf(n)))) this.nodeQueue.add(n['metadata'].name);
      },
      delete: (n) => this.nodeQueue.add(n['metadata'].name),
    });
    this.pods.addHandler({
      add: (p) => this.podQueue.add(keyOf(p)),
      update: (o, p) => {
        if (o['spec']?.nodeName !== p['spec']?.nodeName || !sameJSON(o['spec']?.tolerations, p['spec']?.tolerations)) this.podQueue.add(keyOf(p));
      },
      delete: (p) => this.podQueue.add(keyOf(p)),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener(
      'abort',
      () => {
        this.nodeQueue.shutDown();
        this.podQueue.shutDown();
        this.evictions.clear();
      },
      { once: true },
    );
    const onError = (key: string, err: unknown) => log.warn('taint eviction sync failed', { key, err });
    await Promise.all([runWorkers(this.nodeQueue, 1, async (n) => this.handleNode(n), onError), runWorkers(this.podQueue, 1, async (k) => this.handlePod(k), onError)]);
  }

  /** A node's NoExecute taints changed: re-decide for each of its pods. */
  handleNode(nodeName: string): void {
    const node = this.nodes.getByName('', nodeName);
    if (!node) {
      this.tainted.delete(nodeName);
      return;
    }
    const taints = noExecuteTaints(taintsOf(node));
    if (taints.length) this.tainted.set(nodeName, taints);
    else this.tainted.delete(nodeName);
    const pods = podsOnNode(this.pods, nodeName);
    const now = this.clock.now();
    for (const pod of pods) {
      if (taints.length === 0) this.cancel(pod);
      else this.processPod(pod, taints, now);
    }
  }

  /** A pod appeared, moved, changed tolerations or went away. */
  handlePod(key: string): void {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.getByName(namespace, name);
    if (!pod) {
      this.cancel({ metadata: { namespace, name } });
      return;
    }
    const taints = this.tainted.get(pod['spec']?.nodeName ?? '');
    if (taints) this.processPod(pod, taints, this.clock.now());
  }

  private processPod(pod: Obj, taints: readonly Taint[], now: number): void {
    const key = keyOf(pod);
    const { all, used } = matchingTolerations(taints, (pod['spec']?.tolerations as Toleration[] | undefined) ?? []);
    if (!all) {
      this.cancel(pod);
      this.schedule(pod, now, now);
      return;
    }
    const min = minTolerationMs(used);
    if (min < 0) {
      this.cancel(pod); // tolerated forever
      return;
    }
    const scheduled = this.evictions.get(key);
    if (scheduled) {
      // As upstream: an eviction scheduled earlier stands; its clock started when the taint first applied.
      if (scheduled.createdAt < now) return;
      this.cancel(pod);
    }
    this.schedule(pod, scheduled?.createdAt ?? now, now + min);
  }

  private schedule(pod: Obj, createdAt: number, fireAt: number): void {
    this.evictions.add(keyOf(pod), createdAt, fireAt);
  }

  private cancel(pod: Obj): void {
    if (this.evictions.cancel(keyOf(pod))) this.podEvent(pod, `Cancelling deletion of Pod ${keyOf(pod)}`);
  }

  private podEvent(pod: Obj, message: string): void {
    const m = pod['metadata'];
    this.recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: m.namespace, name: m.name, uid: m.uid } }, 'Normal', 'TaintManagerEviction', message);
  }

  /** Marks the pod as a disruption target, then deletes it. */
  private async deletePod(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    log.info('deleting pod for a NoExecute taint it does not tolerate', { pod: key });
    this.podEvent(this.pods.getByName(namespace, name) ?? { metadata: { namespace, name } }, `Marking for deletion Pod ${key}`);
    let lastErr: unknown;
    for (let i = 0; i < deleteAttempts; i++) {
      try {
        const pod = await this.client.get(resources.pods, namespace, name);
        const cond = (pod['status']?.conditions ?? []).find((c: Obj) => c['type'] === 'DisruptionTarget');
        if (cond?.status !== 'True' || cond?.reason !== 'DeletionByTaintManager') {
          const condition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: timeString(this.clock.now()) };
          await this.client.patch(resources.pods, namespace, name, 'strategic', { metadata: { uid: pod['metadata'].uid }, status: { conditions: [condition] } }, { subresource: 'status' });
        }
        await this.client.delete(resources.pods, namespace, name, { preconditions: { uid: pod['metadata'].uid } });
        return;
      } catch (e) {
        if (isApiError(e, 'NotFound')) return;
        lastErr = e;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    throw lastErr;
  }
}
