/**
 * The disruption controller (`disruption`, upstream
 * pkg/controller/disruption): keeps every PodDisruptionBudget's status —
 * expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed,
 * observedGeneration, disruptedPods and the DisruptionAllowed condition —
 * which the eviction API (and so `kubectl drain`) obeys. A budget whose
 * status cannot be computed is written with disruptionsAllowed 0 and
 * reason SyncFailed: when in doubt, evict nothing.
 *
 * It also resets a DisruptionTarget pod condition left True for two
 * minutes on a pod that was never deleted (a deletion that failed after
 * the condition was written).
 */
import { isApiError } from '../../api/errors.ts';
import { fromLabelSelector } from '../../api/selectors/label.ts';
import type { Clock } from '../../client/clock.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, splitKey, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import { addWorkloadIndexes, inNamespace } from '../common/informer-index.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { getCondition, parseTime, timeString } from '../node-lifecycle/conditions.ts';
import { expectedPodCount, type Workloads } from './expected-count.ts';
import { buildDisruptedPods, countHealthy, failSafeStatus, nextStatus } from './status.ts';

const log = logger('disruption-controller');

/** How long a DisruptionTarget condition may stay True on a pod not being deleted (upstream 2 min). */
export const stalePodDisruptionTimeoutMs = 2 * 60 * 1000;

export class DisruptionController implements Controller {
  readonly name = 'disruption';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly recorder: EventRecorder;
  private readonly pods: Informer;
  private readonly pdbs: Informer;
  private readonly workloads: Workloads;
  readonly queue: WorkQueue<string>;
  private readonly staleQueue: WorkQueue<string>;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    // Upstream's disruption controller records as "controllermanager".
    this.recorder = ctx.recorder('controllermanager');
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.staleQueue = new WorkQueue({ clock: ctx.clock });
    this.pods = ctx.informers.informer(resources.pods);
    this.pdbs = ctx.informers.informer(resources.poddisruptionbudgets);
    addWorkloadIndexes(this.pods);
    addWorkloadIndexes(this.pdbs);
    this.workloads = {
      replicaSets: ctx.informers.informer(resources.replicasets),
      deployments: ctx.informers.informer(resources.deployments),
      statefulSets: ctx.informers.informer(resources.statefulsets),
    };
    this.pdbs.addHandler({ add: (p) => this.queue.add(keyOf(p)), update: (_o, p) => this.queue.add(keyOf(p)), delete: (p) => this.queue.add(keyOf(p)) });
    this.pods.addHandler({
      add: (p) => this.podChanged(p),
      // The old pod too: a pod whose labels changed may have left a budget.
      update: (o, p) => {
        this.podChanged(p);
        if (JSON.stringify(o['metadata'].labels) !== JSON.stringify(p['metadata'].labels)) this.enqueueBudgetsOf(o, false);
      },
      delete: (p) => this.enqueueBudgetsOf(p, false),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener(
      'abort',
      () => {
        this.queue.shutDown();
        this.staleQueue.shutDown();
      },
      { once: true },
    );
    const onError = (what: string) => (key: string, err: unknown, willRetry: boolean) => log.warn(`${what} failed`, { key, err, willRetry });
    await Promise.all([
      runWorkers(this.queue, 2, (k) => this.sync(k), onError('syncing PodDisruptionBudget')),
      runWorkers(this.staleQueue, 1, (k) => this.syncStalePodDisruption(k), onError('clearing a stale DisruptionTarget condition')),
    ]);
  }

  private podChanged(pod: Obj): void {
    this.enqueueBudgetsOf(pod, true);
    const after = this.staleDisruptionAfter(pod);
    if (after !== undefined) this.staleQueue.addAfter(keyOf(pod), after);
  }

  /** The budgets selecting a pod (upstream GetPodPodDisruptionBudgets; an empty selector selects all). */
  budgetsFor(pod: Obj): Obj[] {
    return inNamespace(this.pdbs, pod['metadata'].namespace).filter((pdb) => {
      try {
        return fromLabelSelector(pdb['spec']?.selector).matches(pod['metadata'].labels ?? {});
      } catch {
        return false;
      }
    });
  }

  private enqueueBudgetsOf(pod: Obj, warnMultiple: boolean): void {
    const pdbs = this.budgetsFor(pod);
    if (!pdbs.length) return;
    if (pdbs.length > 1 && warnMultiple) {
      const m = pod['metadata'];
      this.recorder.event(pod, 'Warning', 'MultiplePodDisruptionBudgets', `Pod "${m.namespace}"/"${m.name}" matches multiple PodDisruptionBudgets.  Chose "${pdbs[0]!['metadata'].name}" arbitrarily.`);
    }
    // Upstream syncs only the first; the others are kept right by their own events and rechecks.
    this.queue.add(keyOf(pdbs[0]!));
  }

  /** Recomputes one budget's status; on failure writes the fail-safe status. */
  async sync(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const pdb = this.pdbs.getByName(namespace, name);
    if (!pdb) return;
    try {
      return await this.trySync(pdb);
    } catch (e) {
      if (isApiError(e, 'Conflict')) throw e; // a newer budget is on its way; retry without failing safe
      await this.client.update(resources.poddisruptionbudgets, namespace, { ...pdb, status: failSafeStatus(pdb, e, this.clock.now()) }, { subresource: 'status' });
      throw e;
    }
  }

  private async trySync(pdb: Obj): Promise<ReconcileResult | void> {
    const ns: string = pdb['metadata'].namespace;
    let selector;
    try {
      selector = fromLabelSelector(pdb['spec']?.selector);
    } catch (e) {
      this.recorder.event(pdb, 'Warning', 'NoPods', `Failed to get pods: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
    const pods = inNamespace(this.pods, ns).filter((p) => selector.matches(p['metadata'].labels ?? {}));
    if (pods.length === 0) this.recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let counts;
    try {
      counts = expectedPodCount(pdb, pods, this.workloads);
    } catch (e) {
      this.recorder.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
    if (counts.unmanaged.length) {
      this.recorder.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${selector.toString()}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = this.clock.now();
    const { disrupted, recheckAt, overdue } = buildDisruptedPods(pods, pdb, now);
    for (const pod of overdue) {
      this.recorder.event(pod, 'Warning', 'NotDeleted', `Pod was expected by PDB ${ns}/${pdb['metadata'].name} to be deleted but it wasn't`);
    }
    const status = nextStatus(pdb, { currentHealthy: countHealthy(pods, disrupted, now), desiredHealthy: counts.desiredHealthy, expectedPods: counts.expected, disrupted }, now);
    if (status) await this.client.update(resources.poddisruptionbudgets, ns, { ...pdb, status }, { subresource: 'status' });
    // An evicted pod that is still there counts again once its deletion timeout passes.
    if (recheckAt !== undefined) return { requeueAfterMs: Math.max(0, recheckAt - now) };
  }

  /** When a pod's DisruptionTarget condition becomes stale; undefined if it has none that can. */
  private staleDisruptionAfter(pod: Obj): number | undefined {
    if (pod['metadata'].deletionTimestamp) return undefined;
    const phase = pod['status']?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return undefined;
    const c = getCondition(pod['status'], 'DisruptionTarget');
    // The kubelet's own disruption conditions may legitimately wait long before deletion.
    if (!c || c.status !== 'True' || c.reason === 'TerminationByKubelet') return undefined;
    return Math.max(0, stalePodDisruptionTimeoutMs - (this.clock.now() - parseTime(c.lastTransitionTime)));
  }

  private async syncStalePodDisruption(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.getByName(namespace, name);
    if (!pod) return;
    const after = this.staleDisruptionAfter(pod);
    if (after === undefined) return;
    if (after > 0) {
      this.staleQueue.addAfter(key, after);
      return;
    }
    const condition = { type: 'DisruptionTarget', status: 'False', reason: null, message: null, lastTransitionTime: timeString(this.clock.now()) };
    await this.client.patch(resources.pods, namespace, name, 'strategic', { metadata: { uid: pod['metadata'].uid }, status: { conditions: [condition] } }, { subresource: 'status' });
    log.info('reset a stale DisruptionTarget condition', { pod: key });
  }
}
