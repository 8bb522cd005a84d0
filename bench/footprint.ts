/**
 * Start-up time and idle footprint of `bramble server`.
 *
 *   node_modules/.bin/node bench/footprint.ts [--runs=5] [--idle-seconds=60] [--quick] [--json] [--no-wait]
 *
 * 1. Start-up: time from spawning `bin/bramble server` to the first
 *    `GET /readyz` answering `ok` (polled every 5 ms, anonymously, as a
 *    load balancer would), over several runs: first start on a new data dir
 *    (creates the CA and certificates) and restart on the existing one.
 *    Also when the kubeconfig appears and how long SIGTERM takes.
 *    Target: <= 1.5 s. Baseline: bare `node -e 0` on the same Node.
 * 2. Idle: RSS (/proc/<pid>/status VmRSS) right after start and after the
 *    idle window (target <= 80 MB), CPU over the window (/proc/<pid>/stat
 *    utime+stime), bytes written (/proc/<pid>/io write_bytes) and which
 *    files under the data dir changed size or mtime (target: near zero).
 *    Twice: a fresh server, and one that has just served some writes.
 *    Baseline: RSS and CPU of an idle bare Node process.
 *
 * bin/bramble keeps Node's compile cache (type-stripped, compiled modules)
 * under NODE_COMPILE_CACHE; the bench points that at its own temp dir, so
 * the first start runs with a cold cache, as after an install or upgrade.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { brambleBin } from '../test/harness/server.ts';
import { freePort } from '../test/harness/etcd.ts';
import { apiClient } from '../test/harness/api.ts';
import { configMapBody, podBody } from './lib/objects.ts';
import { beforePhase, cpuPercent, machineLoad, snapshot } from './lib/proc.ts';
import { expectStatus, h2Client, prepareNamespace } from './lib/server.ts';
import { benchArgs, fmt, mb, report, sleep, summarize, verdict } from './lib/stats.ts';

const args = benchArgs();
const RUNS = Number(args.get('runs') ?? (args.quick ? 3 : 5));
const IDLE_SECONDS = Number(args.get('idle-seconds') ?? (args.quick ? 15 : 60));
const nodeBin = path.join(path.dirname(brambleBin), '..', 'node_modules', '.bin', 'node');
const rep = report('footprint', args.json);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-bench-fp-'));


function readyz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'ok'));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

interface Started {
  proc: ChildProcess;
  port: number;
  kubeconfig: string;
  readyMs: number;
  kubeconfigMs: number;
}

/** Node's compile cache for the launched servers (bin/bramble honours NODE_COMPILE_CACHE). */
let compileCache = path.join(root, 'compile-cache');

async function launch(dataDir: string): Promise<Started> {
  const port = await freePort();
  const kubeconfig = path.join(dataDir, '..', 'kubeconfig.yaml');
  fs.rmSync(kubeconfig, { force: true });
  const log = fs.openSync(path.join(dataDir, '..', 'server.log'), 'a');
  const t0 = performance.now();
  const proc = spawn(brambleBin, ['server', '--data-dir', dataDir, '--bind-address', '127.0.0.1', '--https-listen-port', String(port), '--write-kubeconfig', kubeconfig], {
    stdio: ['ignore', log, log],
    env: { ...process.env, NODE_COMPILE_CACHE: compileCache },
  });
  fs.closeSync(log);
  let readyMs = NaN;
  let kubeconfigMs = NaN;
  while (performance.now() - t0 < 20_000 && (Number.isNaN(readyMs) || Number.isNaN(kubeconfigMs))) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}) during start-up`);
    if (Number.isNaN(readyMs) && (await readyz(port))) readyMs = performance.now() - t0;
    if (Number.isNaN(kubeconfigMs) && fs.existsSync(kubeconfig)) kubeconfigMs = performance.now() - t0;
    await sleep(5);
  }
  if (Number.isNaN(readyMs)) throw new Error('server not ready within 20 s');
  return { proc, port, kubeconfig, readyMs, kubeconfigMs };
}

async function stop(proc: ChildProcess): Promise<number> {
  const t0 = performance.now();
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  return performance.now() - t0;
}

async function bareNodeStart(): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const p = spawn(nodeBin, ['-e', '0'], { stdio: 'ignore' });
      p.on('error', reject);
      p.on('exit', () => resolve());
    });
    if (i > 0) out.push(performance.now() - t0);
  }
  return out;
}

async function startup(): Promise<string> {
  rep.section(`start-up: spawn -> GET /readyz ok (${RUNS} runs each)`);
  await beforePhase([], args.waitQuiet);
  const cold: number[] = [];
  const coldKc: number[] = [];
  const first: number[] = [];
  const firstKc: number[] = [];
  const again: number[] = [];
  const againKc: number[] = [];
  const stops: number[] = [];
  let keep = '';
  for (let i = 0; i < RUNS; i++) {
    // A new install: empty compile cache, new data dir.
    compileCache = path.join(root, `compile-cache-${i}`);
    const coldDir = path.join(root, `cold-${i}`, 'data');
    fs.mkdirSync(coldDir, { recursive: true });
    const c = await launch(coldDir);
    cold.push(c.readyMs);
    coldKc.push(c.kubeconfigMs);
    stops.push(await stop(c.proc));
    // A new cluster on a machine that has run bramble before: warm cache, new data dir.
    const dataDir = path.join(root, `start-${i}`, 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    const a = await launch(dataDir);
    first.push(a.readyMs);
    firstKc.push(a.kubeconfigMs);
    stops.push(await stop(a.proc));
    // A restart.
    const b = await launch(dataDir);
    again.push(b.readyMs);
    againKc.push(b.kubeconfigMs);
    stops.push(await stop(b.proc));
    keep = dataDir;
  }
  const line = (key: string, label: string, ready: number[], kc: number[]) => {
    const s = summarize(ready);
    const k = summarize(kc);
    rep.line(key, label, `median ${fmt(s.p50)} ms  max ${fmt(s.max)} ms  (kubeconfig written: median ${fmt(k.p50)} ms)  ${verdict(s.max, 1500, 'ms')}`, {
      readyMedianMs: s.p50,
      readyMaxMs: s.max,
      kubeconfigMedianMs: k.p50,
      runs: ready,
    });
  };
  line('start.cold', 'first start, new data dir, cold compile cache', cold, coldKc);
  line('start.new', 'first start, new data dir (makes CA and certificates)', first, firstKc);
  line('start.restart', 'restart on the existing data dir', again, againKc);
  const st = summarize(stops);
  rep.line('stop', 'SIGTERM -> exit', `median ${fmt(st.p50)} ms  max ${fmt(st.max)} ms`, { medianMs: st.p50, maxMs: st.max });
  const bare = summarize(await bareNodeStart());
  rep.line('start.bareNode', 'baseline: node -e 0 (same Node binary)', `median ${fmt(bare.p50)} ms  max ${fmt(bare.max)} ms`, { medianMs: bare.p50, maxMs: bare.max });
  return keep;
}

interface FileState {
  size: number;
  mtimeMs: number;
}

function scanDir(dir: string): Map<string, FileState> {
  const out = new Map<string, FileState>();
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    try {
      const st = fs.statSync(full);
      out.set(path.relative(dir, full), { size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      /* removed meanwhile */
    }
  }
  return out;
}

async function idle(label: string, key: string, pid: number, dataDir: string): Promise<void> {
  await beforePhase([pid], args.waitQuiet);
  const load = machineLoad([pid]);
  const files0 = scanDir(dataDir);
  const s0 = snapshot(pid);
  let minRss = s0.rssBytes;
  let maxRss = s0.rssBytes;
  for (let t = 0; t < IDLE_SECONDS; t++) {
    await sleep(1000);
    const s = snapshot(pid);
    minRss = Math.min(minRss, s.rssBytes);
    maxRss = Math.max(maxRss, s.rssBytes);
  }
  const s1 = snapshot(pid);
  const files1 = scanDir(dataDir);
  const other = load();
  const changed: string[] = [];
  for (const [f, st] of files1) {
    const was = files0.get(f);
    if (!was) changed.push(`${f} (new, ${st.size} B)`);
    else if (was.size !== st.size || was.mtimeMs !== st.mtimeMs) changed.push(`${f} (${st.size - was.size >= 0 ? '+' : ''}${st.size - was.size} B, mtime moved)`);
  }
  for (const f of files0.keys()) if (!files1.has(f)) changed.push(`${f} (removed)`);
  const perMinute = ((s1.writeBytes - s0.writeBytes) * 60) / ((s1.at - s0.at) / 1000);
  rep.line(`${key}.rss`, `${label}: RSS at start of window -> end (min..max)`, `${mb(s0.rssBytes)} -> ${mb(s1.rssBytes)} (${mb(minRss)}..${mb(maxRss)})  ${verdict(s1.rssBytes / 1048576, 80, 'MB')}`, {
    startBytes: s0.rssBytes,
    endBytes: s1.rssBytes,
    minBytes: minRss,
    maxBytes: maxRss,
    hwmBytes: s1.hwmBytes,
  });
  rep.line(`${key}.cpu`, `${label}: CPU over ${IDLE_SECONDS} s`, `${((s1.cpuSeconds - s0.cpuSeconds) * 1000).toFixed(0)} ms = ${cpuPercent(s0, s1).toFixed(2)}% of a core (other processes: ${other.otherCores.toFixed(2)} cores)`, {
    cpuMs: (s1.cpuSeconds - s0.cpuSeconds) * 1000,
    cpuPercent: cpuPercent(s0, s1),
  });
  rep.line(`${key}.writes`, `${label}: bytes written (/proc/<pid>/io write_bytes)`, `${s1.writeBytes - s0.writeBytes} B in ${IDLE_SECONDS} s = ${perMinute.toFixed(0)} B/min (write(2) calls incl. sockets: ${s1.wchar - s0.wchar} B); data dir files changed: ${changed.length ? changed.join(', ') : 'none'}`, {
    writeBytes: s1.writeBytes - s0.writeBytes,
    wchar: s1.wchar - s0.wchar,
    bytesPerMinute: perMinute,
    filesChanged: changed,
  });
}

async function bareNodeIdle(): Promise<void> {
  const p = spawn(nodeBin, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(1000);
  const a = snapshot(p.pid!);
  await sleep(Math.min(IDLE_SECONDS, 10) * 1000);
  const b = snapshot(p.pid!);
  p.kill('SIGTERM');
  rep.line('idle.bareNode', 'baseline: idle bare node (setInterval 1 s)', `RSS ${mb(b.rssBytes)}, CPU ${cpuPercent(a, b).toFixed(2)}% of a core`, { rssBytes: b.rssBytes, cpuPercent: cpuPercent(a, b) });
}

async function idlePhases(dataDirForRestart: string): Promise<void> {
  rep.section(`idle footprint (${IDLE_SECONDS} s windows)`);
  // First start after an install: the compile cache is empty, so Node strips and compiles every module.
  const warmCache = compileCache;
  compileCache = path.join(root, 'compile-cache-idle-cold');
  const coldDir = path.join(root, 'idle-cold', 'data');
  fs.mkdirSync(coldDir, { recursive: true });
  const cold = await launch(coldDir);
  await sleep(5000);
  const coldRss = snapshot(cold.proc.pid!).rssBytes;
  rep.line('idle.coldCache.rss', 'first start with a cold compile cache: RSS 5 s after ready', `${mb(coldRss)}  ${verdict(coldRss / 1048576, 80, 'MB')}`, coldRss);
  await stop(cold.proc);
  compileCache = warmCache;

  // A fresh server straight after start-up.
  const freshDir = path.join(root, 'idle', 'data');
  fs.mkdirSync(freshDir, { recursive: true });
  const a = await launch(freshDir);
  const pid = a.proc.pid!;
  rep.line('idle.fresh.rssAtReady', 'fresh server: RSS when /readyz first answers', mb(snapshot(pid).rssBytes), snapshot(pid).rssBytes);
  await idle('fresh server', 'idle.fresh', pid, freshDir);

  // The same server after some work: 100 ConfigMaps, 100 pods, reads, a delete of each.
  const api = apiClient(a.kubeconfig);
  const c = h2Client(api.credentials);
  const w0 = snapshot(pid);
  const owner = await prepareNamespace(c, 'work');
  for (let i = 0; i < 100; i++) {
    expectStatus(await c.request('POST', '/api/v1/namespaces/work/configmaps', configMapBody(`cm-${i}`, 'work')), 'create', 201);
    expectStatus(await c.request('POST', '/api/v1/namespaces/work/pods', podBody(`p-${i}`, 'work', { ownerUid: owner })), 'create', 201);
  }
  expectStatus(await c.request('GET', '/api/v1/pods'), 'list', 200);
  for (let i = 0; i < 100; i += 2) expectStatus(await c.request('DELETE', `/api/v1/namespaces/work/configmaps/cm-${i}`), 'delete', 200);
  c.close();
  await sleep(2000);
  const w1 = snapshot(pid);
  rep.line('work.writes', 'control: bytes written while doing those 250 writes', `${w1.writeBytes - w0.writeBytes} B (so the counter works)`, w1.writeBytes - w0.writeBytes);
  await idle('after 250 writes', 'idle.afterWork', pid, freshDir);
  await stop(a.proc);

  // Restarted on a data dir from the start-up runs.
  const b = await launch(dataDirForRestart);
  await idle('restarted server', 'idle.restarted', b.proc.pid!, dataDirForRestart);
  await stop(b.proc);
  await bareNodeIdle();
}

try {
  console.log(`footprint: node ${process.version}, ${RUNS} start-up runs, ${IDLE_SECONDS} s idle windows, dir ${root}`);
  const dir = await startup();
  await idlePhases(dir);
  rep.finish({ runs: RUNS, idleSeconds: IDLE_SECONDS });
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
