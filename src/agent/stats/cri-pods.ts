/**
 * Pod and container figures from a CRI runtime, joined as the kubelet's CRI
 * stats provider joins them: ready sandboxes are the pods, running
 * containers (the newest attempt per name) are their containers, and
 * `ListContainerStats` / `ListPodSandboxStats` give the usage. containerd
 * 1.6 serves both stats calls; a runtime without sandbox stats gets pod
 * figures summed from its containers.
 */
import type { RuntimeServiceClient } from '../cri/runtime-client.ts';
import type { ContainerStats as CriContainerStats, CpuUsage, MemoryUsage } from '../cri/proto/index.ts';
import { isoFromMs, type RateTracker } from './rates.ts';
import type { ContainerStats, CPUStats, MemoryStats, PodStats } from './types.ts';

export type CriStatsSource = Pick<RuntimeServiceClient, 'listPodSandbox' | 'listContainers' | 'listContainerStats' | 'listPodSandboxStats'>;

const msOf = (ns: number) => Math.floor(ns / 1e6);

function cpuOf(u: CpuUsage | undefined, key: string, rates: RateTracker): CPUStats | undefined {
  const total = u?.usageCoreNanoSeconds?.value;
  if (!u || total === undefined) return undefined;
  const at = msOf(u.timestamp);
  const own = rates.rate(key, total, at);
  return { time: isoFromMs(at), usageNanoCores: u.usageNanoCores?.value ?? own, usageCoreNanoSeconds: total };
}

function memoryOf(m: MemoryUsage | undefined): MemoryStats | undefined {
  if (!m || m.workingSetBytes === undefined) return undefined;
  const out: MemoryStats = { time: isoFromMs(msOf(m.timestamp)), workingSetBytes: m.workingSetBytes.value };
  if (m.availableBytes) out.availableBytes = m.availableBytes.value;
  if (m.usageBytes) out.usageBytes = m.usageBytes.value;
  if (m.rssBytes) out.rssBytes = m.rssBytes.value;
  if (m.pageFaults) out.pageFaults = m.pageFaults.value;
  if (m.majorPageFaults) out.majorPageFaults = m.majorPageFaults.value;
  return out;
}

/** Adds the containers' figures up (pod totals when the runtime has no sandbox stats). */
export function sumContainers(cs: ContainerStats[]): { cpu?: CPUStats; memory?: MemoryStats } {
  const withCpu = cs.filter((c) => c.cpu?.usageCoreNanoSeconds !== undefined);
  const withMem = cs.filter((c) => c.memory?.workingSetBytes !== undefined);
  const latest = (ts: string[]) => ts.reduce((a, b) => (a > b ? a : b));
  const out: { cpu?: CPUStats; memory?: MemoryStats } = {};
  if (withCpu.length) {
    const rates = withCpu.map((c) => c.cpu!.usageNanoCores);
    out.cpu = {
      time: latest(withCpu.map((c) => c.cpu!.time)),
      usageCoreNanoSeconds: withCpu.reduce((s, c) => s + c.cpu!.usageCoreNanoSeconds!, 0),
      usageNanoCores: rates.every((r) => r !== undefined) ? rates.reduce((s, r) => s! + r!, 0) : undefined,
    };
  }
  if (withMem.length) {
    out.memory = {
      time: latest(withMem.map((c) => c.memory!.time)),
      workingSetBytes: withMem.reduce((s, c) => s + c.memory!.workingSetBytes!, 0),
      usageBytes: withMem.reduce((s, c) => s + (c.memory!.usageBytes ?? 0), 0),
      rssBytes: withMem.reduce((s, c) => s + (c.memory!.rssBytes ?? 0), 0),
    };
  }
  return out;
}

export async function criPodStats(rt: CriStatsSource, rates: RateTracker): Promise<PodStats[]> {
  const [sandboxes, containers, cstats, sstats] = await Promise.all([
    rt.listPodSandbox({ state: { state: 'SANDBOX_READY' } }),
    rt.listContainers({ state: { state: 'CONTAINER_RUNNING' } }),
    rt.listContainerStats(),
    // Older runtimes answer Unimplemented: pod figures are then summed.
    rt.listPodSandboxStats().catch(() => []),
  ]);
  const statsById = new Map<string, CriContainerStats>();
  for (const s of cstats) if (s.attributes?.id) statsById.set(s.attributes.id, s);
  const sandboxStats = new Map(sstats.map((s) => [s.attributes?.id ?? '', s]));

  // The newest running container of each name per sandbox.
  const bySandbox = new Map<string, Map<string, (typeof containers)[number]>>();
  for (const c of containers) {
    const name = c.metadata?.name ?? '';
    let m = bySandbox.get(c.podSandboxId);
    if (!m) bySandbox.set(c.podSandboxId, (m = new Map()));
    const prev = m.get(name);
    if (!prev || c.createdAt > prev.createdAt) m.set(name, c);
  }

  const pods: PodStats[] = [];
  for (const sb of sandboxes) {
    const md = sb.metadata;
    if (!md) continue;
    const cs: ContainerStats[] = [];
    for (const [name, c] of bySandbox.get(sb.id) ?? []) {
      const s = statsById.get(c.id);
      const entry: ContainerStats = { name, startTime: isoFromMs(msOf(c.createdAt)) };
      const cpu = cpuOf(s?.cpu, `c/${c.id}`, rates);
      const memory = memoryOf(s?.memory);
      if (cpu) entry.cpu = cpu;
      if (memory) entry.memory = memory;
      cs.push(entry);
    }
    cs.sort((a, b) => a.name.localeCompare(b.name));
    const pod: PodStats = { podRef: { name: md.name, namespace: md.namespace, uid: md.uid }, startTime: isoFromMs(msOf(sb.createdAt)), containers: cs };
    const linux = sandboxStats.get(sb.id)?.linux;
    const summed = sumContainers(cs);
    const cpu = cpuOf(linux?.cpu, `p/${sb.id}`, rates) ?? summed.cpu;
    const memory = memoryOf(linux?.memory) ?? summed.memory;
    if (cpu) pod.cpu = cpu;
    if (memory) pod.memory = memory;
    pods.push(pod);
  }
  return pods;
}
