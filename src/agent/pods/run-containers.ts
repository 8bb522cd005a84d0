/**
 * One pass of starting a pod's containers in its sandbox, as the kubelet's
 * SyncPod does after computing the pod's actions: init containers one at a
 * time, in order, each to a clean exit; then every regular container that
 * is not running, restarted per restartPolicy with the crash-loop back-off;
 * a running container whose image changed in the spec is restarted.
 */
import type { Obj } from '../../client/types.ts';
import { normalizeImage } from '../runtime/image-ref.ts';
import type { ContainerStatus } from '../runtime/types.ts';
import type { RestartBackoff } from './backoff.ts';
import { fieldPathOf, startContainer, startCreated, type StartContext, type Waiting } from './containers.ts';

export interface RunResult {
  /** The sandbox's containers after this pass. */
  containers: ContainerStatus[];
  /** Containers serving a back-off: name → CrashLoopBackOff message. */
  waits: Map<string, string>;
  /** Containers that could not start: name → waiting reason and message (ErrImagePull, CreateContainerConfigError…). */
  waiting: Map<string, Waiting>;
  /** When the earliest back-off ends (re-sync then). */
  requeueMs?: number;
}

export function latest(cs: ContainerStatus[], name: string): ContainerStatus | undefined {
  let best: ContainerStatus | undefined;
  for (const c of cs) if (c.metadata.name === name && (!best || c.metadata.attempt > best.metadata.attempt)) best = c;
  return best;
}

const nextAttempt = (c: ContainerStatus | undefined) => (c ? c.metadata.attempt + (c.state === 'created' ? 0 : 1) : 0);

export async function runContainers(ctx: StartContext, backoff: RestartBackoff, pod: Obj, sandboxId: string): Promise<RunResult> {
  const rt = ctx.runtime;
  const recorder = ctx.recorder;
  const m = pod['metadata'];
  const uid = m.uid as string;
  const policy = pod['spec']?.restartPolicy ?? 'Always';
  const waits = new Map<string, string>();
  const waiting = new Map<string, Waiting>();
  let requeueMs: number | undefined;
  const wait = (name: string, ms: number) => {
    waits.set(name, `back-off ${backoff.currentDelayMs(uid, name) / 1000}s restarting failed container=${name} pod=${m.name}_${m.namespace}(${uid})`);
    requeueMs = Math.min(requeueMs ?? ms, ms);
  };
  /** Starts a container; false when it must wait (recorded in `waiting`). */
  const start = async (spec: Obj, init: boolean, previous: ContainerStatus | undefined): Promise<boolean> => {
    const target = { pod, sandboxId, spec, init, attempt: nextAttempt(previous) };
    const w = previous?.state === 'created' ? await startCreated(ctx, target, previous.id) : await startContainer(ctx, target);
    if (!w) return true;
    waiting.set(spec['name'], w);
    // A wait with no back-off (a missing ConfigMap…) is retried at the next periodic sync, or sooner on change.
    const ms = w.retryMs ?? 10_000;
    requeueMs = Math.min(requeueMs ?? ms, ms);
    return false;
  };
  let containers = await rt.listContainers({ sandboxId });

  let initDone = true;
  for (const spec of (pod['spec']?.initContainers ?? []) as Obj[]) {
    const c = latest(containers, spec['name']);
    if (c?.state === 'exited' && c.exitCode === 0) continue;
    initDone = false;
    if (c?.state === 'running') break;
    if (c?.state === 'exited' && policy === 'Never') break; // the pod has failed
    if (c?.state === 'exited') {
      const ms = backoff.next(uid, spec['name'], c.startedAt, c.finishedAt);
      if (ms > 0) {
        wait(spec['name'], ms);
        break;
      }
    }
    if (!(await start(spec, true, c))) break;
    containers = await rt.listContainers({ sandboxId });
    const now = latest(containers, spec['name']);
    if (now?.state !== 'exited' || now.exitCode !== 0) break;
    initDone = true; // finished already (the fake's init containers do): go on to the next
  }
  if (!initDone) return { containers, waits, waiting, requeueMs };

  for (const spec of (pod['spec']?.containers ?? []) as Obj[]) {
    const c = latest(containers, spec['name']);
    const fieldPath = fieldPathOf(spec, false);
    if (c?.state === 'running') {
      if (c.image === normalizeImage(String(spec['image'] ?? ''))) continue;
      recorder.event(pod, 'Normal', 'Killing', `Container ${spec['name']} definition changed, will be restarted`, { fieldPath });
      await rt.stopContainer(c.id, pod['spec']?.terminationGracePeriodSeconds ?? 30);
    } else if (c?.state === 'exited') {
      const restart = policy === 'Always' || (policy === 'OnFailure' && c.exitCode !== 0);
      if (!restart) continue;
      const ms = backoff.next(uid, spec['name'], c.startedAt, c.finishedAt);
      if (ms > 0) {
        wait(spec['name'], ms);
        recorder.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${spec['name']} in pod ${m.name}_${m.namespace}(${uid})`, { fieldPath });
        continue;
      }
    }
    await start(spec, false, c?.state === 'running' ? { ...c, state: 'exited' } : c);
  }
  return { containers: await rt.listContainers({ sandboxId }), waits, waiting, requeueMs };
}
