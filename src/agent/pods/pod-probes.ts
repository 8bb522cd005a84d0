/**
 * The pod sync loop's side of probes (src/agent/probes runs them): one
 * ProbeManager for the loop, told each pod's containers at every sync.
 * Its results come back here:
 * - readiness changes re-sync the pod, whose status then takes each
 *   container's `ready` from the manager (Ready / ContainersReady follow);
 * - a liveness or startup failure marks that container instance for a
 *   restart, which the next sync carries out (Killing "… failed liveness
 *   probe, will be restarted", then the ordinary restart with its
 *   crash-loop back-off, as the kubelet does);
 * - every failed attempt is an `Unhealthy` warning on the container.
 * Exec probes run through the runtime's ExecSync.
 */
import type { Duplex } from 'node:stream';
import type { Clock } from '../../client/clock.ts';
import type { Obj } from '../../client/types.ts';
import { ProbeManager, probeKillMessage, type ExecResult, type ProbeKind } from '../probes/index.ts';
import { RuntimeError, type ContainerStatus, type Runtime } from '../runtime/types.ts';
import { fieldPathOf, findSpec } from './containers.ts';
import type { SyncNode } from './pod-sync.ts';

export interface ProbeSettings {
  /** How httpGet probes reach pod IPs; absent: directly (the agent is on the node's network). */
  connect?(host: string, port: number): Duplex;
}

/** A container instance a probe says must be restarted. */
export interface ProbeRestart {
  name: string;
  containerId: string;
  kind: 'liveness' | 'startup';
  /** The Killing event text. */
  message: string;
}

interface Tracked {
  key: string;
  pod: Obj;
  node: SyncNode;
  /** Container ids of this pod told to the manager, by name. */
  ids: Map<string, string>;
}

export class PodProbes {
  private readonly manager: ProbeManager;
  private readonly requeue: (key: string) => void;
  private readonly pods = new Map<string, Tracked>();
  /** Which runtime runs a container, for exec probes. */
  private readonly runtimes = new Map<string, Runtime>();
  /** uid → container name → the instance to restart. */
  private readonly restarts = new Map<string, Map<string, ProbeRestart>>();

  constructor(settings: ProbeSettings, clock: Clock, requeue: (key: string) => void) {
    this.requeue = requeue;
    this.manager = new ProbeManager({
      clock,
      connect: settings.connect,
      exec: (id, cmd, timeout) => this.exec(id, cmd, timeout),
      onResult: (uid, name, kind, result) => this.onResult(uid, name, kind, result),
      onEvent: (uid, name, _kind, reason, message) => {
        const t = this.pods.get(uid);
        if (!t) return;
        const found = findSpec(t.pod, name);
        t.node.recorder.event(t.pod, 'Warning', reason, message, found ? { fieldPath: fieldPathOf(found.spec, found.init) } : undefined);
      },
    });
  }

  private async exec(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult> {
    const rt = this.runtimes.get(id);
    if (!rt) throw new Error(`container ${id} is not known to the prober`);
    try {
      const r = await rt.execSync(id, cmd, timeoutSeconds);
      return { exitCode: r.exitCode, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
    } catch (e) {
      if (e instanceof RuntimeError && e.code === 'DeadlineExceeded') return { exitCode: -1, stdout: '', stderr: '', timedOut: true };
      throw e;
    }
  }

  private onResult(uid: string, name: string, kind: ProbeKind, result: 'success' | 'failure'): void {
    const t = this.pods.get(uid);
    if (!t) return;
    if (kind !== 'readiness' && result === 'failure') {
      const containerId = t.ids.get(name);
      if (!containerId) return;
      let m = this.restarts.get(uid);
      if (!m) this.restarts.set(uid, (m = new Map()));
      m.set(name, { name, containerId, kind, message: probeKillMessage(name, kind) });
    }
    // Readiness moved (status changes) or a restart is due: either way the pod syncs now.
    this.requeue(t.key);
  }

  /**
   * The restarts due for the pod's current containers. Each is handed out
   * once; one for an instance that is already gone is dropped.
   */
  takeRestarts(uid: string, containers: ContainerStatus[]): ProbeRestart[] {
    const m = this.restarts.get(uid);
    if (!m) return [];
    this.restarts.delete(uid);
    return [...m.values()].filter((r) => containers.some((c) => c.id === r.containerId && c.state === 'running'));
  }

  /** Tells the manager the pod's current containers (newest instance of each name). */
  sync(key: string, pod: Obj, node: SyncNode, podIP: string, containers: ContainerStatus[]): void {
    const uid = pod['metadata'].uid as string;
    const latest = new Map<string, ContainerStatus>();
    for (const c of containers) {
      const cur = latest.get(c.metadata.name);
      if (!cur || c.metadata.attempt > cur.metadata.attempt || (c.metadata.attempt === cur.metadata.attempt && c.createdAt > cur.createdAt)) latest.set(c.metadata.name, c);
    }
    const old = this.pods.get(uid);
    for (const id of old?.ids.values() ?? []) this.runtimes.delete(id);
    const ids = new Map<string, string>();
    for (const [name, c] of latest) {
      ids.set(name, c.id);
      this.runtimes.set(c.id, node.runtime);
    }
    this.pods.set(uid, { key, pod, node, ids });
    this.manager.syncPod(pod, podIP, [...latest.values()].map((c) => ({ name: c.metadata.name, containerId: c.id, running: c.state === 'running', startedAt: c.startedAt })));
  }

  /** Readiness and startup as the probes see them, for the pod's status. */
  view(uid: string): { ready(name: string): boolean; started(name: string): boolean } {
    return { ready: (n) => this.manager.ready(uid, n), started: (n) => this.manager.started(uid, n) };
  }

  /** Stops probing the pod (deleted, finished, or gone). */
  remove(uid: string): void {
    this.manager.removePod(uid);
    const t = this.pods.get(uid);
    for (const id of t?.ids.values() ?? []) this.runtimes.delete(id);
    this.pods.delete(uid);
    this.restarts.delete(uid);
  }

  stop(): void {
    this.manager.stop();
  }
}
