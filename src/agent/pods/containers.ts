/**
 * Starting and stopping one container the way the kubelet does
 * (kuberuntime_container.go, image puller): ensure the image per the pull
 * policy (with the pod's pull secrets and a back-off after failures),
 * build the config, create, start, with the kubelet's events for each
 * step, named by the container's field path (`spec.containers{web}`) so
 * `kubectl describe pod` shows them. Stopping runs the preStop hook first
 * and gives the container what is left of the grace period.
 */
import type { Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import { RuntimeError, type ContainerConfig, type ContainerStatus, type RegistryAuth, type Runtime } from '../runtime/types.ts';
import type { FailureBackoff } from './backoff.ts';
import type { ImagePullBackoff } from './images.ts';
import type { EventSink } from './pod-sync.ts';

const log = logger('agent/pods');

export interface ContainerTarget {
  pod: Obj;
  sandboxId: string;
  spec: Obj;
  init: boolean;
  attempt: number;
}

/** What starting containers needs besides the runtime. */
export interface StartContext {
  runtime: Runtime;
  recorder: EventSink;
  pulls: ImagePullBackoff;
  /** Back-off after failed creates and starts (CreateContainerError, RunContainerError); absent: retried at each sync. */
  failures?: FailureBackoff;
  /** The pod's pull credentials for an image (imagePullSecrets); undefined: anonymous. */
  auth(pod: Obj, image: string): Promise<RegistryAuth | undefined>;
  /** The runtime config of a container (env, mounts…); throws a ContainerConfigError when it cannot be built. */
  configFor(t: ContainerTarget): Promise<ContainerConfig>;
}

/** Why a container waits instead of starting: its status' `waiting` reason and message. */
export interface Waiting {
  reason: string;
  message: string;
  /** Try again after this long (a back-off); absent: at the next sync. */
  retryMs?: number;
}

/** The container's config could not be built (a missing ConfigMap key…): CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  readonly code = 'CreateContainerConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContainerConfigError';
  }
}

/** Upstream's default pull policy: Always for `:latest` or untagged images, else IfNotPresent. */
export function pullPolicyOf(spec: Obj): string {
  if (spec['imagePullPolicy']) return spec['imagePullPolicy'];
  const image = String(spec['image'] ?? '');
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  if (image.includes('@')) return 'IfNotPresent';
  return !lastPart.includes(':') || lastPart.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

export const fieldPathOf = (spec: Obj, init: boolean): string => `spec.${init ? 'initContainers' : 'containers'}{${spec['name']}}`;

/** Go's time.Duration formatting for the short durations of a pull. */
function goDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${Number(ms.toFixed(3))}ms`;
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** Makes the image available per the pull policy; a Waiting when it is not (ErrImagePull, ImagePullBackOff, ErrImageNeverPull). */
export async function ensureImage(ctx: StartContext, pod: Obj, spec: Obj, fieldPath: string): Promise<Waiting | undefined> {
  const image = String(spec['image'] ?? '');
  const uid = pod['metadata'].uid as string;
  const rec = ctx.recorder;
  const policy = pullPolicyOf(spec);
  const present = policy === 'Always' ? undefined : await ctx.runtime.imageStatus(image);
  if (present) {
    rec.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, { fieldPath });
    return undefined;
  }
  if (policy === 'Never') {
    const message = `Container image "${image}" is not present with pull policy of Never`;
    rec.event(pod, 'Warning', 'ErrImageNeverPull', message, { fieldPath });
    return { reason: 'ErrImageNeverPull', message };
  }
  const blocked = ctx.pulls.blocked(uid, image);
  if (blocked.ms > 0) {
    rec.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, { fieldPath });
    rec.event(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', { fieldPath });
    return { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ErrImagePull: ${blocked.message}`, retryMs: blocked.ms };
  }
  rec.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, { fieldPath });
  const began = performance.now();
  try {
    await ctx.runtime.pullImage(image, await ctx.auth(pod, image));
  } catch (e) {
    const message = `failed to pull and unpack image "${image}": ${(e as Error).message}`;
    const retryMs = ctx.pulls.failed(uid, image, message);
    rec.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${(e as Error).message}`, { fieldPath });
    rec.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull', { fieldPath });
    return { reason: 'ErrImagePull', message, retryMs };
  }
  ctx.pulls.succeeded(uid, image);
  const took = goDuration(performance.now() - began);
  rec.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: 0 bytes.`, { fieldPath });
  return undefined;
}

/** Pulls (per policy), creates and starts a container. A Waiting when it cannot start yet (a create or start the runtime refused included: Failed, retried after a back-off); other failures propagate (the sync retries). */
export async function startContainer(ctx: StartContext, t: ContainerTarget): Promise<Waiting | undefined> {
  const fieldPath = fieldPathOf(t.spec, t.init);
  // After a failed create or start, nothing is tried again (not even the image) until the back-off has passed.
  const blocked = ctx.failures?.blocked(t.pod['metadata']?.uid as string, `container/${t.spec['name']}`);
  if (blocked) return { reason: blocked.reason, message: blocked.message, retryMs: blocked.ms };
  const waiting = await ensureImage(ctx, t.pod, t.spec, fieldPath);
  if (waiting) return waiting;
  let config: ContainerConfig;
  try {
    config = await ctx.configFor(t);
  } catch (e) {
    if (!(e instanceof ContainerConfigError)) throw e;
    ctx.recorder.event(t.pod, 'Warning', 'Failed', `Error: ${e.message}`, { fieldPath });
    return { reason: 'CreateContainerConfigError', message: e.message };
  }
  let id: string;
  try {
    id = await ctx.runtime.createContainer(t.sandboxId, config);
  } catch (e) {
    return failedTo(ctx, t, 'CreateContainerError', e);
  }
  ctx.recorder.event(t.pod, 'Normal', 'Created', `Created container: ${t.spec['name']}`, { fieldPath });
  return startCreated(ctx, t, id);
}

/** Starts a created container (Started), or reports why it could not (Failed, RunContainerError). */
export async function startCreated(ctx: StartContext, t: ContainerTarget, id: string): Promise<Waiting | undefined> {
  const blocked = ctx.failures?.blocked(t.pod['metadata']?.uid as string, `container/${t.spec['name']}`);
  if (blocked) return { reason: blocked.reason, message: blocked.message, retryMs: blocked.ms };
  try {
    await ctx.runtime.startContainer(id);
  } catch (e) {
    return failedTo(ctx, t, 'RunContainerError', e);
  }
  ctx.failures?.succeeded(t.pod['metadata']?.uid as string, `container/${t.spec['name']}`);
  ctx.recorder.event(t.pod, 'Normal', 'Started', `Started container ${t.spec['name']}`, { fieldPath: fieldPathOf(t.spec, t.init) });
  return undefined;
}

/** A create or start the runtime refused: upstream's `Failed` "Error: <runtime message>" and a waiting reason, retried after a back-off. */
function failedTo(ctx: StartContext, t: ContainerTarget, reason: 'CreateContainerError' | 'RunContainerError', e: unknown): Waiting {
  if (!(e instanceof RuntimeError)) throw e;
  const message = e.message;
  ctx.recorder.event(t.pod, 'Warning', 'Failed', `Error: ${message}`, { fieldPath: fieldPathOf(t.spec, t.init) });
  const retryMs = ctx.failures?.failed(t.pod['metadata']?.uid as string, `container/${t.spec['name']}`, reason, message);
  log.warn(reason === 'CreateContainerError' ? 'cannot create container' : 'cannot start container', { pod: `${t.pod['metadata']?.namespace}/${t.pod['metadata']?.name}`, container: t.spec['name'], err: message });
  return { reason, message, retryMs };
}

/** The kubelet never gives a container less than this to stop after its preStop hook. */
const minimumGraceSeconds = 2;

/**
 * Stops a running or created container with the Killing event (`message`,
 * default "Stopping container x"): its preStop hook (exec or httpGet)
 * first, then the stop signal with what is left of `graceSeconds`.
 */
export async function stopContainer(runtime: Runtime, recorder: EventSink, pod: Obj, c: ContainerStatus, graceSeconds: number, message?: string): Promise<void> {
  const found = findSpec(pod, c.metadata.name);
  if (found) recorder.event(pod, 'Normal', 'Killing', message ?? `Stopping container ${c.metadata.name}`, { fieldPath: fieldPathOf(found.spec, found.init) });
  let grace = graceSeconds;
  const hook = found?.spec['lifecycle']?.preStop as Obj | undefined;
  if (hook && c.state === 'running' && grace > 0) {
    const began = Date.now();
    const err = await runPreStop(runtime, pod, c, hook, grace);
    if (err) {
      recorder.event(pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${err}`, { fieldPath: fieldPathOf(found!.spec, found!.init) });
      log.debug('preStop hook failed', { pod: pod['metadata'].name, container: c.metadata.name, err });
    }
    grace = Math.max(minimumGraceSeconds, grace - Math.ceil((Date.now() - began) / 1000));
  }
  await runtime.stopContainer(c.id, grace);
}

/** Runs a preStop hook within the grace period; returns the failure text, if any. */
async function runPreStop(runtime: Runtime, pod: Obj, c: ContainerStatus, hook: Obj, graceSeconds: number): Promise<string | undefined> {
  try {
    if (hook['exec']) {
      const r = await runtime.execSync(c.id, hook['exec'].command ?? [], graceSeconds);
      if (r.exitCode !== 0) return `command '${(hook['exec'].command ?? []).join(' ')}' exited with ${r.exitCode}: ${r.stdout}${r.stderr}`;
      return undefined;
    }
    if (hook['httpGet']) {
      const h = hook['httpGet'];
      const host = h.host || pod['status']?.podIP || '127.0.0.1';
      const port = typeof h.port === 'number' ? h.port : namedPort(pod, h.port);
      const url = `${(h.scheme ?? 'HTTP').toLowerCase()}://${host.includes(':') ? `[${host}]` : host}:${port}${h.path ?? '/'}`;
      const headers = Object.fromEntries(((h.httpHeaders ?? []) as Obj[]).map((x) => [x['name'], x['value']]));
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(graceSeconds * 1000) });
      await res.arrayBuffer();
      return res.status >= 200 && res.status < 400 ? undefined : `HTTP lifecycle hook (${h.path ?? '/'}) for Container "${c.metadata.name}" in Pod "${pod['metadata'].name}_${pod['metadata'].namespace}(${pod['metadata'].uid})" failed - error: ${res.status}`;
    }
    if (hook['sleep']) {
      await new Promise((r) => setTimeout(r, Math.min(graceSeconds, hook['sleep'].seconds ?? 0) * 1000));
      return undefined;
    }
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

function namedPort(pod: Obj, name: string): number {
  for (const c of (pod['spec']?.containers ?? []) as Obj[]) for (const p of (c['ports'] ?? []) as Obj[]) if (p['name'] === name) return p['containerPort'];
  return Number(name);
}

export function findSpec(pod: Obj, name: string): { spec: Obj; init: boolean } | undefined {
  const regular = (pod['spec']?.containers ?? []).find((c: Obj) => c['name'] === name);
  if (regular) return { spec: regular, init: false };
  const init = (pod['spec']?.initContainers ?? []).find((c: Obj) => c['name'] === name);
  return init ? { spec: init, init: true } : undefined;
}
