/**
 * A pod's API status from what the runtime reports, as the kubelet's
 * generateAPIPodStatus does (pkg/kubelet/kubelet_pods.go, status/generate.go
 * in 1.32): container statuses (sorted by name; init containers in spec
 * order), the phase by upstream's getPhase rules, the five pod conditions,
 * host and pod IPs, and startTime. Pure: the sync loop compares the result
 * with the stored status and writes only a difference.
 */
import { deepEqual, withoutNulls } from '../../api/patch/json-value.ts';
import type { Obj } from '../../client/types.ts';
import type { ContainerStatus, SandboxStatus } from '../runtime/types.ts';

export interface PodRuntimeState {
  /** The pod's newest sandbox, if any. */
  sandbox?: SandboxStatus;
  /** Every container of the pod the runtime knows, any attempt. */
  containers: ContainerStatus[];
  /** Containers waiting out a crash-loop back-off: name → waiting message. */
  backoff?: ReadonlyMap<string, string>;
  /** Containers that could not start: name → waiting reason and message (ErrImagePull, ImagePullBackOff…). */
  waiting?: ReadonlyMap<string, { reason: string; message: string }>;
  /**
   * What the pod's probes say (absent: no prober; a running container is
   * ready and started). A running container is started once its startup
   * probe succeeded, and ready once started and its readiness probe
   * succeeded (no probe: at once).
   */
  probes?: { ready(name: string): boolean; started(name: string): boolean };
}

export interface StatusContext {
  /** Scheme of container ids (`fake`, `containerd`). */
  runtimeName: string;
  hostIP: string;
  now: number;
  /** The pod is being deleted and its containers were stopped: the phase becomes terminal. */
  terminal: boolean;
}

export const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** The newest and the previous instance of each container name. */
function byName(containers: ContainerStatus[]): Map<string, { latest: ContainerStatus; previous?: ContainerStatus }> {
  const out = new Map<string, { latest: ContainerStatus; previous?: ContainerStatus }>();
  const sorted = [...containers].sort((a, b) => a.metadata.attempt - b.metadata.attempt || a.createdAt - b.createdAt);
  for (const c of sorted) {
    const cur = out.get(c.metadata.name);
    out.set(c.metadata.name, { latest: c, previous: cur?.latest });
  }
  return out;
}

function terminated(c: ContainerStatus, runtimeName: string): Obj {
  const t: Obj = { exitCode: c.exitCode, reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error') };
  if (c.message) t['message'] = c.message;
  t['startedAt'] = c.startedAt ? rfc3339(c.startedAt) : null;
  t['finishedAt'] = rfc3339(c.finishedAt);
  t['containerID'] = `${runtimeName}://${c.id}`;
  return { terminated: t };
}

function containerStatus(spec: Obj, inst: { latest: ContainerStatus; previous?: ContainerStatus } | undefined, waitingReason: string, backoff: string | undefined, ctx: StatusContext, blocked?: { reason: string; message: string }, probes?: PodRuntimeState['probes']): Obj {
  if (!inst) {
    const waiting = blocked ? { reason: blocked.reason, message: blocked.message } : { reason: waitingReason };
    return { name: spec['name'], state: { waiting }, lastState: {}, ready: false, restartCount: 0, image: spec['image'], imageID: '', started: false };
  }
  const c = inst.latest;
  let state: Obj;
  let lastState: Obj = inst.previous ? terminated(inst.previous, ctx.runtimeName) : {};
  if (blocked && c.state === 'created') {
    // Created, but the runtime would not start it (RunContainerError): waiting with the reason.
    state = { waiting: { reason: blocked.reason, message: blocked.message } };
  } else if (blocked && c.state === 'exited') {
    // Its restart cannot start (the image cannot be pulled…): waiting, with the exited instance as the last state.
    state = { waiting: { reason: blocked.reason, message: blocked.message } };
    lastState = terminated(c, ctx.runtimeName);
  } else if (backoff !== undefined && c.state === 'exited') {
    // Waiting to restart: the exited instance becomes the last state.
    state = { waiting: { reason: 'CrashLoopBackOff', message: backoff } };
    lastState = terminated(c, ctx.runtimeName);
  } else if (c.state === 'running') state = { running: { startedAt: rfc3339(c.startedAt) } };
  else if (c.state === 'exited') state = terminated(c, ctx.runtimeName);
  else state = { waiting: { reason: 'ContainerCreating' } };
  const running = c.state === 'running';
  const started = running && (probes?.started(spec['name']) ?? true);
  const out: Obj = {
    name: spec['name'],
    state,
    lastState,
    ready: started && (probes?.ready(spec['name']) ?? true),
    restartCount: c.metadata.attempt,
    image: c.image,
    imageID: c.imageRef,
    containerID: `${ctx.runtimeName}://${c.id}`,
    started,
  };
  const mounts = (spec['volumeMounts'] ?? []) as Obj[];
  if (mounts.length) {
    out['volumeMounts'] = mounts.map((m) => ({
      name: m['name'],
      mountPath: m['mountPath'],
      ...(m['readOnly'] ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
    }));
  }
  return out;
}

/** Upstream's getPhase (1.32) for pods without sidecar containers. */
export function podPhase(pod: Obj, init: Obj[], regular: Obj[], terminal: boolean): string {
  const restartPolicy = pod['spec']?.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  for (const s of init) {
    const st = s['state'] ?? {};
    if (st.terminated) {
      if (st.terminated.exitCode !== 0) failedInit++;
    } else if (st.waiting && s['lastState']?.terminated && s['lastState'].terminated.exitCode !== 0) failedInit++;
    else pendingInit++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of regular) {
    const st = s['state'] ?? {};
    if (st.running) running++;
    else if (st.terminated) {
      stopped++;
      if (st.terminated.exitCode === 0) succeeded++;
    } else if (st.waiting && s['lastState']?.terminated) stopped++;
    else waiting++;
  }
  if (failedInit > 0 && (restartPolicy === 'Never' || terminal)) return 'Failed';
  if (pendingInit > 0 || failedInit > 0) return terminal ? 'Failed' : 'Pending';
  if (waiting > 0) return terminal ? 'Failed' : 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, previous: Obj[] | undefined, now: number, reason?: string, message?: string): Obj {
  const status = ok ? 'True' : 'False';
  const old = previous?.find((c) => c['type'] === type);
  const c: Obj = { type, status, lastProbeTime: null, lastTransitionTime: old && old['status'] === status ? old['lastTransitionTime'] : rfc3339(now) };
  if (reason) c['reason'] = reason;
  if (message) c['message'] = message;
  return c;
}

/** The status the kubelet would post for `pod` given the runtime's view of it. */
export function generatePodStatus(pod: Obj, rt: PodRuntimeState, ctx: StatusContext): Obj {
  const spec = pod['spec'] ?? {};
  const old = (pod['status'] ?? {}) as Obj;
  const prevConds = old['conditions'] as Obj[] | undefined;
  const instances = byName(rt.containers);
  const initSpecs = (spec.initContainers ?? []) as Obj[];
  const specs = (spec.containers ?? []) as Obj[];

  const initStatuses = initSpecs.map((c) => containerStatus(c, instances.get(c['name']), 'PodInitializing', rt.backoff?.get(c['name']), ctx, rt.waiting?.get(c['name'])));
  const initDone = initStatuses.every((s) => s['state']?.terminated?.exitCode === 0);
  const statuses = specs
    .map((c) => containerStatus(c, instances.get(c['name']), initDone ? 'ContainerCreating' : 'PodInitializing', rt.backoff?.get(c['name']), ctx, rt.waiting?.get(c['name']), rt.probes))
    .sort((a, b) => (a['name'] < b['name'] ? -1 : a['name'] > b['name'] ? 1 : 0));

  const phase = podPhase(pod, initStatuses, statuses, ctx.terminal);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const sandboxReady = rt.sandbox?.state === 'ready';
  const unready = statuses.filter((s) => !s['ready']).map((s) => s['name']);
  const incomplete = initStatuses.filter((s) => s['state']?.terminated?.exitCode !== 0).map((s) => s['name']);
  const containersReady = unready.length === 0 && !completed;
  const gates = ((spec.readinessGates ?? []) as Obj[]).map((g) => g['conditionType'] as string);
  const gatesOpen = gates.filter((t) => prevConds?.find((c) => c['type'] === t)?.['status'] !== 'True');

  const conditions = [
    condition('PodReadyToStartContainers', sandboxReady && !completed, prevConds, ctx.now),
    initDone
      ? condition('Initialized', true, prevConds, ctx.now, phase === 'Succeeded' && initSpecs.length > 0 ? 'PodCompleted' : undefined)
      : condition('Initialized', false, prevConds, ctx.now, 'ContainersNotInitialized', `containers with incomplete status: [${incomplete.join(' ')}]`),
    readyCondition('Ready', containersReady && gatesOpen.length === 0, completed, unready, gatesOpen, prevConds, ctx.now),
    readyCondition('ContainersReady', containersReady, completed, unready, [], prevConds, ctx.now),
    condition('PodScheduled', true, prevConds, ctx.now),
  ];

  const hostNetwork = spec.hostNetwork === true;
  const podIPs = hostNetwork ? [ctx.hostIP] : (rt.sandbox?.ips ?? []);
  const status: Obj = {
    phase,
    conditions,
    hostIP: ctx.hostIP,
    hostIPs: [{ ip: ctx.hostIP }],
    ...(podIPs.length ? { podIP: podIPs[0], podIPs: podIPs.map((ip) => ({ ip })) } : {}),
    startTime: old['startTime'] ?? rfc3339(ctx.now),
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
  };
  // A pod that finished keeps the IP it had, as the kubelet leaves it in status.
  if (!podIPs.length && old['podIP'] && completed) {
    status['podIP'] = old['podIP'];
    status['podIPs'] = old['podIPs'];
  }
  return status;
}

function readyCondition(type: string, ok: boolean, completed: boolean, unready: string[], gatesOpen: string[], prev: Obj[] | undefined, now: number): Obj {
  if (ok) return condition(type, true, prev, now);
  if (completed) return condition(type, false, prev, now, 'PodCompleted');
  if (unready.length) return condition(type, false, prev, now, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`);
  const msg = gatesOpen.map((g) => `corresponding condition of pod readiness gate "${g}" does not exist.`).join(', ');
  return condition(type, false, prev, now, 'ReadinessGatesNotReady', msg);
}

/** Fields the kubelet owns in pod status; only these are compared and patched. */
const owned = ['phase', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'initContainerStatuses', 'containerStatuses'];

/**
 * The strategic-merge patch that brings `current` to `next`, or undefined
 * when nothing the kubelet owns differs (then nothing is written).
 * Conditions merge by type, so conditions others own (DisruptionTarget,
 * readiness gates) are left alone.
 */
export function statusPatch(current: Obj | undefined, next: Obj): Obj | undefined {
  const cur = current ?? {};
  const patch: Obj = {};
  for (const k of owned) {
    if (next[k] === undefined) {
      if (cur[k] !== undefined && k !== 'podIP' && k !== 'podIPs') patch[k] = null;
    } else if (!same(cur[k], next[k])) patch[k] = next[k];
  }
  const changed = (next['conditions'] as Obj[]).filter((c) => {
    const old = (cur['conditions'] as Obj[] | undefined)?.find((o) => o['type'] === c['type']);
    return !old || !same(normalizeCondition(old), normalizeCondition(c));
  });
  if (changed.length) patch['conditions'] = changed;
  return Object.keys(patch).length ? patch : undefined;
}

/** Equal as stored: key order aside, and nulls read back as absent. */
const same = (a: unknown, b: unknown): boolean => deepEqual(withoutNulls(a), withoutNulls(b));

function normalizeCondition(c: Obj): Obj {
  return { type: c['type'], status: c['status'], reason: c['reason'] ?? '', message: c['message'] ?? '', lastTransitionTime: c['lastTransitionTime'] ?? null };
}
