/**
 * The node agent's stats provider: what `GET /stats/summary` answers.
 *
 *   createStatsProvider({ nodeName, dataDir, cri })       real host + CRI containers
 *   createStatsProvider({ nodeName, dataDir, runtime })   simulated node (fake runtime)
 *
 * Nothing is sampled in the background: each `summary()` reads the host and
 * the runtime once (a consumer such as the API server's metrics scraper
 * polls every 15 s, and only while someone asks). CPU rates
 * (`usageNanoCores`) are computed between consecutive summaries; consumers
 * that need exact windows use `usageCoreNanoSeconds` and `time`.
 */
import type { Runtime } from '../runtime/types.ts';
import { criPodStats, type CriStatsSource } from './cri-pods.ts';
import { fakePodStats } from './fake-pods.ts';
import { readFsStats, readHost } from './host.ts';
import { isoFromMs, RateTracker } from './rates.ts';
import type { NodeStats, PodStats, Summary } from './types.ts';

export interface StatsProviderOptions {
  nodeName: string;
  /** The agent's data dir: its filesystem is the node's `fs`. */
  dataDir: string;
  /** Real containers: the CRI runtime service (containerd). */
  cri?: CriStatsSource;
  /** The fake runtime: simulated containers with deterministic figures. */
  runtime?: Pick<Runtime, 'listPodSandboxes' | 'listContainers'>;
  /**
   * Node CPU and memory simulated from the pods (a base plus their sum)
   * rather than read from the host. Default: on for the fake runtime, so N
   * simulated nodes in one process do not all report the same host.
   */
  simulatedNode?: boolean;
  /** /proc, except in tests. */
  procRoot?: string;
  now?: () => number;
}

export interface StatsProvider {
  summary(): Promise<Summary>;
}

/** What a simulated node uses besides its pods (an idle Pi 4 with the agent). */
const SIM_BASE_NANOCORES = 80e6;
const SIM_BASE_MEMORY = 320 * 1024 * 1024;

export function createStatsProvider(o: StatsProviderOptions): StatsProvider {
  const now = o.now ?? Date.now;
  const rates = new RateTracker();
  const simulated = o.simulatedNode ?? (!o.cri && !!o.runtime);
  const startedAt = now();
  // A simulated node's cumulative CPU: advanced by its current rate at each
  // summary, so it never goes backwards when pods come and go.
  let simCpu = { usageNs: 0, atMs: startedAt };

  async function podStats(at: number): Promise<PodStats[]> {
    if (o.cri) return criPodStats(o.cri, rates);
    if (o.runtime) return fakePodStats(o.runtime, at);
    return [];
  }

  async function hostNode(at: number): Promise<NodeStats> {
    const h = await readHost(o.procRoot);
    const time = isoFromMs(at);
    return {
      nodeName: o.nodeName,
      startTime: h.cpu.bootTime ? isoFromMs(h.cpu.bootTime * 1000) : undefined,
      cpu: { time, usageNanoCores: rates.rate('node', h.cpu.usageCoreNanoSeconds, at), usageCoreNanoSeconds: h.cpu.usageCoreNanoSeconds },
      memory: {
        time,
        availableBytes: h.memory.availableBytes,
        usageBytes: h.memory.usageBytes,
        workingSetBytes: h.memory.workingSetBytes,
        rssBytes: h.memory.rssBytes,
        pageFaults: h.faults.pageFaults,
        majorPageFaults: h.faults.majorPageFaults,
      },
      rlimit: { time, maxpid: h.maxpid, curproc: h.curproc },
    };
  }

  function simulatedNode(at: number, pods: PodStats[]): NodeStats {
    const time = isoFromMs(at);
    const nanoCores = SIM_BASE_NANOCORES + pods.reduce((s, p) => s + (p.cpu?.usageNanoCores ?? 0), 0);
    simCpu = { usageNs: simCpu.usageNs + Math.round((nanoCores * Math.max(0, at - simCpu.atMs)) / 1000), atMs: at };
    const workingSet = SIM_BASE_MEMORY + pods.reduce((s, p) => s + (p.memory?.workingSetBytes ?? 0), 0);
    return {
      nodeName: o.nodeName,
      startTime: isoFromMs(startedAt),
      cpu: { time, usageNanoCores: nanoCores, usageCoreNanoSeconds: simCpu.usageNs },
      memory: { time, usageBytes: workingSet, workingSetBytes: workingSet, rssBytes: Math.round(workingSet * 0.8), pageFaults: 0, majorPageFaults: 0 },
    };
  }

  return {
    async summary() {
      const at = now();
      const [pods, fsStats] = await Promise.all([podStats(at), readFsStats(o.dataDir).catch(() => undefined)]);
      const node = simulated ? simulatedNode(at, pods) : await hostNode(at);
      if (fsStats) node.fs = { time: isoFromMs(at), ...fsStats };
      rates.sweep();
      return { node, pods };
    },
  };
}
