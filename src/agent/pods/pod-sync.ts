/**
 * The pod sync loop: level-based, one work-queue key per pod
 * (`namespace/name`), shared by every node an agent process hosts (one node
 * for `bramble agent`, thousands for `bramble sim`). A pod event or a
 * runtime container event queues the key; `reconcile` reads the pod from
 * the informer cache and the runtime's state, and makes them agree:
 *
 * - bound, not deleting: sandbox, then init containers in order, then the
 *   regular containers; restarts per restartPolicy with crash-loop
 *   back-off; the pod's status is patched only when it differs;
 * - deletionTimestamp set: Killing, stop, terminal status, then delete with
 *   gracePeriodSeconds 0 and a uid precondition (upstream kubelet);
 * - gone from the API: whatever still runs for it is removed.
 *
 * The last two are teardowns, and they do not hold a worker: a teardown
 * waits out grace periods and preStop hooks and then StopPodSandbox (CNI
 * DEL) and RemovePodSandbox, so with the few workers a whole node's pods
 * deleted together went through four at a time (~0.3 s a pod with a 1 s
 * grace). A worker hands the key to a pool of up to `teardowns` concurrent
 * teardowns instead, as the kubelet runs one pod worker per pod. The key
 * stays exclusive: while its teardown runs, reconciles of that key only
 * note that it changed, and it is queued again when the teardown ends.
 *
 * With `podsDir` (and `lookup`) the pod's volumes are set up before its
 * containers start, refreshed at each periodic re-sync and torn down once
 * its containers are gone (pod-volumes.ts); with `probes` its containers
 * are probed (pod-probes.ts). Both stay off for the simulator.
 *
 * The loop talks to the container runtime only through the Runtime seam.
 */
import { isApiError } from '../../api/errors.ts';
import { deepEqual } from '../../api/patch/json-value.ts';
import { realClock, type Clock } from '../../client/clock.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, resources, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import { runtimeConditionMet, type ContainerStatus, type Runtime, type SandboxStatus } from '../runtime/types.ts';
import { resolveEnv, EnvError, expand, mappingFor, type ObjectLookup } from '../env/index.ts';
import { FailureBackoff, RestartBackoff } from './backoff.ts';
import { ContainerConfigError, stopContainer, type ContainerTarget, type StartContext } from './containers.ts';
import { authFor, ImagePullBackoff } from './images.ts';
import { containerConfigFor, defaultDns, sandboxConfigFor, type DnsSettings } from './pod-config.ts';
import { runContainers } from './run-containers.ts';
import { PodProbes, type ProbeSettings } from './pod-probes.ts';
import { PodVolumes } from './pod-volumes.ts';
import { VolumeError, type PreparedVolumes } from '../volumes/index.ts';
import { generatePodStatus, statusPatch, type PodRuntimeState } from './pod-status.ts';

const log = logger('agent/pods');

/** Where the loop records events: an EventRecorder, or nothing. */
export type EventSink = Pick<EventRecorder, 'event'>;

/** What the sync loop needs to know about a node it runs pods for. */
export interface SyncNode {
  readonly name: string;
  readonly runtime: Runtime;
  /** Scheme of container ids (`fake://…`). */
  readonly runtimeName: string;
  /** Events with source {component: kubelet, host: <node>}. */
  readonly recorder: EventSink;
  /** The node's InternalIP: every pod's hostIP. */
  readonly hostIP: string;
}

export interface PodSyncOptions {
  client: Client;
  /** Pods bound to this process's nodes (extra pods are ignored). */
  pods: Informer;
  node(name: string): SyncNode | undefined;
  clock?: Clock;
  workers?: number;
  /** Every pod is re-synced this often even without events (the kubelet's syncFrequency: 1 minute). */
  resyncMs?: number;
  /**
   * Reads ConfigMaps, Secrets, Services and the Node for container
   * environments (env/envFrom references, service variables) and
   * imagePullSecrets. Absent: only literal `value` envs and anonymous pulls
   * (the simulator, which must not read the API per container).
   */
  lookup?: ObjectLookup;
  /** Cluster DNS for ClusterFirst pods; default 10.43.0.10, cluster.local, the host's /etc/resolv.conf. */
  dns?: Partial<DnsSettings>;
  /**
   * `<dataDir>/agent/pods`: where pod volumes live. With `lookup`, turns
   * volumes on (emptyDir, hostPath, configMap, secret, downwardAPI,
   * projected, PVCs). Absent: volumeMounts are ignored (the simulator).
   */
  podsDir?: string;
  /** Turns liveness/readiness/startup probes on. Absent: no probing; running containers are ready. */
  probes?: ProbeSettings;
  /**
   * Pods torn down at once (deleted pods stopping, leftovers of pods gone);
   * default 32. Most of a teardown is waiting (grace periods, hooks, the
   * runtime), so the bound is generous; it keeps a mass deletion from
   * putting hundreds of StopPodSandbox calls on the runtime together.
   */
  teardowns?: number;
}

const byNodeIndex = 'agent:nodeName';

export class PodSync {
  private readonly o: Required<Omit<PodSyncOptions, 'lookup' | 'dns' | 'podsDir' | 'probes'>> & Pick<PodSyncOptions, 'lookup'>;
  private readonly volumes?: PodVolumes;
  private readonly probes?: PodProbes;
  /** Pods queued by the periodic re-sync: their API data volumes are refreshed at that sync. */
  private readonly refreshDue = new Set<string>();
  private readonly dns: DnsSettings;
  private readonly queue: WorkQueue<string>;
  private readonly backoff: RestartBackoff;
  private readonly pulls: ImagePullBackoff;
  /** Failed sandbox and container creations, retried with back-off (FailedCreatePodSandBox, Failed). */
  private readonly failures: FailureBackoff;
  /** Pods this loop has run something for: key → uid and node, so a deleted pod can be cleaned up. */
  private readonly tracked = new Map<string, { uid: string; node: string }>();
  /** The last status written per pod, until the informer shows it (so a quick re-sync does not write it twice). */
  private readonly written = new Map<string, { rv: number; status: Obj }>();

  /** Teardowns running or waiting for a slot, by key: the key's reconciles wait for them. */
  private readonly teardowns = new Map<string, Promise<void>>();
  /** Keys queued while their teardown ran: queued again when it ends. */
  private readonly changedDuringTeardown = new Set<string>();
  private readonly teardownSlots: Slots;

  constructor(opts: PodSyncOptions) {
    this.o = { clock: realClock, workers: 4, teardowns: 32, ...opts, resyncMs: opts.resyncMs ?? 60_000 };
    this.teardownSlots = new Slots(this.o.teardowns);
    this.queue = new WorkQueue({ clock: this.o.clock });
    this.backoff = new RestartBackoff(this.o.clock);
    this.pulls = new ImagePullBackoff(this.o.clock);
    this.failures = new FailureBackoff(this.o.clock);
    this.dns = { ...defaultDns, ...opts.dns };
    if (opts.podsDir && opts.lookup) this.volumes = new PodVolumes({ podsDir: opts.podsDir, lookup: opts.lookup }, this.o.clock);
    if (opts.probes) this.probes = new PodProbes(opts.probes, this.o.clock, (k) => this.queue.add(k));
    const pods = this.o.pods;
    pods.addIndex(byNodeIndex, (p) => [p['spec']?.nodeName ?? '']);
    const mine = (p: Obj) => !!p['spec']?.nodeName && this.o.node(p['spec'].nodeName) !== undefined;
    pods.addHandler({
      add: (p) => mine(p) && this.queue.add(keyOf(p)),
      // A change to status alone (ours echoed back, or someone else's) waits for the periodic
      // re-sync, as the kubelet's status manager reconciles on its own schedule.
      update: (o, p) => {
        this.caughtUp(p);
        if (mine(p) && !statusOnly(o, p)) this.queue.add(keyOf(p));
      },
      delete: (p) => (mine(p) || this.tracked.has(keyOf(p))) && this.queue.add(keyOf(p)),
    });
  }

  /** Drops our copy of a written status once the cache holds that version or a newer one. */
  private caughtUp(p: Obj): void {
    const key = keyOf(p);
    const mine = this.written.get(key);
    if (mine && Number(p['metadata']?.resourceVersion) >= mine.rv) this.written.delete(key);
  }

  /** Follows a node's runtime: container exits re-sync their pod. Returns the unsubscribe function. */
  watchRuntime(node: SyncNode): () => void {
    return node.runtime.onContainerEvent((e) => this.queue.add(`${e.pod.namespace}/${e.pod.name}`));
  }

  /** Re-syncs every pod bound to the node (its network became ready). */
  resyncNode(name: string): void {
    for (const p of this.o.pods.byIndex(byNodeIndex, name)) this.queue.add(keyOf(p));
  }

  /** Runs the workers until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    this.resyncLoop(signal);
    await runWorkers(this.queue, this.o.workers, (k) => this.dispatch(k), (key, err, retry) =>
      log.warn('pod sync failed', { pod: key, err, retry }),
    );
    // As the workers finish their reconciles before they return, teardowns under way finish too.
    while (this.teardowns.size > 0) await Promise.all(this.teardowns.values());
    this.probes?.stop();
  }

  /**
   * A worker's turn for a key: a teardown goes to the teardown pool and the
   * worker moves on; anything else is reconciled here.
   */
  private async dispatch(key: string): Promise<ReconcileResult | void> {
    if (this.teardowns.has(key)) {
      this.changedDuringTeardown.add(key);
      return;
    }
    if (!this.needsTeardown(key)) return this.reconcile(key);
    const run = this.teardownSlots
      .run(() => this.reconcile(key))
      .then(
        (res) => {
          this.queue.forget(key);
          if (res?.requeueAfterMs !== undefined) this.queue.addAfter(key, res.requeueAfterMs);
        },
        (err) => {
          log.warn('pod teardown failed', { pod: key, err, retry: true });
          this.queue.addRateLimited(key);
        },
      )
      .finally(() => {
        this.teardowns.delete(key);
        if (this.changedDuringTeardown.delete(key)) this.queue.add(key);
      });
    this.teardowns.set(key, run);
  }

  /** Whether reconciling the key would tear a pod down: deleting, or gone (or replaced) while we ran something for it. */
  private needsTeardown(key: string): boolean {
    const pod = this.o.pods.get(key);
    const tracked = this.tracked.get(key);
    if (tracked && (!pod || pod['metadata']?.uid !== tracked.uid)) return true;
    return !!pod?.['metadata']?.deletionTimestamp && this.o.node(pod['spec']?.nodeName ?? '') !== undefined;
  }

  /** Re-queues a slice of the pods every second, so each comes round once per `resyncMs`. */
  private resyncLoop(signal: AbortSignal): void {
    const tickMs = 1_000;
    let batch: string[] = [];
    let share = 0;
    let nextRound = 0;
    const tick = () => {
      if (signal.aborted) return;
      // A new round only once `resyncMs` has passed since the last began (with few pods a round ends early).
      if (batch.length === 0 && this.o.clock.now() >= nextRound) {
        nextRound = this.o.clock.now() + this.o.resyncMs;
        batch = [...this.tracked.keys()];
        share = Math.max(1, Math.ceil((batch.length * tickMs) / this.o.resyncMs));
      }
      for (const k of batch.splice(0, share)) {
        if (this.volumes) this.refreshDue.add(k);
        this.queue.add(k);
      }
      this.o.clock.setTimeout(tick, tickMs);
    };
    this.o.clock.setTimeout(tick, tickMs);
  }

  /** Queued keys (progress output). */
  get pending(): number {
    return this.queue.len();
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const pod = this.o.pods.get(key);
    const tracked = this.tracked.get(key);
    if (tracked && (!pod || pod['metadata']?.uid !== tracked.uid)) {
      // Deleted (or replaced by a new pod of the same name) without us: remove what still runs.
      const node = this.o.node(tracked.node);
      this.probes?.remove(tracked.uid);
      if (node) await this.removeSandboxes(node, tracked.uid);
      await this.volumes?.cleanup(tracked.uid);
      this.forget(key, tracked.uid);
    }
    if (!pod) return;
    const node = this.o.node(pod['spec']?.nodeName ?? '');
    if (!node) return;
    const uid = pod['metadata'].uid as string;
    if (pod['metadata'].deletionTimestamp) return this.terminate(key, pod, node);
    const phase = pod['status']?.phase;
    // Tracked even when finished: a terminal pod is deleted at once by the API server (no grace), and its sandbox must go then.
    this.tracked.set(key, { uid, node: node.name });
    if (phase === 'Succeeded' || phase === 'Failed') {
      // Finished: nothing may run, but its record stays until the pod is deleted.
      for (const s of await node.runtime.listPodSandboxes({ podUid: uid, state: 'ready' })) await node.runtime.stopPodSandbox(s.id);
      // Its containers are stopped: probes end and volumes are released, as the kubelet does for terminated pods.
      this.probes?.remove(uid);
      await this.volumes?.cleanup(uid);
      return;
    }
    this.tracked.set(key, { uid, node: node.name });
    return this.sync(key, pod, node, this.refreshDue.delete(key));
  }

  private async sync(key: string, pod: Obj, node: SyncNode, refresh: boolean): Promise<ReconcileResult | void> {
    const rt = node.runtime;
    const uid = pod['metadata'].uid as string;
    const sandboxes = await rt.listPodSandboxes({ podUid: uid });
    let sandbox = newest(sandboxes.filter((s) => s.state === 'ready'));
    let volumes: PreparedVolumes | undefined;
    if (this.volumes) {
      // Volumes before anything runs (the kubelet's WaitForAttachAndMount): a failure leaves the pod in ContainerCreating.
      const v = await this.volumes.ensure(pod, node.recorder, refresh);
      if (!('prepared' in v)) {
        await this.writeStatus(key, pod, node, { sandbox, containers: sandbox ? await rt.listContainers({ sandboxId: sandbox.id }) : [], probes: this.probes?.view(uid) }, false);
        return { requeueAfterMs: v.retryMs };
      }
      volumes = v.prepared;
    }
    if (!sandbox) {
      if (pod['spec']?.hostNetwork !== true && !runtimeConditionMet(await rt.status(), 'NetworkReady')) {
        // Wait for the node's pod CIDR; resyncNode() brings us back. Meanwhile say so in status.
        await this.writeStatus(key, pod, node, { containers: [] }, false);
        return;
      }
      for (const s of sandboxes) await rt.removePodSandbox(s.id);
      // A sandbox that could not be created: a FailedCreatePodSandBox warning, the pod stays in
      // ContainerCreating, and the next attempt waits out a back-off (an early sync only re-reports).
      const blocked = this.failures.blocked(uid, 'sandbox');
      if (blocked) {
        await this.writeStatus(key, pod, node, { containers: [], probes: this.probes?.view(uid) }, false);
        return { requeueAfterMs: blocked.ms };
      }
      let id: string;
      try {
        id = await rt.runPodSandbox(sandboxConfigFor(pod, sandboxes.length, this.dns));
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        node.recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${message}`);
        const retryMs = this.failures.failed(uid, 'sandbox', 'FailedCreatePodSandBox', message);
        log.warn('cannot create pod sandbox', { pod: key, err: e, retryMs });
        await this.writeStatus(key, pod, node, { containers: [], probes: this.probes?.view(uid) }, false);
        return { requeueAfterMs: retryMs };
      }
      this.failures.succeeded(uid, 'sandbox');
      sandbox = (await rt.listPodSandboxes({ podUid: uid })).find((s) => s.id === id);
      if (!sandbox) throw new Error(`sandbox ${id} vanished`);
    }
    if (this.probes) await this.restartUnhealthy(pod, node, sandbox.id);
    const { containers, waits, waiting, requeueMs } = await runContainers(this.startContext(node, sandbox, volumes), this.backoff, pod, sandbox.id);
    const podIP = pod['spec']?.hostNetwork === true ? node.hostIP : (sandbox.ips[0] ?? '');
    this.probes?.sync(key, pod, node, podIP, containers);
    const status = await this.writeStatus(key, pod, node, { sandbox, containers, backoff: waits, waiting, probes: this.probes?.view(uid) }, false);
    if (status['phase'] === 'Succeeded' || status['phase'] === 'Failed') {
      // A finished pod's sandbox (and its IP) is released at once, as the kubelet does.
      await rt.stopPodSandbox(sandbox.id);
    }
    return requeueMs !== undefined ? { requeueAfterMs: requeueMs } : undefined;
  }

  /**
   * Stops the containers whose liveness or startup probe failed; the
   * restart that follows is the ordinary one (restartPolicy, crash-loop
   * back-off, restartCount), as upstream.
   */
  private async restartUnhealthy(pod: Obj, node: SyncNode, sandboxId: string): Promise<void> {
    const uid = pod['metadata'].uid as string;
    const containers = await node.runtime.listContainers({ sandboxId });
    const due = this.probes!.takeRestarts(uid, containers);
    await Promise.all(due.map(async (r) => {
      const c = containers.find((x) => x.id === r.containerId)!;
      const spec = ((pod['spec']?.containers ?? []) as Obj[]).find((s) => s['name'] === r.name);
      // A probe's own terminationGracePeriodSeconds wins over the pod's (upstream since 1.25).
      const grace = spec?.[`${r.kind}Probe`]?.terminationGracePeriodSeconds ?? pod['spec']?.terminationGracePeriodSeconds ?? 30;
      await stopContainer(node.runtime, node.recorder, pod, c, grace, r.message);
    }));
  }

  /** Stops everything of a deleted pod, posts its terminal status, then completes the deletion. */
  private async terminate(key: string, pod: Obj, node: SyncNode): Promise<void> {
    const m = pod['metadata'];
    const uid = m.uid as string;
    const rt = node.runtime;
    const grace = m.deletionGracePeriodSeconds ?? pod['spec']?.terminationGracePeriodSeconds ?? 30;
    this.probes?.remove(uid);
    const sandboxes = await rt.listPodSandboxes({ podUid: uid });
    const containers = await rt.listContainers({ podUid: uid });
    // In parallel, as the kubelet kills a pod's containers: each gets the whole grace period.
    await Promise.all(containers.filter((c) => c.state === 'running' || c.state === 'created').map((c) => stopContainer(rt, node.recorder, pod, c, grace)));
    for (const s of sandboxes) await rt.stopPodSandbox(s.id);
    const phase = pod['status']?.phase;
    if (phase !== 'Succeeded' && phase !== 'Failed' && sandboxes.length > 0) {
      // Since 1.27 the kubelet posts a terminal phase before it lets a pod go (Jobs count on it).
      const after = await rt.listContainers({ podUid: uid });
      await this.writeStatus(key, pod, node, { sandbox: newest(sandboxes), containers: after }, true);
    }
    try {
      await this.o.client.delete(resources.pods, m.namespace, m.name, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (e) {
      // Gone already, or a new pod took the name: either way this one is finished.
      if (!isApiError(e, 'NotFound') && !isApiError(e, 'Conflict')) throw e;
    }
    for (const s of sandboxes) await rt.removePodSandbox(s.id);
    await this.volumes?.cleanup(uid);
    this.forget(key, uid);
  }

  /** Computes the pod's status and patches what differs; returns the computed status. */
  private async writeStatus(key: string, pod: Obj, node: SyncNode, state: PodRuntimeState, terminal: boolean): Promise<Obj> {
    const status = generatePodStatus(pod, state, { runtimeName: node.runtimeName, hostIP: node.hostIP, now: this.o.clock.now(), terminal });
    const rv = Number(pod['metadata'].resourceVersion);
    const mine = this.written.get(key);
    // Compare with what we last wrote if the cache has not caught up with it yet.
    const base = mine && mine.rv > rv ? mine.status : pod['status'];
    if (mine && mine.rv <= rv) this.written.delete(key);
    const patch = statusPatch(base, status);
    if (!patch) return status;
    try {
      const updated = await this.o.client.patch(resources.pods, pod['metadata'].namespace, pod['metadata'].name, 'strategic', { metadata: { uid: pod['metadata'].uid }, status: patch }, { subresource: 'status' });
      this.written.set(key, { rv: Number(updated['metadata']?.resourceVersion), status: updated['status'] ?? {} });
    } catch (e) {
      if (!isApiError(e, 'NotFound') && !isApiError(e, 'Conflict')) throw e;
    }
    return status;
  }

  /** What starting a pod's containers needs: pulls with its secrets, configs with its environment. */
  private startContext(node: SyncNode, sandbox: SandboxStatus, volumes: PreparedVolumes | undefined): StartContext {
    const lookup = this.o.lookup;
    return {
      runtime: node.runtime,
      recorder: node.recorder,
      pulls: this.pulls,
      failures: this.failures,
      auth: async (pod, image) => {
        const refs = (pod['spec']?.imagePullSecrets ?? []) as Obj[];
        if (!lookup || refs.length === 0) return undefined;
        const secrets: Obj[] = [];
        for (const r of refs) {
          const s = await lookup.secret(pod['metadata'].namespace, r['name']).catch(() => undefined);
          if (s) secrets.push(s);
        }
        return authFor(String(image), secrets);
      },
      configFor: (t: ContainerTarget) => this.containerConfig(t, node, sandbox, lookup, volumes),
    };
  }

  private async containerConfig(t: ContainerTarget, node: SyncNode, sandbox: SandboxStatus, lookup: ObjectLookup | undefined, volumes: PreparedVolumes | undefined) {
    if (!lookup) {
      const env = ((t.spec['env'] ?? []) as Obj[]).filter((e) => e['valueFrom'] === undefined).map((e) => ({ name: e['name'] as string, value: String(e['value'] ?? '') }));
      return containerConfigFor(t.pod, t.spec, t.init, t.attempt, { env });
    }
    const podIPs = t.pod['spec']?.hostNetwork === true ? [node.hostIP] : sandbox.ips;
    let resolved;
    try {
      resolved = await resolveEnv(t.pod, t.spec, lookup, { podIPs, hostIPs: [node.hostIP] });
    } catch (e) {
      if (e instanceof EnvError) throw new ContainerConfigError(e.message, { cause: e });
      throw e;
    }
    for (const w of resolved.warnings) node.recorder.event(t.pod, 'Warning', w.reason, w.message);
    const vars = new Map(resolved.env.map((e) => [e.name, e.value]));
    let mounts;
    if (volumes && this.volumes) {
      try {
        mounts = this.volumes.mounts(t.spec, volumes, resolved.env);
      } catch (e) {
        // A bad subPath is the container's problem, not the pod's: CreateContainerConfigError, as upstream.
        if (e instanceof VolumeError) throw new ContainerConfigError(e.message, { cause: e });
        throw e;
      }
    }
    return containerConfigFor(t.pod, t.spec, t.init, t.attempt, { env: resolved.env, mounts, expand: (s) => expand(s, mappingFor(vars)) });
  }

  private async removeSandboxes(node: SyncNode, uid: string): Promise<void> {
    for (const s of await node.runtime.listPodSandboxes({ podUid: uid })) await node.runtime.removePodSandbox(s.id);
  }

  private forget(key: string, uid: string): void {
    this.tracked.delete(key);
    this.written.delete(key);
    this.backoff.forget(uid);
    this.pulls.forget(uid);
    this.failures.forget(uid);
    this.refreshDue.delete(key);
    this.probes?.remove(uid);
    this.volumes?.forget(uid);
  }
}

/** Only the status changed (uid, deletion, spec and annotations as they were). */
function statusOnly(old: Obj, cur: Obj): boolean {
  const a = old['metadata'] ?? {};
  const b = cur['metadata'] ?? {};
  return a.uid === b.uid && a.deletionTimestamp === b.deletionTimestamp && deepEqual(old['spec'], cur['spec']) && deepEqual(a.annotations, b.annotations);
}

/** At most `n` tasks at a time; the rest wait in order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = Math.max(1, n);
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

function newest(s: SandboxStatus[]): SandboxStatus | undefined {
  return s.reduce<SandboxStatus | undefined>((a, b) => (!a || b.createdAt > a.createdAt || (b.createdAt === a.createdAt && b.metadata.attempt > a.metadata.attempt) ? b : a), undefined);
}

