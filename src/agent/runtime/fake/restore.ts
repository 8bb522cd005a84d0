/**
 * What a restarted fake node still "runs". A real node's containers outlive
 * its agent and the agent adopts them from containerd; the fake runtime
 * keeps nothing on disk, so its state is rebuilt from the pod statuses it
 * posted before (container ids, start times, restart counts, IPs). The pod
 * sync loop then finds every container where it left it and writes nothing:
 * restarting a simulator of 10,000 pods does not rewrite 10,000 statuses.
 */
import { randomBytes } from 'node:crypto';
import type { Obj } from '../../../client/types.ts';
import type { ContainerStatus } from '../types.ts';
import type { FakeRuntime } from './fake-runtime.ts';

const scheme = 'fake://';
const time = (s: unknown): number => (typeof s === 'string' ? Date.parse(s) || 0 : 0);

function instance(id: string, name: string, attempt: number, st: Obj, image: string, imageRef: string): ContainerStatus | undefined {
  const base = { id, sandboxId: '', metadata: { name, attempt }, image, imageRef, createdAt: 0, startedAt: 0, finishedAt: 0, exitCode: 0, reason: '', message: '' };
  if (st['running']) return { ...base, state: 'running', createdAt: time(st['running'].startedAt), startedAt: time(st['running'].startedAt) };
  const t = st['terminated'];
  if (t) {
    return { ...base, state: 'exited', createdAt: time(t.startedAt), startedAt: time(t.startedAt), finishedAt: time(t.finishedAt), exitCode: t.exitCode ?? 0, reason: t.reason ?? '', message: t.message ?? '' };
  }
  return undefined;
}

/** Rebuilds the sandboxes of `pods` (those bound to this node) in `rt`; returns how many were restored. */
export function restoreFromPods(rt: FakeRuntime, pods: Obj[]): number {
  let restored = 0;
  for (const pod of pods) {
    const status = pod['status'] ?? {};
    const containers: { status: ContainerStatus; init: boolean }[] = [];
    const collect = (list: Obj[] | undefined, init: boolean) => {
      for (const cs of list ?? []) {
        const id = String(cs['containerID'] ?? '');
        const last = cs['lastState']?.terminated;
        const lastId = String(last?.containerID ?? '');
        if (lastId.startsWith(scheme)) {
          const attempt = cs['state']?.waiting ? cs['restartCount'] : Math.max(0, cs['restartCount'] - 1);
          const c = instance(lastId.slice(scheme.length), cs['name'], attempt, { terminated: last }, cs['image'], cs['imageID']);
          if (c) containers.push({ status: c, init });
        }
        if (!id.startsWith(scheme) || cs['state']?.waiting) continue;
        const c = instance(id.slice(scheme.length), cs['name'], cs['restartCount'] ?? 0, cs['state'] ?? {}, cs['image'], cs['imageID']);
        if (c) containers.push({ status: c, init });
      }
    };
    collect(status.initContainerStatuses, true);
    collect(status.containerStatuses, false);
    if (!containers.length) continue;
    const finished = status.phase === 'Succeeded' || status.phase === 'Failed';
    const ips = pod['spec']?.hostNetwork ? [] : ((status.podIPs ?? []) as Obj[]).map((p) => String(p['ip']));
    const m = pod['metadata'];
    rt.restoreSandbox(
      {
        id: randomBytes(32).toString('hex'),
        metadata: { name: m.name, namespace: m.namespace, uid: m.uid, attempt: 0 },
        state: finished ? 'notready' : 'ready',
        createdAt: time(status.startTime),
        ips,
        annotations: m.annotations ?? {},
      },
      containers,
    );
    restored++;
  }
  return restored;
}
