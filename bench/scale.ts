/**
 * Scale with simulated nodes (kwok's CI bar), against a real server:
 *
 *   node_modules/.bin/node bench/scale.ts [--nodes=5000] [--pods=10000] [--mode=prebound|deployment]
 *        [--steady-seconds=60] [--quick] [--json] [--no-wait]
 *
 * 1. `bramble sim --nodes N` (one process): time until all N Nodes are Ready,
 *    seen through a Node watch from this process. Target <= 60 s.
 * 2. Steady heartbeats: with every node renewing its Lease each 10 s, the
 *    server's CPU and RSS and what reaches the datastore per second: rows
 *    appended to the log table (read from the DB file), bytes the server
 *    process wrote (/proc/<pid>/io write_bytes), growth of the DB and WAL
 *    files, and revisions handed out (deferred heartbeats included).
 * 3. Pods: `prebound` creates the pods with spec.nodeName set round-robin
 *    (32 requests in flight); `deployment` creates one Deployment of that
 *    many replicas (needs the ReplicaSet controller and the scheduler).
 *    Time until all are Running with an IP. Target <= 60 s.
 * 4. Deletion: every pod deleted with the default grace period (the
 *    simulated kubelets finish them), or the Deployment deleted; time until
 *    the last pod is gone. Target <= 90 s.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { HttpClient } from '../src/client/http.ts';
import { resources, type ApiWatchEvent, type Obj } from '../src/client/types.ts';
import { brambleBin } from '../test/harness/server.ts';
import { beforePhase, sampler, snapshot } from './lib/proc.ts';
import { startBenchServer } from './lib/server.ts';
import { benchArgs, mb, report, sleep, verdict } from './lib/stats.ts';

const args = benchArgs();
const NODES = Number(args.get('nodes') ?? (args.quick ? 500 : 5000));
const PODS = Number(args.get('pods') ?? (args.quick ? 1000 : 10_000));
const STEADY = Number(args.get('steady-seconds') ?? (args.quick ? 15 : 60));
const MODE = args.get('mode') ?? 'prebound';
const NS = 'scale';
const rep = report('scale', args.json);

// A /24 per node: 10.64.0.0/10 has room for 16,384 nodes (the default /16, 256).
const srv = await startBenchServer({ args: ['--cluster-cidr', '10.64.0.0/10'] });
const client = HttpClient.fromKubeconfig(srv.server.kubeconfig);
const dbFile = path.join(srv.server.dataDir, 'server', 'db', 'state.db');
const simLog = path.join(srv.server.dir, 'sim.log');
let sim: ReturnType<typeof spawn> | undefined;
const abort = new AbortController();

/**
 * Follows a resource with one watch and calls `on` per event (from the
 * current revision on). The server drops a watcher that falls behind (this
 * process is busy too); then the watch is re-established from a fresh list,
 * replayed to `on` as MODIFIED events plus DELETED for what vanished, so the
 * caller's state stays right, as an informer's would.
 */
async function follow(r: typeof resources.nodes, ns: string, on: (e: ApiWatchEvent) => void, opts: { labelSelector?: string } = {}): Promise<void> {
  const known = new Set<string>();
  const track = (e: ApiWatchEvent) => {
    const name = e.object['metadata']?.name;
    if (e.type === 'DELETED') known.delete(name);
    else if (e.type !== 'BOOKMARK') known.add(name);
    if (e.type !== 'BOOKMARK') on(e);
  };
  const l = await client.list(r, ns, { limit: 1, ...opts });
  let rv = l.resourceVersion;
  void (async () => {
    while (!abort.signal.aborted) {
      try {
        const w = await client.watch(r, ns, { resourceVersion: rv, ...opts }, abort.signal);
        await w.pump((events) => events.forEach(track));
      } catch {
        /* dropped or expired: relist below */
      }
      if (abort.signal.aborted) return;
      rewatches++;
      try {
        const full = await client.list(r, ns, opts);
        const now = new Set<string>();
        for (const o of full.items) {
          now.add(o['metadata'].name);
          track({ type: 'MODIFIED', object: o });
        }
        for (const name of [...known]) if (!now.has(name)) track({ type: 'DELETED', object: { metadata: { name } } });
        rv = full.resourceVersion;
      } catch {
        await sleep(500);
      }
    }
  })();
}
let rewatches = 0;

const readyOf = (n: Obj) => (n['status']?.conditions ?? []).some((c: Obj) => c['type'] === 'Ready' && c['status'] === 'True');
const fileBytes = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
const dbBytes = () => fileBytes(dbFile) + fileBytes(`${dbFile}-wal`);

/** Rows in the log table after `sinceId`, and their bytes; read over a separate read-only connection. */
function logRows(sinceId: number): { rows: number; bytes: number; maxId: number } {
  const db = new DatabaseSync(dbFile, { readOnly: true });
  try {
    const r = db.prepare('SELECT count(*) AS n, coalesce(sum(length(value)), 0) AS b, coalesce(max(id), 0) AS m FROM log WHERE id > ?').get(sinceId) as { n: number; b: number; m: number };
    return { rows: r.n, bytes: r.b, maxId: r.m };
  } finally {
    db.close();
  }
}

async function currentRevision(): Promise<number> {
  return Number((await client.list(resources.namespaces, '', { limit: 1 })).resourceVersion);
}

try {
  console.log(`scale: ${NODES} simulated nodes, ${PODS} pods (${MODE}); server pid ${srv.pid}`);
  await beforePhase([srv.pid], args.waitQuiet);

  // 1. Nodes.
  rep.section(`${NODES} simulated nodes`);
  const ready = new Set<string>();
  let allReady: () => void = () => undefined;
  const nodesReady = new Promise<void>((r) => (allReady = r));
  await follow(resources.nodes, '', (e) => {
    const name = e.object['metadata']?.name;
    if (e.type === 'DELETED' || !readyOf(e.object)) ready.delete(name);
    else ready.add(name);
    if (ready.size >= NODES) allReady();
  }, { labelSelector: 'type=bramble-fake' });
  const t0 = performance.now();
  const out = fs.openSync(simLog, 'a');
  sim = spawn(brambleBin, ['sim', '--kubeconfig', srv.server.kubeconfig, '--nodes', String(NODES)], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const simPid = sim.pid!;
  const serverDuringStart = sampler(srv.pid);
  const deadline = setTimeout(() => allReady(), 180_000);
  await nodesReady;
  clearTimeout(deadline);
  const nodesSeconds = (performance.now() - t0) / 1000;
  const s1 = serverDuringStart.stop();
  rep.line('nodesReady', `${NODES} nodes Ready (spawn -> last Ready seen)`, `${nodesSeconds.toFixed(1)} s (${ready.size} Ready) ${verdict(nodesSeconds, 60, 's')}`, { seconds: nodesSeconds, ready: ready.size });
  rep.line('startServer', 'server during start-up', `CPU ${s1.cpuAvgPercent.toFixed(0)}% avg, RSS ${mb(s1.rssEnd)} (peak ${mb(s1.rssPeak)})`, s1);

  // 2. Steady heartbeats.
  rep.section(`steady heartbeats (${STEADY} s, after 15 s to settle)`);
  await sleep(15_000);
  const rev0 = await currentRevision();
  const rows0 = logRows(0).maxId;
  const bytes0 = dbBytes();
  const srvS = sampler(srv.pid);
  const simS = sampler(simPid);
  await sleep(STEADY * 1000);
  const srvW = srvS.stop();
  const simW = simS.stop();
  const rev1 = await currentRevision();
  const rows = logRows(rows0);
  const secs = srvW.seconds;
  rep.line('revisionsPerSecond', 'revisions handed out (Lease renewals, deferred)', `${((rev1 - rev0) / secs).toFixed(0)}/s`, (rev1 - rev0) / secs);
  rep.line('rowsPerSecond', 'datastore rows written', `${(rows.rows / secs).toFixed(2)} rows/s, ${(rows.bytes / secs).toFixed(0)} B/s of values`, { rows: rows.rows / secs, valueBytes: rows.bytes / secs });
  rep.line('writeBytesPerSecond', 'server process disk writes (/proc io write_bytes)', `${(srvW.writeBytes / secs).toFixed(0)} B/s`, srvW.writeBytes / secs);
  rep.line('dbGrowthPerSecond', 'DB + WAL file growth', `${((dbBytes() - bytes0) / secs).toFixed(0)} B/s`, (dbBytes() - bytes0) / secs);
  rep.line('steadyServer', 'server', `CPU ${srvW.cpuAvgPercent.toFixed(0)}% of a core, RSS ${mb(srvW.rssEnd)}`, srvW);
  rep.line('steadySim', 'simulator process', `CPU ${simW.cpuAvgPercent.toFixed(0)}% of a core, RSS ${mb(simW.rssEnd)}`, simW);

  // 3. Pods.
  rep.section(`${PODS} pods (${MODE === 'deployment' ? 'one Deployment' : 'pre-bound, spec.nodeName round-robin'})`);
  await client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const running = new Set<string>();
  const seen = new Set<string>();
  let deleting = false;
  let allRunning: () => void = () => undefined;
  let allGone: () => void = () => undefined;
  const podsRunning = new Promise<void>((r) => (allRunning = r));
  const podsGone = new Promise<void>((r) => (allGone = r));
  await follow(resources.pods, NS, (e) => {
    const name = e.object['metadata']?.name;
    if (e.type === 'DELETED') {
      running.delete(name);
      seen.delete(name);
      if (seen.size === 0 && deleting) allGone();
      return;
    }
    seen.add(name);
    if (e.object['status']?.phase === 'Running' && e.object['status']?.podIP) running.add(name);
    if (running.size >= PODS) allRunning();
  });
  const srvP = sampler(srv.pid);
  const tp = performance.now();
  const image = 'docker.io/library/nginx:1.27.3';
  if (MODE === 'deployment') {
    await client.create(resources.deployments, NS, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: PODS, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image }] } } },
    });
  } else {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < PODS; i = next++) {
        await client.create(resources.pods, NS, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `web-${i}`, labels: { app: 'web' } },
          spec: { nodeName: `sim-${i % NODES}`, containers: [{ name: 'nginx', image, resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
        });
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    rep.line('podsCreated', 'pods created (client side)', `${((performance.now() - tp) / 1000).toFixed(1)} s`, (performance.now() - tp) / 1000);
  }
  const runDeadline = setTimeout(() => allRunning(), 300_000);
  await podsRunning;
  clearTimeout(runDeadline);
  const runSeconds = (performance.now() - tp) / 1000;
  const sp = srvP.stop();
  rep.line('podsRunning', `${PODS} pods Running with an IP`, `${runSeconds.toFixed(1)} s (${running.size} Running) ${verdict(runSeconds, 60, 's')}`, { seconds: runSeconds, running: running.size });
  if (rewatches) rep.line('rewatches', 'bench watches re-established after the server dropped them', String(rewatches), rewatches);
  rep.line('podsServer', 'server', `CPU ${sp.cpuAvgPercent.toFixed(0)}% avg, RSS ${mb(sp.rssEnd)} (peak ${mb(sp.rssPeak)})`, sp);

  // 4. Deletion.
  rep.section('deletion');
  await beforePhase([srv.pid, simPid], false);
  deleting = true;
  const srvD = sampler(srv.pid);
  const td = performance.now();
  if (MODE === 'deployment') await client.delete(resources.deployments, NS, 'web', { propagationPolicy: 'Background' });
  else {
    const names = [...seen];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < names.length; i = next++) await client.delete(resources.pods, NS, names[i]!);
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    rep.line('deletesSent', 'deletes sent (client side)', `${((performance.now() - td) / 1000).toFixed(1)} s`, (performance.now() - td) / 1000);
  }
  const delDeadline = setTimeout(() => allGone(), 300_000);
  await podsGone;
  clearTimeout(delDeadline);
  const delSeconds = (performance.now() - td) / 1000;
  const sd = srvD.stop();
  rep.line('podsDeleted', `${PODS} pods deleted (first delete -> last gone)`, `${delSeconds.toFixed(1)} s (${seen.size} left) ${verdict(delSeconds, 90, 's')}`, { seconds: delSeconds, left: seen.size });
  rep.line('deleteServer', 'server', `CPU ${sd.cpuAvgPercent.toFixed(0)}% avg, RSS ${mb(sd.rssEnd)} (peak ${mb(sd.rssPeak)})`, sd);
  const simEnd = snapshot(simPid);
  rep.line('simEnd', 'simulator at the end', `RSS ${mb(simEnd.rssBytes)} (peak ${mb(simEnd.hwmBytes)}), CPU ${simEnd.cpuSeconds.toFixed(0)} s total`, simEnd);
  rep.finish({ nodes: NODES, pods: PODS, mode: MODE });
} finally {
  abort.abort();
  if (sim && sim.exitCode === null) {
    sim.kill('SIGTERM');
    await new Promise((r) => sim!.once('exit', r));
  }
  client.close();
  const lines = fs.existsSync(simLog) ? fs.readFileSync(simLog, 'utf8').split('\n') : [];
  const warnings = lines.filter((l) => / (WARN|ERROR) /.test(l)).slice(0, 5);
  if (warnings.length) console.log(`sim warnings (first 5):\n${warnings.join('\n')}`);
  const summaries = lines.filter((l) => / sim: simulation /.test(l));
  if (summaries.length) console.log(`sim summaries (every 30 s while pods move):\n${summaries.join('\n')}`);
  await srv.stop();
}
