/**
 * Starting and stopping one container the way the kubelet does
 * (kuberuntime_container.go): ensure the image per the pull policy, create,
 * start, with the kubelet's events for each step, named by the container's
 * field path (`spec.containers{web}`) so `kubectl describe pod` shows them.
 */
import type { Obj } from '../../client/types.ts';
import type { ContainerStatus, Runtime } from '../runtime/types.ts';
import type { EventSink } from './pod-sync.ts';

export interface ContainerTarget {
  pod: Obj;
  sandboxId: string;
  spec: Obj;
  init: boolean;
  attempt: number;
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

/** Pulls (per policy), creates and starts a container; returns its id. Runtime failures propagate (the sync retries). */
export async function startContainer(runtime: Runtime, recorder: EventSink, t: ContainerTarget): Promise<string> {
  const image = String(t.spec['image'] ?? '');
  const fieldPath = fieldPathOf(t.spec, t.init);
  const policy = pullPolicyOf(t.spec);
  const present = policy === 'Always' ? undefined : await runtime.imageStatus(image);
  if (present) {
    recorder.event(t.pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, { fieldPath });
  } else if (policy === 'Never') {
    recorder.event(t.pod, 'Warning', 'ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`, { fieldPath });
    throw new Error(`image ${image} is not present and the pull policy is Never`);
  } else {
    recorder.event(t.pod, 'Normal', 'Pulling', `Pulling image "${image}"`, { fieldPath });
    const began = performance.now();
    await runtime.pullImage(image);
    const took = goDuration(performance.now() - began);
    recorder.event(t.pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: 0 bytes.`, { fieldPath });
  }
  const id = await runtime.createContainer(t.sandboxId, {
    metadata: { name: t.spec['name'], attempt: t.attempt },
    image,
    command: t.spec['command'],
    args: t.spec['args'],
    init: t.init,
  });
  recorder.event(t.pod, 'Normal', 'Created', `Created container: ${t.spec['name']}`, { fieldPath });
  await runtime.startContainer(id);
  recorder.event(t.pod, 'Normal', 'Started', `Started container ${t.spec['name']}`, { fieldPath });
  return id;
}

/** Stops a running or created container with the Killing event. */
export async function stopContainer(runtime: Runtime, recorder: EventSink, pod: Obj, c: ContainerStatus, graceSeconds: number): Promise<void> {
  const spec = findSpec(pod, c.metadata.name);
  if (spec) recorder.event(pod, 'Normal', 'Killing', `Stopping container ${c.metadata.name}`, { fieldPath: fieldPathOf(spec.spec, spec.init) });
  await runtime.stopContainer(c.id, graceSeconds);
}

export function findSpec(pod: Obj, name: string): { spec: Obj; init: boolean } | undefined {
  const regular = (pod['spec']?.containers ?? []).find((c: Obj) => c['name'] === name);
  if (regular) return { spec: regular, init: false };
  const init = (pod['spec']?.initContainers ?? []).find((c: Obj) => c['name'] === name);
  return init ? { spec: init, init: true } : undefined;
}
