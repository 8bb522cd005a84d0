/**
 * Scheduler benchmark, in-process: a registry over SQLite (the inline
 * writer `bramble server` uses), Node objects (no agents), the scheduler run
 * by the controller manager, and pods created through the in-process client
 * while it runs. Reports pods bound per second (first create → last bound)
 * and create→bound latency percentiles, for plain pods and for pods with
 * required anti-affinity (upstream scheduler_perf's SchedulingBasic and
 * SchedulingPodAntiAffinity shapes: 4 CPU / 32 Gi / 110-pod nodes, pods
 * requesting 100m / 500Mi).
 *
 *   node_modules/.bin/node bench/scheduler.ts                      # 5,000 nodes; 10,000 pods; 2,000 anti-affinity pods
 *   node_modules/.bin/node bench/scheduler.ts --quick              # 500 nodes; 1,000 pods; 300 anti-affinity pods
 *   node_modules/.bin/node bench/scheduler.ts --nodes=5000 --pods=10000 --anti-pods=2000 --concurrency=64 --writer=inline|thread
 *       --only=basic|anti|algorithm|e2e|e2e-basic|… --json --no-wait
 *   node_modules/.bin/node --cpu-prof --cpu-prof-dir=/tmp/prof bench/scheduler.ts --only=basic
 *
 * Everything (pod creation, API machinery, storage, scheduler) shares one
 * thread, as in `bramble server`; the SQLite writer's fsyncs block it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { realClock } from '../src/client/clock.ts';
import { InProcessClient } from '../src/client/in-process.ts';
import { InformerFactory } from '../src/client/informer.ts';
import { resources, type Client, type Obj } from '../src/client/types.ts';
import { defaultControllerConfig, recorderFactory, runControllers } from '../src/controllers/manager.ts';
import { Registry } from '../src/registry/registry.ts';
import { SchedulerCache } from '../src/scheduler/cache/cache.ts';
import { assumedPodInfo, newPodInfo } from '../src/scheduler/cache/pod-info.ts';
import { CycleState } from '../src/scheduler/framework/cycle-state.ts';
import { Framework } from '../src/scheduler/framework/framework.ts';
import { staticNamespaces } from '../src/scheduler/framework/handle.ts';
import { defaultPlugins } from '../src/scheduler/framework/profile.ts';
import { noWorkloads } from '../src/scheduler/listers.ts';
import { Algorithm } from '../src/scheduler/schedule-one.ts';
import { Scheduler } from '../src/scheduler/scheduler.ts';
import { createHooks } from '../src/server/hooks.ts';
import { openSqliteBackend } from '../src/storage/sqlite/sqlite.ts';
import { setLogLevel } from '../src/util/log.ts';
import { beforePhase, machineLoad, selfCpu } from './lib/proc.ts';
import { benchArgs, fmt, fmtSummary, report, summarize } from './lib/stats.ts';

const args = benchArgs();
const NODES = Number(args.get('nodes') ?? (args.quick ? 500 : 5000));
const PODS = Number(args.get('pods') ?? (args.quick ? 1000 : 10_000));
const ANTI_PODS = Number(args.get('anti-pods') ?? (args.quick ? 300 : 2000));
const CONCURRENCY = Number(args.get('concurrency') ?? 64);
const ONLY = args.get('only');
/** `inline` (what `bramble server` uses: commits block the event loop) or `thread`. */
const WRITER = (args.get('writer') ?? 'inline') as 'inline' | 'thread';
const TARGET_PODS_PER_S = 1000;
const rep = report('scheduler', args.json);
setLogLevel('warn');

const user = { name: 'system:kube-scheduler', groups: ['system:masters', 'system:authenticated'], via: 'token' as const };

function node(i: number): Obj {
  const name = `node-${i}`;
  const capacity = { cpu: '4', memory: '32Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64' } },
    status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
  };
}

function pod(name: string, anti: boolean): Obj {
  const p: Obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: anti ? { color: 'green', name: 'test' } : { app: 'bench' } },
    spec: {
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '500Mi' }, limits: { cpu: '100m', memory: '500Mi' } } }],
    },
  };
  if (anti) {
    p['spec'].affinity = {
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { color: 'green' } }, topologyKey: 'kubernetes.io/hostname' }] },
    };
  }
  return p;
}

/** Runs `n` async jobs with at most `limit` in flight. */
async function pool(n: number, limit: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

async function runCase(key: string, title: string, count: number, anti: boolean): Promise<void> {
  rep.section(`${title}: ${NODES} nodes, ${count} pods, ${CONCURRENCY} concurrent creates, ${WRITER} SQLite writer`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bramble-sched-bench-'));
  const backend = await openSqliteBackend({ path: path.join(dir, 'state.db'), writer: WRITER, compactIntervalMs: 0 });
  const registry = new Registry(backend, createHooks());
  await registry.bootstrap({ user, warnings: [] });
  const client = new InProcessClient(registry, user);
  const stop = new AbortController();
  try {
    const tNodes = performance.now();
    await pool(NODES, 64, async (i) => void (await client.create(resources.nodes, '', node(i))));
    rep.line(`${key}.nodes`, 'create nodes', `${NODES} in ${fmt(performance.now() - tNodes)} ms`);

    let scheduler!: Scheduler;
    const recorders = recorderFactory(client);
    const running = runControllers(
      { client, informers: new InformerFactory(client), recorder: recorders, config: defaultControllerConfig, clock: realClock },
      { scheduler: (ctx) => (scheduler = new Scheduler(ctx)) },
      stop.signal,
    );
    while (!scheduler || scheduler.cache.numNodes < NODES) await new Promise((r) => setTimeout(r, 20));

    // Bound times, seen by a watcher as a kubelet would see them.
    const created = new Float64Array(count);
    const bound = new Float64Array(count);
    const boundTo = new Map<string, number>();
    let boundCount = 0;
    let allBound!: () => void;
    const done = new Promise<void>((r) => (allBound = r));
    const rv = (await client.list(resources.pods, 'default', { limit: 1 })).resourceVersion;
    const w = await client.watch(resources.pods, 'default', { resourceVersion: rv }, stop.signal);
    const pumping = w.pump((events) => {
      const now = performance.now();
      for (const ev of events) {
        const nodeName = ev.object['spec']?.nodeName;
        if (ev.type !== 'MODIFIED' || !nodeName) continue;
        const i = Number(ev.object['metadata'].name.slice(4));
        if (bound[i] !== 0) continue;
        bound[i] = now;
        boundTo.set(nodeName, (boundTo.get(nodeName) ?? 0) + 1);
        if (++boundCount === count) allBound();
      }
    });

    await beforePhase([], args.waitQuiet);
    const load = machineLoad([]);
    const cpu = selfCpu();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const before = { ...scheduler.metrics };
    const t0 = performance.now();
    let lastCreate = 0;
    await pool(count, CONCURRENCY, async (i) => {
      created[i] = performance.now();
      await client.create(resources.pods, 'default', pod(`pod-${String(i).padStart(5, '0')}`, anti));
      lastCreate = performance.now();
    });
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 120_000).unref());
    const outcome = await Promise.race([done.then(() => 'ok' as const), timeout]);
    const tEnd = outcome === 'ok' ? Math.max(...bound) : performance.now();
    loop.disable();
    const cpuPct = cpu();
    const l = load();
    const m = scheduler.metrics;

    const lat: number[] = [];
    for (let i = 0; i < count; i++) if (bound[i]) lat.push(bound[i]! - created[i]!);
    const seconds = (tEnd - t0) / 1000;
    const rate = boundCount / seconds;
    rep.line(`${key}.throughput`, 'pods bound per second (first create → last bound)', `${rate.toFixed(0)} pods/s  (${boundCount}/${count} in ${seconds.toFixed(2)} s) ${rate >= TARGET_PODS_PER_S ? `[PASS >= ${TARGET_PODS_PER_S} pods/s]` : `[MISS < ${TARGET_PODS_PER_S} pods/s]`}`, {
      podsPerSecond: rate,
      bound: boundCount,
      seconds,
    });
    rep.line(`${key}.createRate`, 'pods created per second', `${(count / ((lastCreate - t0) / 1000)).toFixed(0)} pods/s`);
    const s = summarize(lat);
    rep.line(`${key}.latency`, 'create → bound latency', fmtSummary(s), s);
    const cycles = m.attempts - before.attempts;
    rep.line(`${key}.cycle`, 'scheduling cycle (synchronous part), mean', `${fmt((m.cycleMs - before.cycleMs) / Math.max(1, cycles))} ms over ${cycles} attempts (${m.unschedulable - before.unschedulable} unschedulable, ${m.errors - before.errors} errors, ${m.bindFailures - before.bindFailures} binding failures)`, {
      meanMs: (m.cycleMs - before.cycleMs) / Math.max(1, cycles),
      attempts: cycles,
    });
    rep.line(`${key}.perCpu`, 'pods bound per CPU-second of this process', `${(boundCount / ((cpuPct / 100) * seconds)).toFixed(0)} pods/CPU-s (all of it: creates, API, storage, scheduler, events)`, {
      podsPerCpuSecond: boundCount / ((cpuPct / 100) * seconds),
    });
    rep.line(`${key}.cpu`, 'this process: CPU, event-loop delay p99', `${cpuPct.toFixed(0)}% of a core, loop p99 ${fmt(loop.percentile(99) / 1e6)} ms`);
    rep.line(`${key}.load`, 'other processes on the machine', `${l.otherCores.toFixed(2)} cores (loadavg ${l.loadavg})`, { otherCores: l.otherCores });
    const maxPerNode = Math.max(0, ...boundTo.values());
    rep.line(`${key}.placement`, 'placement', `${boundTo.size} nodes used, at most ${maxPerNode} pods on one node${anti && maxPerNode > 1 ? '  [ANTI-AFFINITY VIOLATED]' : ''}`);
    const tFlush = performance.now();
    await recorders('default-scheduler').flush();
    const evs = (await client.list(resources.events, 'default')).items.filter((e) => e['reason'] === 'Scheduled').length;
    rep.line(`${key}.events`, 'Scheduled events written', `${evs} of ${count}, the last ${fmt(performance.now() - tFlush)} ms after the last binding (the recorder writes one at a time and drops a backlog over 1,000)`, { scheduledEvents: evs });
    if (outcome !== 'ok') rep.line(`${key}.timeout`, 'TIMEOUT', `only ${boundCount} of ${count} bound after 120 s`);
    stop.abort();
    await Promise.allSettled([running, pumping]);
  } finally {
    stop.abort();
    await backend.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The scheduling algorithm alone, no API: the cache holds the nodes, each
 * pod is taken through one cycle and assumed on its node. The ceiling the
 * scheduler itself puts on throughput; timed in CPU as well as wall time
 * because the machine is shared.
 */
function algorithmOnly(key: string, title: string, count: number, anti: boolean): void {
  rep.section(`${title}, algorithm only: ${NODES} nodes, ${count} pods`);
  const cache = new SchedulerCache();
  for (let i = 0; i < NODES; i++) cache.addNode(node(i));
  const handle = { cache, namespaces: staticNamespaces({ default: {} }), workloads: noWorkloads };
  let fwk!: Framework;
  const noClient = {} as Client;
  fwk = new Framework(defaultPlugins(handle, noClient, () => (st, p, n) => fwk.runFilter(st, p, n)));
  const algo = new Algorithm(fwk, cache);
  const pods = Array.from({ length: count }, (_, i) => {
    const p = pod(`pod-${i}`, anti);
    p['metadata'] = { ...p['metadata'], namespace: 'default', uid: `uid-${i}` };
    return p;
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let placed = 0;
  for (const p of pods) {
    const info = newPodInfo(p);
    const out = algo.schedulePod(new CycleState(), info);
    if (out.kind !== 'scheduled') continue;
    cache.assumePod(assumedPodInfo(info, out.nodeName));
    placed++;
  }
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  const cpuS = (c.user + c.system) / 1e6;
  rep.line(`${key}.algorithm`, 'cycles per second (wall; per CPU-second)', `${(count / wall).toFixed(0)} pods/s; ${(count / cpuS).toFixed(0)} pods/CPU-s  (${placed}/${count} placed, ${fmt((cpuS * 1000) / count)} ms CPU per pod)`, {
    podsPerSecond: count / wall,
    podsPerCpuSecond: count / cpuS,
    cpuMsPerPod: (cpuS * 1000) / count,
  });
}

/** `--only=basic`, `anti`, `algorithm`, `e2e` or a full phase name (`e2e-anti`), comma-separated. */
const want = (phase: string) => !ONLY || ONLY.split(',').some((o) => phase === o || phase.startsWith(`${o}-`) || phase.endsWith(`-${o}`));
if (want('algorithm-basic')) algorithmOnly('algorithm.basic', 'SchedulingBasic', PODS, false);
if (want('algorithm-anti')) algorithmOnly('algorithm.anti', 'SchedulingPodAntiAffinity', ANTI_PODS, true);
if (want('e2e-basic')) await runCase('basic', 'SchedulingBasic', PODS, false);
if (want('e2e-anti')) await runCase('anti', 'SchedulingPodAntiAffinity (required, hostname)', ANTI_PODS, true);
rep.finish({ writer: WRITER, nodes: NODES, pods: PODS, antiPods: ANTI_PODS, concurrency: CONCURRENCY, cpus: os.cpus().length });
