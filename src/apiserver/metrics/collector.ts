/**
 * The metrics store: scrapes every Ready node's summary and turns two
 * consecutive samples into CPU rates, as metrics-server does (its CPU figure
 * is Δ usageCoreNanoSeconds / Δ time, and `window` is that Δ time; memory is
 * the latest working set).
 *
 * No idle cost: nothing runs until someone asks. The first request scrapes
 * twice, `coldGapMs` apart, so it can answer with rates; after that a
 * background round every `refreshMs` (15 s) keeps figures fresh while
 * requests keep coming, and stops once nobody asked for `idleMs` (5 min).
 * Samples older than two refresh periods are discarded rather than used
 * for a rate over minutes.
 */
import { agentEndpoint, isNodeReady } from '../../api/node-status.ts';
import type { Summary } from '../../agent/stats/types.ts';
import type { Obj } from '../../registry/types.ts';
import { logger } from '../../util/log.ts';
import type { ScrapeTarget, SummarySource } from './scraper.ts';

const log = logger('metrics');

export interface Usage {
  /** Nanocores. */
  cpu: number;
  /** Working set bytes. */
  memory: number;
}

export interface NodePoint {
  /** Epoch ms of the newer sample. */
  timestamp: number;
  windowMs: number;
  usage: Usage;
}

export interface PodPoint extends NodePoint {
  name: string;
  namespace: string;
  uid: string;
  containers: { name: string; usage: Usage }[];
}

export interface MetricsSnapshot {
  nodes: Map<string, NodePoint>;
  /** By pod uid. */
  pods: Map<string, PodPoint>;
}

export interface CollectorOptions {
  source: SummarySource;
  /** The Node objects (the registry's, in the server). */
  listNodes(): Promise<Obj[]>;
  now?: () => number;
  refreshMs?: number;
  idleMs?: number;
  coldGapMs?: number;
  /** Per-node scrape timeout. */
  timeoutMs?: number;
}

interface CpuSample {
  ns: number;
  at: number;
}

interface ContainerSample {
  cpu?: CpuSample;
  memory?: number;
  startMs?: number;
}

interface NodeSample {
  at: number;
  cpu?: CpuSample;
  memory?: number;
  pods: Map<string, { name: string; namespace: string; uid: string; at: number; containers: Map<string, ContainerSample> }>;
}

/** Where a node's agent listens: its InternalIP and kubelet port, if Ready. */
export function scrapeTarget(node: Obj): ScrapeTarget | undefined {
  const agent = isNodeReady(node) ? agentEndpoint(node) : undefined;
  return agent && { nodeName: node['metadata']?.name, ...agent };
}

const ms = (t: string | undefined) => (t ? Date.parse(t) : NaN);

function toSample(s: Summary, fallbackAt: number): NodeSample {
  const cpuOf = (c: { time: string; usageCoreNanoSeconds?: number } | undefined): CpuSample | undefined =>
    c && typeof c.usageCoreNanoSeconds === 'number' && Number.isFinite(ms(c.time)) ? { ns: c.usageCoreNanoSeconds, at: ms(c.time) } : undefined;
  const pods: NodeSample['pods'] = new Map();
  for (const p of s.pods ?? []) {
    if (!p.podRef?.uid) continue;
    const containers = new Map<string, ContainerSample>();
    for (const c of p.containers ?? []) {
      containers.set(c.name, { cpu: cpuOf(c.cpu), memory: c.memory?.workingSetBytes, startMs: Number.isFinite(ms(c.startTime)) ? ms(c.startTime) : undefined });
    }
    pods.set(p.podRef.uid, { ...p.podRef, at: fallbackAt, containers });
  }
  return { at: fallbackAt, cpu: cpuOf(s.node?.cpu), memory: s.node?.memory?.workingSetBytes, pods };
}

/** Nanocores between two samples; undefined when there is no valid window or the counter went back (a restart). */
function rate(prev: CpuSample | undefined, cur: CpuSample): { nanoCores: number; windowMs: number } | undefined {
  if (!prev || cur.at <= prev.at || cur.ns < prev.ns) return undefined;
  return { nanoCores: Math.round(((cur.ns - prev.ns) * 1000) / (cur.at - prev.at)), windowMs: cur.at - prev.at };
}

/** Rate of a container: from its previous sample, or from its start if it started since (metrics-server does the same). */
function containerRate(prev: ContainerSample | undefined, cur: ContainerSample, prevScrapeAt: number | undefined) {
  if (!cur.cpu) return undefined;
  const sameRun = prev?.startMs === undefined || cur.startMs === undefined || prev.startMs === cur.startMs;
  if (prev?.cpu && sameRun) return rate(prev.cpu, cur.cpu);
  if (cur.startMs !== undefined && prevScrapeAt !== undefined && cur.startMs >= prevScrapeAt) return rate({ ns: 0, at: cur.startMs }, cur.cpu);
  return undefined;
}

export class MetricsCollector {
  private readonly o: Required<Omit<CollectorOptions, 'timeoutMs'>> & { timeoutMs: number };
  private samples = new Map<string, { prev?: NodeSample; cur: NodeSample }>();
  private snapshot: MetricsSnapshot = { nodes: new Map(), pods: new Map() };
  private scrapedAt: number | undefined;
  private lastAsked = 0;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private cold: Promise<void> | undefined;
  private stopped = false;
  /** Nodes the last round tried to scrape, answering or not. */
  private attempted = new Set<string>();

  constructor(o: CollectorOptions) {
    this.o = { now: Date.now, refreshMs: 15_000, idleMs: 5 * 60_000, coldGapMs: 1_000, timeoutMs: 5_000, ...o };
  }

  /** Whether the background refresh is running (for tests: it must stop when idle). */
  get refreshing(): boolean {
    return this.timer !== undefined;
  }

  /** Current figures, scraping first when there are none fresh enough. */
  async get(): Promise<MetricsSnapshot> {
    if (this.stopped) return this.snapshot;
    this.lastAsked = this.o.now();
    this.startRefresh();
    const stale = this.scrapedAt === undefined || this.o.now() - this.scrapedAt > 2 * this.o.refreshMs;
    // A Ready node no round has tried yet (it just joined) is scraped now
    // rather than at the next refresh; nodes that did not answer wait for it.
    if (stale || (await this.hasUntriedNode())) await (this.cold ??= this.coldStart(stale).finally(() => (this.cold = undefined)));
    return this.snapshot;
  }

  private async hasUntriedNode(): Promise<boolean> {
    try {
      return (await this.o.listNodes()).some((n) => {
        const t = scrapeTarget(n);
        return t !== undefined && !this.attempted.has(t.nodeName);
      });
    } catch {
      return false;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private startRefresh(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.o.now() - this.lastAsked > this.o.idleMs) {
        clearInterval(this.timer);
        this.timer = undefined;
        log.debug('metrics refresh idle: stopped');
        return;
      }
      void this.scrape();
    }, this.o.refreshMs);
    this.timer.unref();
  }

  /** Stale samples are dropped, then one round; a second round shortly after gives nodes their first rates. */
  private async coldStart(stale: boolean): Promise<void> {
    if (stale) this.samples.clear();
    await this.scrape();
    const needRates = [...this.samples.values()].some((s) => !s.prev);
    if (!needRates || this.stopped) return;
    await new Promise((r) => setTimeout(r, this.o.coldGapMs));
    await this.scrape();
  }

  /** One scrape of every Ready node (one round at a time). */
  private scrape(): Promise<void> {
    return (this.round ??= this.scrapeRound().finally(() => (this.round = undefined)));
  }

  private async scrapeRound(): Promise<void> {
    const started = this.o.now();
    let targets: ScrapeTarget[];
    try {
      targets = (await this.o.listNodes()).map(scrapeTarget).filter((t): t is ScrapeTarget => !!t);
    } catch (e) {
      log.warn('metrics: cannot list nodes', { err: e });
      return;
    }
    const results = await Promise.allSettled(targets.map((t) => this.o.source.fetch(t, AbortSignal.timeout(this.o.timeoutMs))));
    const next = new Map<string, { prev?: NodeSample; cur: NodeSample }>();
    results.forEach((r, i) => {
      const t = targets[i]!;
      if (r.status === 'rejected') {
        // As metrics-server: a node that cannot be scraped has no figures this round.
        log.debug('metrics: scrape failed', { node: t.nodeName, err: r.reason });
        return;
      }
      const old = this.samples.get(t.nodeName);
      next.set(t.nodeName, { prev: old?.cur, cur: toSample(r.value, this.o.now()) });
    });
    this.samples = next;
    this.scrapedAt = started;
    this.snapshot = this.compute();
    this.attempted = new Set(targets.map((t) => t.nodeName));
    log.debug('metrics: scraped', { nodes: targets.length, ok: next.size, ms: this.o.now() - started });
  }

  private compute(): MetricsSnapshot {
    const nodes = new Map<string, NodePoint>();
    const pods = new Map<string, PodPoint>();
    for (const [name, { prev, cur }] of this.samples) {
      const r = cur.cpu && rate(prev?.cpu, cur.cpu);
      if (r && cur.memory !== undefined) nodes.set(name, { timestamp: cur.cpu!.at, windowMs: r.windowMs, usage: { cpu: r.nanoCores, memory: cur.memory } });
      for (const [uid, p] of cur.pods) {
        const prevPod = prev?.pods.get(uid);
        const containers: PodPoint['containers'] = [];
        let complete = p.containers.size > 0;
        let timestamp = 0;
        let windowMs = 0;
        for (const [cname, c] of p.containers) {
          const cr = containerRate(prevPod?.containers.get(cname), c, prev?.at);
          if (!cr || c.memory === undefined) {
            complete = false;
            break;
          }
          containers.push({ name: cname, usage: { cpu: cr.nanoCores, memory: c.memory } });
          timestamp = Math.max(timestamp, c.cpu!.at);
          windowMs = Math.max(windowMs, cr.windowMs);
        }
        // metrics-server leaves out a pod while any of its containers lacks figures.
        if (complete) pods.set(uid, { name: p.name, namespace: p.namespace, uid, timestamp, windowMs, usage: sumUsage(containers), containers });
      }
    }
    return { nodes, pods };
  }
}

function sumUsage(cs: { usage: Usage }[]): Usage {
  return cs.reduce((s, c) => ({ cpu: s.cpu + c.usage.cpu, memory: s.memory + c.usage.memory }), { cpu: 0, memory: 0 });
}
