/**
 * ProbeManager: liveness, readiness and startup probes per container, run
 * the way the kubelet 1.32's probe workers run them.
 *
 *   const pm = new ProbeManager({ exec, onResult, onEvent, clock });
 *   pm.syncPod(pod, podIP, [{ name, containerId, running, startedAt }, …]);  // each pod sync
 *   pm.ready(podUid, name); pm.started(podUid, name);                        // for container statuses
 *   pm.removePod(podUid);                                                    // pod gone
 *   pm.stop();
 *
 * Rules:
 * - each probe runs every periodSeconds (first attempt at once), but not
 *   before initialDelaySeconds after the container started, and never two
 *   at a time;
 * - liveness and readiness wait until the startup probe (if any) succeeds;
 *   once it has, the startup probe stops;
 * - a result flips only after successThreshold successes or
 *   failureThreshold failures in a row; `unknown` (the probe could not run)
 *   is discarded;
 * - initial results: readiness failure (not ready until a success),
 *   liveness success, startup not started;
 * - a liveness or startup failure is reported once (`onResult`, the sync
 *   loop restarts the container) and that worker holds until the container
 *   id changes; a new id resets every worker of the container;
 * - every failed attempt yields an `Unhealthy` event (`Liveness probe
 *   failed: …`), probe errors `Liveness probe errored: …`, redirect
 *   warnings a `ProbeWarning`.
 * - a container that is not running is not ready; readiness probes stop
 *   for a pod being deleted (it reports not ready).
 */
import type { Obj } from '../../client/types.ts';
import { realClock } from '../../client/clock.ts';
import type { Clock } from '../../client/clock.ts';
import { logger } from '../../util/log.ts';
import { runProbe } from './run.ts';
import type { ContainerProbeState, ExecResult, ProbeKind, ProbeResultHandler, ProbeTarget } from './types.ts';

const log = logger('probes');

const kinds: ProbeKind[] = ['startup', 'liveness', 'readiness'];
const title: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/** The Killing event text the sync loop uses when a probe failure restarts a container. */
export function probeKillMessage(containerName: string, kind: 'liveness' | 'startup'): string {
  return `Container ${containerName} failed ${kind} probe, will be restarted`;
}

export interface ProbeManagerOptions {
  /** Runs a command in a container (CRI ExecSync). */
  exec(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult>;
  /** Thresholded result changes. */
  onResult: ProbeResultHandler;
  /** Events for the pod's container: reason `Unhealthy` or `ProbeWarning` (type Warning). */
  onEvent?(podUid: string, containerName: string, kind: ProbeKind, reason: 'Unhealthy' | 'ProbeWarning', message: string): void;
  clock?: Clock;
  /** How httpGet probes reach the pod network (see ProbeTarget.connect); absent: directly. */
  connect?: ProbeTarget['connect'];
}

interface Worker {
  kind: ProbeKind;
  spec: Obj;
  containerId: string;
  /** The reported (thresholded) result. */
  result: 'success' | 'failure' | 'unknown';
  lastRaw: 'success' | 'failure' | undefined;
  run: number;
  onHold: boolean;
  busy: boolean;
  timer: unknown;
}

interface PodEntry {
  pod: Obj;
  podIP: string;
  containers: Map<string, ContainerProbeState>;
  /** `<container>/<kind>` → worker */
  workers: Map<string, Worker>;
}

function specOf(container: Obj, kind: ProbeKind): Obj | undefined {
  return container[`${kind}Probe`];
}

export class ProbeManager {
  private readonly opts: ProbeManagerOptions;
  private readonly clock: Clock;
  private readonly pods = new Map<string, PodEntry>();
  private stopped = false;

  constructor(opts: ProbeManagerOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
  }

  /**
   * Tells the manager the pod's current spec, IP and container states.
   * Starts workers for new probed containers, resets them on a new
   * container id, stops those whose container left the spec.
   */
  syncPod(pod: Obj, podIP: string, containers: ContainerProbeState[]): void {
    if (this.stopped) return;
    const uid: string = pod.metadata.uid;
    let entry = this.pods.get(uid);
    if (!entry) {
      entry = { pod, podIP, containers: new Map(), workers: new Map() };
      this.pods.set(uid, entry);
    }
    entry.pod = pod;
    entry.podIP = podIP;
    entry.containers = new Map(containers.map((c) => [c.name, c]));
    const specs = new Map<string, Obj>(((pod.spec?.containers ?? []) as Obj[]).map((c) => [c.name, c]));
    // Sidecars (restartable init containers) are probed too, as upstream.
    for (const c of (pod.spec?.initContainers ?? []) as Obj[]) if (c.restartPolicy === 'Always') specs.set(c.name, c);

    const wanted = new Set<string>();
    for (const [name, c] of specs) {
      for (const kind of kinds) {
        const spec = specOf(c, kind);
        if (!spec) continue;
        const key = `${name}/${kind}`;
        wanted.add(key);
        let w = entry.workers.get(key);
        if (!w) {
          w = { kind, spec, containerId: '', result: this.initial(kind), lastRaw: undefined, run: 0, onHold: false, busy: false, timer: undefined };
          entry.workers.set(key, w);
          this.schedule(uid, name, w, 0);
        }
        w.spec = spec;
        const state = entry.containers.get(name);
        if (state && state.containerId && state.containerId !== w.containerId) {
          // A new container: start over from the initial result.
          const wasReady = w.result === 'success';
          w.containerId = state.containerId;
          w.result = this.initial(kind);
          w.lastRaw = undefined;
          w.run = 0;
          w.onHold = false;
          if (kind === 'readiness' && wasReady) this.opts.onResult(uid, name, kind, 'failure', '');
        }
        if (kind === 'readiness' && state && !state.running && w.result === 'success') {
          w.result = 'failure';
          this.opts.onResult(uid, name, kind, 'failure', '');
        }
        // Not ready yet but running: probe now rather than a period later (upstream's manual trigger).
        if (kind === 'readiness' && state?.running && w.result !== 'success') this.fire(uid, name, w, entry);
      }
    }
    for (const [key, w] of entry.workers) {
      if (!wanted.has(key)) {
        this.clock.clearTimeout(w.timer);
        entry.workers.delete(key);
      }
    }
  }

  /** The readiness probe says ready. Containers without a readiness probe: true. */
  ready(podUid: string, containerName: string): boolean {
    const w = this.pods.get(podUid)?.workers.get(`${containerName}/readiness`);
    return w ? w.result === 'success' : true;
  }

  /** The startup probe has succeeded. Containers without one: true. */
  started(podUid: string, containerName: string): boolean {
    const w = this.pods.get(podUid)?.workers.get(`${containerName}/startup`);
    return w ? w.result === 'success' : true;
  }

  removePod(podUid: string): void {
    const entry = this.pods.get(podUid);
    if (!entry) return;
    for (const w of entry.workers.values()) this.clock.clearTimeout(w.timer);
    this.pods.delete(podUid);
  }

  stop(): void {
    this.stopped = true;
    for (const uid of [...this.pods.keys()]) this.removePod(uid);
  }

  private initial(kind: ProbeKind): Worker['result'] {
    return kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown';
  }

  private schedule(uid: string, name: string, w: Worker, delayMs: number): void {
    w.timer = this.clock.setTimeout(() => {
      const entry = this.pods.get(uid);
      if (this.stopped || !entry || entry.workers.get(`${name}/${w.kind}`) !== w) return;
      this.schedule(uid, name, w, (w.spec.periodSeconds || 10) * 1000);
      this.fire(uid, name, w, entry);
    }, delayMs);
  }

  /** One attempt unless one is already running (ticks during a slow probe are dropped). */
  private fire(uid: string, name: string, w: Worker, entry: PodEntry): void {
    if (w.busy) return;
    w.busy = true;
    this.attempt(uid, name, w, entry)
      .catch((e) => log.warn('probe worker failed', { pod: uid, container: name, kind: w.kind, err: e }))
      .finally(() => {
        w.busy = false;
      });
  }

  private async attempt(uid: string, name: string, w: Worker, entry: PodEntry): Promise<void> {
    const state = entry.containers.get(name);
    if (!state || !state.running || !state.containerId || state.containerId !== w.containerId) return;
    if (w.onHold) return;
    if (w.kind === 'readiness' && entry.pod.metadata?.deletionTimestamp) return;
    if (w.kind === 'startup' && w.result === 'success') return;
    if (w.kind !== 'startup' && !this.started(uid, name)) return;
    if (this.clock.now() - state.startedAt < (w.spec.initialDelaySeconds ?? 0) * 1000) return;

    const containerSpec = [...((entry.pod.spec?.containers ?? []) as Obj[]), ...((entry.pod.spec?.initContainers ?? []) as Obj[])].find((c) => c.name === name);
    const containerId = state.containerId;
    const r = await runProbe(w.spec, {
      podIP: entry.podIP,
      ports: containerSpec?.ports,
      exec: (cmd, timeout) => this.opts.exec(containerId, cmd, timeout),
      connect: this.opts.connect,
    });
    // The world may have moved on while the probe ran.
    if (this.pods.get(uid) !== entry || entry.workers.get(`${name}/${w.kind}`) !== w || w.containerId !== containerId) return;

    if (r.result === 'unknown') {
      this.opts.onEvent?.(uid, name, w.kind, 'Unhealthy', `${title[w.kind]} probe errored: ${r.output}`);
      return;
    }
    if (r.result === 'failure') this.opts.onEvent?.(uid, name, w.kind, 'Unhealthy', `${title[w.kind]} probe failed: ${r.output}`);
    else if (r.warning) this.opts.onEvent?.(uid, name, w.kind, 'ProbeWarning', `${title[w.kind]} probe warning: ${r.output}`);

    if (w.lastRaw === r.result) w.run++;
    else {
      w.lastRaw = r.result;
      w.run = 1;
    }
    const threshold = r.result === 'failure' ? w.spec.failureThreshold || 3 : w.spec.successThreshold || 1;
    if (w.run < threshold) return;
    if (w.result !== r.result) {
      w.result = r.result;
      this.opts.onResult(uid, name, w.kind, r.result, r.result === 'failure' ? `${title[w.kind]} probe failed: ${r.output}` : '');
    }
    if (r.result === 'failure' && w.kind !== 'readiness') {
      // The container is about to be restarted; wait for its successor.
      w.onHold = true;
      w.run = 0;
    }
  }
}
