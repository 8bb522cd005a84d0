/**
 * The node agent's footprint, against a real server:
 *
 *   node_modules/.bin/node bench/agent-footprint.ts [--pods=30] [--runtime=fake|containerd]
 *        [--idle-seconds=60] [--steady-seconds=60] [--image=busybox:latest] [--quick] [--json] [--no-wait]
 *
 * 1. `bramble agent --runtime R --kubeconfig …` registers one node; once it
 *    is Ready and has settled, its RSS and CPU (from /proc/<pid>) over
 *    `--idle-seconds` with no pods, and what reached the server's datastore
 *    meanwhile, per minute: log rows appended (read from the DB file) and
 *    their bytes, bytes the server process wrote (/proc/<pid>/io), DB+WAL
 *    growth. Targets (issue 4): RSS <= 60 MB, datastore writes near zero.
 * 2. `--pods` pods bound to the node (spec.nodeName, so no scheduler in the
 *    way); time until all are Running.
 * 3. The same figures over `--steady-seconds` with those pods running (a
 *    steady node: Lease renewals and periodic status only).
 * Then the pods are deleted, the agent stopped (SIGTERM) and everything
 * removed. `--runtime containerd` needs root, containerd and the image
 * (default busybox:latest, run as `sleep 1d`) available offline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { HttpClient } from '../src/client/http.ts';
import { resources, type Obj } from '../src/client/types.ts';
import { brambleBin } from '../test/harness/server.ts';
import { beforePhase, sampler, snapshot, waitForIdle } from './lib/proc.ts';
import { startBenchServer } from './lib/server.ts';
import { benchArgs, mb, report, sleep, verdict } from './lib/stats.ts';

const args = benchArgs();
const PODS = Number(args.get('pods') ?? (args.quick ? 10 : 30));
const IDLE = Number(args.get('idle-seconds') ?? (args.quick ? 15 : 60));
const STEADY = Number(args.get('steady-seconds') ?? (args.quick ? 15 : 60));
const RUNTIME = args.get('runtime') ?? 'fake';
const IMAGE = args.get('image') ?? 'busybox:latest';
const NODE = 'footprint-0';
const NS = 'footprint';
if (RUNTIME !== 'fake' && RUNTIME !== 'containerd') throw new Error(`--runtime must be fake or containerd, not ${RUNTIME}`);
const rep = report('agent-footprint', args.json);

const srv = await startBenchServer();
const client = HttpClient.fromKubeconfig(srv.server.kubeconfig);
const dbFile = path.join(srv.server.dataDir, 'server', 'db', 'state.db');
const agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-footprint-agent-'));
const agentLog = path.join(srv.server.dir, 'agent.log');
let agent: ChildProcess | undefined;

const fileBytes = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
const dbBytes = () => fileBytes(dbFile) + fileBytes(`${dbFile}-wal`);

/** Rows in the log table after `sinceId`, and their bytes, over a separate read-only connection. */
function logRows(sinceId: number): { rows: number; bytes: number; maxId: number } {
  const db = new DatabaseSync(dbFile, { readOnly: true });
  try {
    const r = db.prepare('SELECT count(*) AS n, coalesce(sum(length(value)), 0) AS b, coalesce(max(id), 0) AS m FROM log WHERE id > ?').get(sinceId) as { n: number; b: number; m: number };
    return { rows: r.n, bytes: r.b, maxId: r.m };
  } finally {
    db.close();
  }
}

const readyOf = (n: Obj | undefined) => (n?.['status']?.conditions ?? []).some((c: Obj) => c['type'] === 'Ready' && c['status'] === 'True');

async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; agent log:\n${fs.readFileSync(agentLog, 'utf8').slice(-3000)}`);
    await sleep(200);
  }
  return (performance.now() - t0) / 1000;
}

/** Samples the agent over a window and the datastore writes it caused, per minute. */
async function measure(key: string, label: string, seconds: number): Promise<void> {
  await beforePhase([srv.pid, agent!.pid!], args.waitQuiet);
  const rows0 = logRows(0).maxId;
  const db0 = dbBytes();
  const srv0 = snapshot(srv.pid);
  const s = sampler(agent!.pid!, 500);
  await sleep(seconds * 1000);
  const a = s.stop();
  const srv1 = snapshot(srv.pid);
  const rows = logRows(rows0);
  const perMin = 60 / a.seconds;
  rep.line(`${key}.rss`, `${label}: agent RSS (end / peak)`, `${mb(a.rssEnd)} / ${mb(a.rssPeak)} ${verdict(a.rssPeak / 1048576, 60, 'MB')}`, { rssEnd: a.rssEnd, rssPeak: a.rssPeak });
  rep.line(`${key}.cpu`, `${label}: agent CPU (avg / peak 0.5 s)`, `${a.cpuAvgPercent.toFixed(2)}% / ${a.cpuPeakPercent.toFixed(1)}% of a core`, { avg: a.cpuAvgPercent, peak: a.cpuPeakPercent });
  rep.line(`${key}.rows`, `${label}: datastore log rows per minute`, `${(rows.rows * perMin).toFixed(1)} rows, ${((rows.bytes * perMin) / 1024).toFixed(1)} KB`, { rowsPerMin: rows.rows * perMin, bytesPerMin: rows.bytes * perMin });
  rep.line(`${key}.disk`, `${label}: server disk writes per minute`, `${((srv1.writeBytes - srv0.writeBytes) * perMin / 1024).toFixed(1)} KB written, DB+WAL ${((dbBytes() - db0) * perMin / 1024).toFixed(1)} KB growth`, {
    serverWriteBytesPerMin: (srv1.writeBytes - srv0.writeBytes) * perMin,
    dbGrowthPerMin: (dbBytes() - db0) * perMin,
  });
}

try {
  console.log(`agent-footprint: runtime ${RUNTIME}, ${PODS} pods, idle ${IDLE} s, steady ${STEADY} s; server pid ${srv.pid}`);
  const out = fs.openSync(agentLog, 'a');
  const agentArgs = ['agent', '--runtime', RUNTIME, '--kubeconfig', srv.server.kubeconfig, '--node-name', NODE, '--data-dir', agentDir, '--log-level', 'warn'];
  if (RUNTIME === 'fake') agentArgs.push('--node-ip', '127.0.0.1');
  const t0 = performance.now();
  agent = spawn(brambleBin, agentArgs, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  await waitUntil('the node to be Ready', async () => readyOf(await client.get(resources.nodes, '', NODE).catch(() => undefined)), 120_000);
  rep.section(`one node (${RUNTIME})`);
  rep.line('start', 'agent start → node Ready', `${((performance.now() - t0) / 1000).toFixed(2)} s`, (performance.now() - t0) / 1000);
  // Let start-up work (first status, CIDR, JIT) finish before measuring idle.
  await waitForIdle(agent.pid!, 2, 30_000);
  await measure('idle0', '0 pods, idle', IDLE);

  rep.section(`${PODS} pods`);
  await client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const tPods = performance.now();
  for (let i = 0; i < PODS; i++) {
    await client.create(resources.pods, NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `idle-${i}`, labels: { app: 'footprint' } },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'sleep', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '1d'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
      },
    });
  }
  const running = async () => (await client.list(resources.pods, NS, {})).items.filter((p: Obj) => p['status']?.phase === 'Running').length === PODS;
  await waitUntil(`${PODS} pods Running`, running, 300_000);
  rep.line('podsRunning', `${PODS} pods created → all Running`, `${((performance.now() - tPods) / 1000).toFixed(2)} s`, (performance.now() - tPods) / 1000);
  await waitForIdle(agent.pid!, 2, 60_000);
  await measure(`steady${PODS}`, `${PODS} pods, steady`, STEADY);

  await client.delete(resources.namespaces, '', NS);
  await waitUntil('pods deleted', async () => (await client.list(resources.pods, NS, {})).items.length === 0, 120_000);
  rep.finish({ runtime: RUNTIME, pods: PODS, idleSeconds: IDLE, steadySeconds: STEADY });
} finally {
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    agent.kill('SIGTERM');
    const exited = new Promise((r) => agent!.once('exit', r));
    const t = setTimeout(() => agent!.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
  await srv.stop();
  fs.rmSync(agentDir, { recursive: true, force: true });
}
