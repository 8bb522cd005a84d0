/**
 * The Runtime seam over a CRI runtime (containerd): each seam call maps to
 * one or a few RuntimeService/ImageService calls.
 *
 * Everything it creates is labelled with the kubelet's `io.kubernetes.*`
 * keys and carries its own sandbox config (labels.ts), so the runtime
 * holds no state that a restart could lose: a new agent lists what runs
 * and carries on.
 *
 * containerd 1.6 has no event stream (GetContainerEvents is 1.7+), so a
 * relist loop (about every second, while someone listens) compares
 * ListContainers with the last listing and emits ContainerEvents for what
 * changed; calls made through this runtime emit theirs at once. A
 * container's status can only change along with its listed state, so a
 * ContainerStatus call is made only for containers whose state changed:
 * an idle node costs one ListContainers a second.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CriClient } from '../../cri/index.ts';
import type * as cri from '../../cri/proto/index.ts';
import type { In } from '../../cri/proto/index.ts';
import { removeCgroupTree } from '../../containerd/cleanup.ts';
import { logger } from '../../../util/log.ts';
import { normalizeImage } from '../image-ref.ts';
import {
  podLogDirectory,
  RuntimeError,
  runtimeConditionMet,
  type ContainerConfig,
  type ContainerEvent,
  type ContainerState,
  type ContainerStatus,
  type ExecResult,
  type ImageRef,
  type RegistryAuth,
  type Runtime,
  type RuntimeStatus,
  type RuntimeVersion,
  type SandboxConfig,
  type SandboxMetadata,
  type SandboxState,
  type SandboxStatus,
} from '../types.ts';
import { fromCriContainerState, fromCriContainerStatus, fromCriSandboxStatus, storedConfig, toCriContainerConfig, toCriSandboxConfig, withStoredConfig } from './convert.ts';
import { isNotFound, toRuntimeError } from './errors.ts';
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from './labels.ts';

const log = logger('agent/cri-runtime');

/** The image as the pod spec named it (container status reports it, normalised, as the fake does). */
const ANNOTATION_IMAGE = 'bramble.io/image';

export interface CriRuntimeOptions {
  cri: CriClient;
  /** Agent data directory: pod logs go to `<dataDir>/agent/pod-logs/…` unless a sandbox names its own. */
  dataDir: string;
  /** cgroup under which each pod gets `pod<uid>` (cgroupfs); default `bramble`. */
  cgroupRoot?: string;
  /** Makes the pod network exist for a pod CIDR (writes the CNI config: network/cni-config.ts). */
  configureNetwork?(podCIDR: string): void | Promise<void>;
  /** Relist period while someone listens for events; default 1000 ms. */
  relistMs?: number;
}

interface Known {
  state: ContainerState;
  sandboxId: string;
  pod: SandboxMetadata;
}

export class CriRuntime implements Runtime {
  private readonly cri: CriClient;
  private readonly o: CriRuntimeOptions;
  private readonly cgroupRoot: string;
  /** Statuses by container id, valid while the listed state is unchanged. */
  private readonly statusCache = new Map<string, { state: cri.ContainerState; status: ContainerStatus }>();
  private readonly sandboxCache = new Map<string, { state: cri.PodSandboxState; status: SandboxStatus; config: In<cri.PodSandboxConfig> | undefined }>();
  /** The last state seen per container, to turn listings into events. */
  private readonly known = new Map<string, Known>();
  private primed = false;
  private readonly handlers = new Set<(e: ContainerEvent) => void>();
  private relistTimer: NodeJS.Timeout | undefined;
  private relisting: Promise<void> | undefined;
  private closed = false;
  private podCIDR: string | undefined;

  constructor(o: CriRuntimeOptions) {
    this.o = o;
    this.cri = o.cri;
    this.cgroupRoot = (o.cgroupRoot ?? 'bramble').replace(/^\/+|\/+$/g, '');
  }

  async version(): Promise<RuntimeVersion> {
    const v = await this.call('version', () => this.cri.runtime.version());
    return { runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion };
  }

  async status(): Promise<RuntimeStatus> {
    const s = await this.call('status', () => this.cri.runtime.status());
    const conditions: RuntimeStatus['conditions'] = [];
    for (const type of ['RuntimeReady', 'NetworkReady'] as const) {
      const c = s.status?.conditions.find((x) => x.type === type);
      conditions.push({ type, status: c?.status ?? false, reason: c?.reason ?? 'NotReported', message: c?.message ?? '' });
    }
    return { conditions };
  }

  async updateRuntimeConfig(cfg: { podCIDR: string }): Promise<void> {
    if (this.podCIDR === cfg.podCIDR) return;
    await this.o.configureNetwork?.(cfg.podCIDR);
    await this.call('update runtime config', () => this.cri.runtime.updateRuntimeConfig(cfg.podCIDR));
    // containerd notices a new CNI config through a directory watch: wait for it to say so.
    for (let i = 0; i < 100; i++) {
      if (runtimeConditionMet(await this.status(), 'NetworkReady')) break;
      await sleep(100);
    }
    this.podCIDR = cfg.podCIDR;
  }

  async imageStatus(image: string): Promise<ImageRef | undefined> {
    const img = await this.call(`image status ${image}`, () => this.cri.images.imageStatus(image));
    return img ? { ref: img.id } : undefined;
  }

  async pullImage(image: string, auth?: RegistryAuth): Promise<ImageRef> {
    const ref = await this.call(`pull ${image}`, () => this.cri.images.pullImage(image, auth && { ...auth }));
    return { ref };
  }

  async runPodSandbox(cfg: SandboxConfig): Promise<string> {
    if (!cfg.hostNetwork && !runtimeConditionMet(await this.status(), 'NetworkReady')) {
      throw new RuntimeError('FailedPrecondition', 'network not ready: no pod network config yet (the node has no pod CIDR)');
    }
    const config = toCriSandboxConfig(cfg, {
      cgroupParent: `/${this.cgroupRoot}/pod${cfg.metadata.uid}`,
      logDirectory: podLogDirectory(this.o.dataDir, cfg.metadata),
    });
    fs.mkdirSync(config.logDirectory!, { recursive: true, mode: 0o755 });
    const id = await this.call(`run sandbox for pod ${cfg.metadata.namespace}/${cfg.metadata.name}`, () => this.cri.runtime.runPodSandbox(withStoredConfig(config)));
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    try {
      await this.cri.runtime.stopPodSandbox(id);
    } catch (e) {
      if (isNotFound(e)) return;
      throw toRuntimeError(e, `stop sandbox ${id}`);
    }
    // Its containers were killed: let listeners know now rather than at the next relist.
    await this.listContainers({ sandboxId: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    let sb: SandboxStatus | undefined;
    let logDir: string | undefined;
    try {
      const st = (await this.cri.runtime.podSandboxStatus(id)).status;
      if (st) {
        sb = fromCriSandboxStatus(st);
        logDir = storedConfig(st.annotations)?.logDirectory;
      }
    } catch (e) {
      if (isNotFound(e)) return;
      throw toRuntimeError(e, `sandbox ${id}`);
    }
    const containers = await this.listContainers({ sandboxId: id });
    try {
      await this.cri.runtime.removePodSandbox(id);
    } catch (e) {
      if (!isNotFound(e)) throw toRuntimeError(e, `remove sandbox ${id}`);
    }
    this.sandboxCache.delete(id);
    for (const c of containers) this.forgetContainer(c.id);
    if (!sb) return;
    // The pod's logs and cgroup go with its last sandbox (the kubelet's pod cleanup).
    const others = await this.cri.runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: sb.metadata.uid } });
    if (others.length > 0) return;
    if (logDir && path.resolve(logDir).startsWith(path.resolve(this.o.dataDir, 'agent', 'pod-logs') + '/')) fs.rmSync(logDir, { recursive: true, force: true });
    try {
      removeCgroupTree(`${this.cgroupRoot}/pod${sb.metadata.uid}`);
    } catch (e) {
      log.debug('pod cgroup not removed', { uid: sb.metadata.uid, err: e });
    }
  }

  async listPodSandboxes(filter: { podUid?: string; state?: SandboxState } = {}): Promise<SandboxStatus[]> {
    const items = await this.call('list sandboxes', () =>
      this.cri.runtime.listPodSandbox({
        labelSelector: filter.podUid !== undefined ? { [LABEL_POD_UID]: filter.podUid } : undefined,
        state: filter.state ? { state: filter.state === 'ready' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY' } : undefined,
      }),
    );
    const out: SandboxStatus[] = [];
    for (const item of items) {
      const s = await this.sandbox(item.id, item.state);
      if (s) out.push(structuredClone(s.status));
    }
    if (filter.podUid === undefined && filter.state === undefined) {
      const seen = new Set(items.map((i) => i.id));
      for (const id of this.sandboxCache.keys()) if (!seen.has(id)) this.sandboxCache.delete(id);
    }
    return out;
  }

  async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    const sb = await this.sandbox(sandboxId);
    if (!sb) throw new RuntimeError('NotFound', `sandbox ${sandboxId} not found`);
    if (sb.status.state !== 'ready') throw new RuntimeError('FailedPrecondition', `sandbox ${sandboxId} is not ready`);
    if (!sb.config) throw new RuntimeError('FailedPrecondition', `sandbox ${sandboxId} was not created by bramble (no stored config)`);
    const config = toCriContainerConfig(cfg, sb.status.metadata);
    config.annotations = { ...config.annotations, [ANNOTATION_IMAGE]: cfg.image };
    const id = await this.call(`create container ${cfg.metadata.name}`, () => this.cri.runtime.createContainer(sandboxId, config, sb.config!));
    this.observe(id, 'created', sandboxId, sb.status.metadata);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call(`start container ${id}`, () => this.cri.runtime.startContainer(id));
    await this.refresh(id);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.cri.runtime.stopContainer(id, Math.max(0, Math.floor(timeoutSeconds)));
    } catch (e) {
      if (isNotFound(e)) return;
      throw toRuntimeError(e, `stop container ${id}`);
    }
    await this.refresh(id);
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.cri.runtime.removeContainer(id);
    } catch (e) {
      if (!isNotFound(e)) throw toRuntimeError(e, `remove container ${id}`);
    }
    this.forgetContainer(id);
  }

  async listContainers(filter: { sandboxId?: string; podUid?: string } = {}): Promise<ContainerStatus[]> {
    const items = await this.call('list containers', () =>
      this.cri.runtime.listContainers({
        podSandboxId: filter.sandboxId,
        labelSelector: filter.podUid !== undefined ? { [LABEL_POD_UID]: filter.podUid } : undefined,
      }),
    );
    const out: ContainerStatus[] = [];
    for (const item of items) {
      const s = await this.containerStatus(item);
      if (s) out.push({ ...s, metadata: { ...s.metadata } });
    }
    return out;
  }

  async execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult> {
    const r = await this.call(`exec in container ${containerId}`, () => this.cri.runtime.execSync(containerId, cmd, Math.max(0, Math.ceil(timeoutSeconds))));
    return { exitCode: r.exitCode, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr) };
  }

  async reopenContainerLog(containerId: string): Promise<void> {
    await this.call(`reopen log of container ${containerId}`, () => this.cri.runtime.reopenContainerLog(containerId));
  }

  onContainerEvent(handler: (e: ContainerEvent) => void): () => void {
    this.handlers.add(handler);
    this.scheduleRelist();
    return () => {
      this.handlers.delete(handler);
      if (this.handlers.size === 0 && this.relistTimer) clearTimeout(this.relistTimer);
    };
  }

  /** Stops the relist loop (the CRI connection belongs to the caller). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.relistTimer) clearTimeout(this.relistTimer);
    await this.relisting;
  }

  /** One relist: every container's listed state against the last one seen; events for the differences. */
  async relist(): Promise<void> {
    const items = await this.cri.runtime.listContainers();
    const seen = new Set<string>();
    for (const c of items) {
      seen.add(c.id);
      const pod = podOf(c.labels);
      // The first listing learns what already ran quietly; containers this instance already
      // knows (made or watched through it) still report their changes.
      if (pod) this.observe(c.id, fromCriContainerState(c.state), c.podSandboxId, pod, !this.primed && !this.known.has(c.id));
    }
    for (const id of [...this.known.keys()]) if (!seen.has(id)) this.forgetContainer(id);
    this.primed = true;
  }

  private scheduleRelist(): void {
    if (this.closed || this.handlers.size === 0 || this.relistTimer) return;
    this.relistTimer = setTimeout(() => {
      this.relisting = this.relist()
        .catch((e) => log.debug('relist failed', { err: e }))
        .finally(() => {
          this.relistTimer = undefined;
          this.relisting = undefined;
          this.scheduleRelist();
        });
    }, this.o.relistMs ?? 1000);
    this.relistTimer.unref();
  }

  /** Records a container's state; a change is an event (none while priming the first listing). */
  private observe(id: string, state: ContainerState, sandboxId: string, pod: SandboxMetadata, quiet = false): void {
    const prev = this.known.get(id);
    this.known.set(id, { state, sandboxId, pod });
    if (quiet || prev?.state === state) return;
    // A relist sees states, not transitions: a container that started and exited between two
    // relists must still be reported started, then stopped (created → running → exited).
    const steps: ContainerEvent['type'][] = ['created', 'started', 'stopped'];
    const rank = (st: ContainerState | undefined) => (st === 'created' ? 0 : st === 'running' ? 1 : st === 'exited' ? 2 : -1);
    const to = rank(state);
    if (to < 0) return;
    const from = prev ? rank(prev.state) : -1;
    for (let i = Math.min(from + 1, to); i <= to; i++) this.emit({ type: steps[i]!, containerId: id, sandboxId, pod: { ...pod } });
  }

  private forgetContainer(id: string): void {
    const k = this.known.get(id);
    this.known.delete(id);
    this.statusCache.delete(id);
    if (!k) return;
    // Stopped and removed between two relists: it still died before it went (as the kubelet's PLEG reports).
    if (k.state === 'running') this.emit({ type: 'stopped', containerId: id, sandboxId: k.sandboxId, pod: { ...k.pod } });
    this.emit({ type: 'deleted', containerId: id, sandboxId: k.sandboxId, pod: { ...k.pod } });
  }

  private emit(e: ContainerEvent): void {
    if (this.handlers.size === 0) return;
    // Delivered after the current call returns, as an event stream would.
    queueMicrotask(() => {
      for (const h of this.handlers) h(e);
    });
  }

  /** Re-reads one container's status (after a call that changed it). */
  private async refresh(id: string): Promise<void> {
    const [item] = await this.cri.runtime.listContainers({ id });
    if (item) await this.containerStatus(item);
  }

  private async containerStatus(item: cri.Container): Promise<ContainerStatus | undefined> {
    const cached = this.statusCache.get(item.id);
    let status: ContainerStatus;
    if (cached && cached.state === item.state) status = cached.status;
    else {
      let st: cri.ContainerStatus | undefined;
      try {
        st = (await this.cri.runtime.containerStatus(item.id)).status;
      } catch (e) {
        if (isNotFound(e)) return undefined; // removed meanwhile
        throw toRuntimeError(e, `container ${item.id}`);
      }
      if (!st) return undefined;
      status = fromCriContainerStatus(st, item.podSandboxId);
      const requested = st.annotations[ANNOTATION_IMAGE];
      if (requested) status.image = normalizeImage(requested);
      // The listed state is what the cache is keyed on; the status call may have seen a later one.
      this.statusCache.set(item.id, { state: item.state, status });
    }
    const pod = podOf(item.labels);
    if (pod) this.observe(item.id, status.state, item.podSandboxId, pod);
    return status;
  }

  private async sandbox(id: string, listedState?: cri.PodSandboxState) {
    const cached = this.sandboxCache.get(id);
    if (cached && listedState !== undefined && cached.state === listedState) return cached;
    let st: cri.PodSandboxStatus | undefined;
    try {
      st = (await this.cri.runtime.podSandboxStatus(id)).status;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw toRuntimeError(e, `sandbox ${id}`);
    }
    if (!st) return undefined;
    const entry = { state: st.state, status: fromCriSandboxStatus(st), config: storedConfig(st.annotations) };
    this.sandboxCache.set(id, entry);
    return entry;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toRuntimeError(e, what);
    }
  }
}

function podOf(labels: Record<string, string>): SandboxMetadata | undefined {
  const uid = labels[LABEL_POD_UID];
  if (!uid) return undefined;
  return { uid, name: labels[LABEL_POD_NAME] ?? '', namespace: labels[LABEL_POD_NAMESPACE] ?? '', attempt: 0 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
