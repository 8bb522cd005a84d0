/**
 * The `fake` runtime: sandboxes and containers that exist only in memory,
 * for simulated nodes (control-plane scale tests, `bramble sim`). It keeps
 * the CRI's state machine (created → running → exited; sandboxes ready →
 * notready), allocates pod IPs from the node's pod CIDR like CNI's
 * host-local IPAM, and reports container exits as events, so the pod sync
 * loop drives it exactly as it will drive containerd. Containers do nothing;
 * how long they run and how they exit is set per pod (behaviour.ts).
 *
 * Every image is present (an air-gapped node with everything side-loaded);
 * image ids are derived from the name, so they are stable across restarts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { realClock, type Clock } from '../../../client/clock.ts';
import { normalizeImage, repositoryOf } from '../image-ref.ts';
import {
  RuntimeError,
  type ContainerConfig,
  type ContainerEvent,
  type ContainerStatus,
  type ExecResult,
  type ImageRef,
  type Runtime,
  type RuntimeStatus,
  type RuntimeVersion,
  type SandboxConfig,
  type SandboxState,
  type SandboxStatus,
} from '../types.ts';
import { behaviourOf, exitReason, type FakeBehaviour } from './behaviour.ts';
import { IpPool } from './ip-pool.ts';

export interface FakeRuntimeOptions {
  clock?: Clock;
  /** How long `startContainer` takes (a slow image or process start); default 0. */
  startDelayMs?: number;
  /** Reported as the runtime version (nodeInfo.containerRuntimeVersion is `fake://<version>`). */
  version?: string;
}

interface Sandbox {
  status: SandboxStatus;
  behaviour: FakeBehaviour;
  containers: Set<string>;
}

interface Container {
  status: ContainerStatus;
  init: boolean;
  /** Pending self-exit (fake-run-seconds). */
  timer?: unknown;
}

const imageRefs = new Map<string, string>();

/** A stable, fake repo digest for an image name: `fake://docker.io/library/nginx@sha256:…`. */
export function fakeImageRef(image: string): string {
  const normalized = normalizeImage(image);
  let ref = imageRefs.get(normalized);
  if (!ref) {
    const digest = createHash('sha256').update(normalized).digest('hex');
    ref = `fake://${repositoryOf(normalized)}@sha256:${digest}`;
    imageRefs.set(normalized, ref);
  }
  return ref;
}

const newId = () => randomBytes(32).toString('hex');

export class FakeRuntime implements Runtime {
  private readonly clock: Clock;
  private readonly startDelayMs: number;
  private readonly ver: string;
  private pool?: IpPool;
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly containers = new Map<string, Container>();
  private readonly handlers = new Set<(e: ContainerEvent) => void>();

  constructor(opts: FakeRuntimeOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.startDelayMs = opts.startDelayMs ?? 0;
    this.ver = opts.version ?? '0.1.0';
  }

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'fake', runtimeVersion: this.ver };
  }

  async status(): Promise<RuntimeStatus> {
    return {
      conditions: [
        { type: 'RuntimeReady', status: true, reason: '', message: '' },
        this.pool
          ? { type: 'NetworkReady', status: true, reason: '', message: '' }
          : { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: no pod CIDR yet' },
      ],
    };
  }

  async updateRuntimeConfig(cfg: { podCIDR: string }): Promise<void> {
    if (this.pool?.cidr === cfg.podCIDR) return;
    const pool = new IpPool(cfg.podCIDR);
    // Addresses of live sandboxes stay taken whatever range they came from.
    for (const s of this.sandboxes.values()) for (const ip of s.status.ips) if (s.status.state === 'ready') pool.reserve(ip);
    this.pool = pool;
  }

  /** The pod CIDR in use, if any (for logs and tests). */
  get podCIDR(): string | undefined {
    return this.pool?.cidr;
  }

  async imageStatus(image: string): Promise<ImageRef | undefined> {
    return { ref: fakeImageRef(image) };
  }

  async pullImage(image: string): Promise<ImageRef> {
    return { ref: fakeImageRef(image) };
  }

  async runPodSandbox(cfg: SandboxConfig): Promise<string> {
    let ips: string[] = [];
    if (!cfg.hostNetwork) {
      if (!this.pool) throw new RuntimeError('FailedPrecondition', 'network not ready: the node has no pod CIDR yet');
      ips = [this.pool.allocate()];
    }
    const id = newId();
    this.sandboxes.set(id, {
      status: { id, metadata: { ...cfg.metadata }, state: 'ready', createdAt: this.clock.now(), ips, annotations: { ...cfg.annotations } },
      behaviour: behaviourOf(cfg.annotations),
      containers: new Set(),
    });
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s || s.status.state === 'notready') return;
    // As the CRI's StopPodSandbox: anything still running is killed.
    for (const cid of s.containers) this.exit(cid, 137, 'Error');
    s.status.state = 'notready';
    for (const ip of s.status.ips) this.pool?.release(ip);
  }

  async removePodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    await this.stopPodSandbox(id);
    for (const cid of [...s.containers]) await this.removeContainer(cid);
    this.sandboxes.delete(id);
  }

  async listPodSandboxes(filter: { podUid?: string; state?: SandboxState } = {}): Promise<SandboxStatus[]> {
    const out: SandboxStatus[] = [];
    for (const s of this.sandboxes.values()) {
      if (filter.podUid !== undefined && s.status.metadata.uid !== filter.podUid) continue;
      if (filter.state !== undefined && s.status.state !== filter.state) continue;
      out.push(structuredClone(s.status));
    }
    return out;
  }

  async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    const s = this.sandboxes.get(sandboxId);
    if (!s) throw new RuntimeError('NotFound', `sandbox ${sandboxId} not found`);
    if (s.status.state !== 'ready') throw new RuntimeError('FailedPrecondition', `sandbox ${sandboxId} is not ready`);
    const id = newId();
    const status: ContainerStatus = {
      id,
      sandboxId,
      metadata: { ...cfg.metadata },
      state: 'created',
      image: normalizeImage(cfg.image),
      imageRef: fakeImageRef(cfg.image),
      createdAt: this.clock.now(),
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: '',
      message: '',
    };
    this.containers.set(id, { status, init: cfg.init === true });
    s.containers.add(id);
    this.emit('created', id);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.mustGet(id);
    if (c.status.state !== 'created') throw new RuntimeError('FailedPrecondition', `container ${id} is ${c.status.state}, not created`);
    if (this.startDelayMs > 0) await new Promise<void>((r) => this.clock.setTimeout(r, this.startDelayMs));
    if (c.status.state !== 'created') return; // removed or stopped meanwhile
    c.status.state = 'running';
    c.status.startedAt = this.clock.now();
    this.emit('started', id);
    const behaviour = this.sandboxes.get(c.status.sandboxId)?.behaviour;
    this.armExit(c, c.init ? 0 : behaviour?.runMs, behaviour?.exitCode ?? 0);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    const code = timeoutSeconds > 0 ? 0 : 137;
    this.exit(id, code, exitReason(code));
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    if (c.timer !== undefined) this.clock.clearTimeout(c.timer);
    this.containers.delete(id);
    this.sandboxes.get(c.status.sandboxId)?.containers.delete(id);
    this.emit('deleted', id, c.status.sandboxId);
  }

  async listContainers(filter: { sandboxId?: string; podUid?: string } = {}): Promise<ContainerStatus[]> {
    const ids = filter.sandboxId !== undefined ? (this.sandboxes.get(filter.sandboxId)?.containers ?? new Set<string>()) : this.containers.keys();
    const out: ContainerStatus[] = [];
    for (const id of ids) {
      const c = this.containers.get(id);
      if (!c) continue;
      if (filter.podUid !== undefined && this.sandboxes.get(c.status.sandboxId)?.status.metadata.uid !== filter.podUid) continue;
      out.push({ ...c.status, metadata: { ...c.status.metadata } });
    }
    return out;
  }

  /** Fake containers run nothing: a command in a running one succeeds with no output. */
  async execSync(containerId: string, _cmd: string[], _timeoutSeconds: number): Promise<ExecResult> {
    const c = this.mustGet(containerId);
    if (c.status.state !== 'running') throw new RuntimeError('FailedPrecondition', `container ${containerId} is not running`);
    return { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  }

  /** Fake containers write no log: reopening one is checked and does nothing. */
  async reopenContainerLog(containerId: string): Promise<void> {
    const c = this.mustGet(containerId);
    if (c.status.state !== 'running') throw new RuntimeError('FailedPrecondition', `container ${containerId} is not running`);
  }

  onContainerEvent(handler: (e: ContainerEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Restores a sandbox as it was before a restart (see restore.ts); not part of the Runtime seam. */
  restoreSandbox(status: SandboxStatus, containers: { status: ContainerStatus; init: boolean }[]): void {
    const s: Sandbox = { status: structuredClone(status), behaviour: behaviourOf(status.annotations), containers: new Set() };
    this.sandboxes.set(status.id, s);
    if (s.status.state === 'ready') for (const ip of s.status.ips) this.pool?.reserve(ip);
    for (const c of containers) {
      const entry: Container = { status: { ...c.status, sandboxId: status.id }, init: c.init };
      this.containers.set(c.status.id, entry);
      s.containers.add(c.status.id);
      if (entry.status.state === 'running' && !c.init && s.behaviour.runMs !== undefined) {
        // Exit when it would have if the node had kept running.
        this.armExit(entry, Math.max(0, entry.status.startedAt + s.behaviour.runMs - this.clock.now()), s.behaviour.exitCode);
      }
    }
  }

  /** IPs handed out so far that are still in use (tests). */
  get ipsInUse(): number {
    return this.pool?.inUse ?? 0;
  }

  private armExit(c: Container, afterMs: number | undefined, code: number): void {
    if (afterMs === undefined) return;
    const id = c.status.id;
    // Init containers finish within the start call, so one pod sync sees them done.
    if (afterMs === 0 && c.init) return this.exit(id, code, exitReason(code));
    c.timer = this.clock.setTimeout(() => {
      c.timer = undefined;
      this.exit(id, code, exitReason(code));
    }, afterMs);
  }

  private exit(id: string, code: number, reason: string): void {
    const c = this.containers.get(id);
    if (!c || c.status.state === 'exited') return;
    if (c.timer !== undefined) this.clock.clearTimeout(c.timer);
    c.timer = undefined;
    const now = this.clock.now();
    if (c.status.state === 'created') c.status.startedAt = 0;
    c.status.state = 'exited';
    c.status.finishedAt = now;
    c.status.exitCode = code;
    c.status.reason = reason;
    this.emit('stopped', id);
  }

  private mustGet(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container ${id} not found`);
    return c;
  }

  private emit(type: ContainerEvent['type'], containerId: string, sandboxId?: string): void {
    if (this.handlers.size === 0) return;
    const sid = sandboxId ?? this.containers.get(containerId)?.status.sandboxId ?? '';
    const meta = this.sandboxes.get(sid)?.status.metadata;
    if (!meta) return;
    const e: ContainerEvent = { type, containerId, sandboxId: sid, pod: { ...meta } };
    // Delivered after the current call returns, as a CRI event stream would.
    queueMicrotask(() => {
      for (const h of this.handlers) h(e);
    });
  }
}
