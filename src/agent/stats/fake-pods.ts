/**
 * Plausible, deterministic figures for the fake runtime's simulated
 * containers, so simulated nodes show in `kubectl top` too. Each running
 * container gets a steady CPU rate and working set derived from a hash of
 * its pod and name (2–49 m, 8–63 Mi), unless the pod's annotations set them:
 *
 *   bramble.io/fake-cpu: "250m"      (per container)
 *   bramble.io/fake-memory: "64Mi"   (per container)
 *
 * Cumulative CPU is rate × time since the container started, so the rate a
 * consumer computes from two samples is exactly the configured one.
 */
import { createHash } from 'node:crypto';
import { parseQuantity } from '../../api/quantity.ts';
import type { Runtime } from '../runtime/types.ts';
import { sumContainers } from './cri-pods.ts';
import { isoFromMs } from './rates.ts';
import type { ContainerStats, PodStats } from './types.ts';

export const fakeCpuAnnotation = 'bramble.io/fake-cpu';
export const fakeMemoryAnnotation = 'bramble.io/fake-memory';

const MI = 1024 * 1024;

function hash32(s: string): number {
  return createHash('sha1').update(s).digest().readUInt32BE(0);
}

/** A quantity annotation as a number in `unit`s (1e-9 for nanocores, 1 for bytes), or undefined. */
function annotationValue(v: string | undefined, perUnit: number): number | undefined {
  if (v === undefined) return undefined;
  const q = parseQuantity(v);
  if (!q.ok) return undefined;
  const n = Number(q.quantity.unscaled) * 10 ** q.quantity.scale * perUnit;
  return Number.isFinite(n) && n >= 0 ? Math.round(n) : undefined;
}

/** The steady figures of one simulated container. */
export function fakeFigures(namespace: string, pod: string, container: string, annotations: Record<string, string>): { nanoCores: number; workingSetBytes: number } {
  const h = hash32(`${namespace}/${pod}/${container}`);
  return {
    nanoCores: annotationValue(annotations[fakeCpuAnnotation], 1e9) ?? (2 + (h % 48)) * 1e6,
    workingSetBytes: annotationValue(annotations[fakeMemoryAnnotation], 1) ?? (8 + ((h >>> 8) % 56)) * MI + ((h >>> 16) % 1024) * 1024,
  };
}

export async function fakePodStats(rt: Pick<Runtime, 'listPodSandboxes' | 'listContainers'>, nowMs: number): Promise<PodStats[]> {
  const [sandboxes, containers] = await Promise.all([rt.listPodSandboxes({ state: 'ready' }), rt.listContainers()]);
  const time = isoFromMs(nowMs);
  const pods: PodStats[] = [];
  for (const sb of sandboxes) {
    const cs: ContainerStats[] = [];
    const newest = new Map<string, (typeof containers)[number]>();
    for (const c of containers) {
      if (c.sandboxId !== sb.id || c.state !== 'running') continue;
      const prev = newest.get(c.metadata.name);
      if (!prev || c.startedAt > prev.startedAt) newest.set(c.metadata.name, c);
    }
    for (const c of newest.values()) {
      const f = fakeFigures(sb.metadata.namespace, sb.metadata.name, c.metadata.name, sb.annotations);
      const started = c.startedAt || c.createdAt || nowMs;
      cs.push({
        name: c.metadata.name,
        startTime: isoFromMs(started),
        cpu: { time, usageNanoCores: f.nanoCores, usageCoreNanoSeconds: Math.round((f.nanoCores * Math.max(0, nowMs - started)) / 1000) },
        memory: { time, workingSetBytes: f.workingSetBytes, usageBytes: f.workingSetBytes, rssBytes: Math.round(f.workingSetBytes * 0.8), pageFaults: 0, majorPageFaults: 0 },
      });
    }
    cs.sort((a, b) => a.name.localeCompare(b.name));
    const pod: PodStats = { podRef: { name: sb.metadata.name, namespace: sb.metadata.namespace, uid: sb.metadata.uid }, startTime: isoFromMs(sb.createdAt), containers: cs };
    Object.assign(pod, sumContainers(cs));
    pods.push(pod);
  }
  return pods;
}
