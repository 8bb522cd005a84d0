/**
 * The node agent's footprint, against a real server:
 *
 *   node_modules/.bin/node bench/agent-footprint.ts [--pods=30] [--runtime=fake|containerd]
 *        [--idle-seconds=60] [--steady-seconds=60] [--image=…] [--v8=baseline,semi1,…]
 *        [--quick] [--json] [--no-wait]
 *
 * 1. The agent registers one node; once it is Ready and has settled, its
 *    RSS and CPU (from /proc/<pid>) over `--idle-seconds` with no pods, and
 *    what reached the server's datastore meanwhile, per minute: log rows
 *    appended (read from the DB file) and their bytes, bytes the server
 *    process wrote (/proc/<pid>/io), DB+WAL growth; the keys written.
 *    Targets (issue 4): RSS <= 60 MB, datastore writes near zero.
 * 2. `--pods` pods bound to the node (spec.nodeName, so no scheduler in the
 *    way); time until all are Running.
 * 3. The same figures over `--steady-seconds` with those pods running (a
 *    steady node: Lease renewals, periodic status and pod re-syncs only).
 * Then the pods are deleted and the agent stopped (SIGTERM).
 *
 * `--runtime fake`: `bramble agent --runtime fake --kubeconfig <admin>`.
 *
 * `--runtime containerd` (root; containerd, runc, CNI plugins): a separate
 * `bramble agent --runtime containerd --server https://127.0.0.1:PORT
 * --token <server's node-token> --agent-port 0 --cgroup-root …` process,
 * so the RSS is the agent's alone; it joins with the token and supervises
 * its own containerd (a child process, measured separately, as are the
 * shims). The script re-runs itself inside a network namespace it creates
 * (`nsenter --net`, which keeps the cgroup fs visible), so the server, the
 * agent, containerd, the cni0 bridge and pod traffic all live there; the
 * outer process removes the namespace, cgroups, mounts and any leftover
 * containerd/shims afterwards, even after a failure. The image is the
 * offline `bramble.local/busybox:latest` (scripts/build-test-images.ts,
 * side-loaded from `<data-dir>/agent/images`), run as `sleep 1d`.
 *
 * `--v8=LIST` runs the whole sequence once per V8 flag set (the agent is
 * restarted on the same data dir, so the Node and its podCIDR stay):
 * `baseline` is bin/bramble as shipped; the others run the same command
 * (`node --disable-warning=ExperimentalWarning --max-semi-space-size=2
 * src/cli/main.ts agent …`, same compile cache) with the variant's flags
 * appended (most V8 flags are refused in NODE_OPTIONS, and bin/bramble's own
 * --max-semi-space-size would override one there), each with its own compile
 * cache warmed by an unmeasured first start (V8 rejects code cached under
 * different flags, and a cold cache loads Node's TypeScript stripper).
 * Variants: see `V8_VARIANTS`.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { killShims, removeCgroupTree, shimPids, unmountUnder } from '../src/agent/containerd/cleanup.ts';
import { HttpClient } from '../src/client/http.ts';
import { resources, type Obj } from '../src/client/types.ts';
import { brambleBin, repoRoot } from '../test/harness/server.ts';
import { beforePhase, sampler, snapshot, waitForIdle } from './lib/proc.ts';
import { startBenchServer } from './lib/server.ts';
import { benchArgs, mb, report, sleep, verdict } from './lib/stats.ts';

const args = benchArgs();
const PODS = Number(args.get('pods') ?? (args.quick ? 10 : 30));
const IDLE = Number(args.get('idle-seconds') ?? (args.quick ? 15 : 60));
const STEADY = Number(args.get('steady-seconds') ?? (args.quick ? 15 : 60));
const RUNTIME = args.get('runtime') ?? 'fake';
const IMAGE = args.get('image') ?? (RUNTIME === 'containerd' ? 'bramble.local/busybox:latest' : 'busybox:latest');
const NODE = 'footprint-0';
const NS = 'footprint';
const nodeBin = path.join(repoRoot, 'node_modules', '.bin', 'node');

/** Extra V8 flags per variant, appended after bin/bramble's own. */
const V8_VARIANTS: Record<string, string[]> = {
  baseline: [],
  semi1: ['--max-semi-space-size=1'],
  nojit: ['--no-opt', '--no-maglev', '--no-sparkplug'],
  size: ['--optimize-for-size'],
  old24: ['--max-old-space-size=24'],
  'semi1+nojit+size': ['--max-semi-space-size=1', '--no-opt', '--no-maglev', '--no-sparkplug', '--optimize-for-size'],
  // These two cannot run bramble: they turn WebAssembly off, and Node's TypeScript stripper is WebAssembly
  // (ERR_WEBASSEMBLY_NOT_SUPPORTED at start), even with a warm compile cache.
  lite: ['--lite-mode'],
  jitless: ['--jitless'],
};
const VARIANTS = (args.get('v8') ?? 'baseline').split(',');
for (const v of VARIANTS) if (!V8_VARIANTS[v]) throw new Error(`unknown --v8 variant ${v} (known: ${Object.keys(V8_VARIANTS).join(', ')})`);
if (RUNTIME !== 'fake' && RUNTIME !== 'containerd') throw new Error(`--runtime must be fake or containerd, not ${RUNTIME}`);

// --- containerd: run this script again inside a network namespace, and clean up after it.
const NETNS_ENV = 'BRAMBLE_FOOTPRINT_NETNS';
const WORK_ENV = 'BRAMBLE_FOOTPRINT_WORK';
if (RUNTIME === 'containerd' && !process.env[NETNS_ENV]) {
  const netns = `bramble-fp${process.pid}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-fp-'));
  let code = 1;
  try {
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    const child = spawn('nsenter', [`--net=/var/run/netns/${netns}`, nodeBin, '--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, [NETNS_ENV]: netns, [WORK_ENV]: work },
    });
    // Ctrl-C reaches both processes; the inner one cleans up and exits, then this one removes what is left.
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    process.on('SIGINT', forward('SIGINT'));
    process.on('SIGTERM', forward('SIGTERM'));
    code = await new Promise<number>((r) => child.once('exit', (c, s) => r(c ?? (s ? 1 : 0))));
  } finally {
    const socket = path.join(work, 'agent', 'agent', 'containerd', 'containerd.sock');
    const left = await killShims(socket).catch(() => 0);
    for (const pid of containerdPids(work)) process.kill(pid, 'SIGKILL');
    unmountUnder(work);
    removeCgroupTree(netns);
    if (fs.existsSync(`/var/run/netns/${netns}`)) spawnSync('ip', ['netns', 'del', netns]);
    fs.rmSync(work, { recursive: true, force: true });
    if (left) console.log(`(removed ${left} leftover shims)`);
  }
  process.exit(code);
}

/** containerd processes whose command line mentions `dir` (ours only). */
function containerdPids(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0] ?? '') === 'containerd' && argv.some((a) => a.includes(dir))) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

const rssOf = (pid: number) => {
  try {
    return snapshot(pid).rssBytes;
  } catch {
    return 0;
  }
};

/** RssAnon, RssFile, RssShmem of a process (/proc/<pid>/status). */
function rssParts(pid: number): { anon: number; file: number; shmem: number; pss: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (f: string) => Number(new RegExp(`^${f}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  // PSS: shared pages (the node binary's text, shared with the server on this machine) divided among their users.
  let pss = NaN;
  try {
    pss = Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN) * 1024;
  } catch {
    /* gone */
  }
  return { anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem'), pss };
}

const rep = report('agent-footprint', args.json);
const netns = process.env[NETNS_ENV];
const cgroupRoot = netns ?? 'bramble-fp';
const srv = await startBenchServer();
const client = HttpClient.fromKubeconfig(srv.server.kubeconfig);
const dbFile = path.join(srv.server.dataDir, 'server', 'db', 'state.db');
const agentDir = process.env[WORK_ENV] ? path.join(process.env[WORK_ENV], 'agent') : fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-footprint-agent-'));
const criSocket = path.join(agentDir, 'agent', 'containerd', 'containerd.sock');
const agentLog = path.join(srv.server.dir, 'agent.log');
let agent: ChildProcess | undefined;

const fileBytes = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
const dbBytes = () => fileBytes(dbFile) + fileBytes(`${dbFile}-wal`);

/** Rows in the log table after `sinceId`, their bytes, and the keys written, over a separate read-only connection. */
function logRows(sinceId: number): { rows: number; bytes: number; maxId: number; keys: Record<string, number> } {
  const db = new DatabaseSync(dbFile, { readOnly: true });
  try {
    const r = db.prepare('SELECT count(*) AS n, coalesce(sum(length(value)), 0) AS b, coalesce(max(id), 0) AS m FROM log WHERE id > ?').get(sinceId) as { n: number; b: number; m: number };
    const keys: Record<string, number> = {};
    for (const k of db.prepare('SELECT key, count(*) AS n FROM log WHERE id > ? GROUP BY key ORDER BY n DESC LIMIT 10').all(sinceId) as { key: string; n: number }[]) keys[k.key] = k.n;
    return { rows: r.n, bytes: r.b, maxId: r.m, keys };
  } finally {
    db.close();
  }
}

const readyOf = (n: Obj | undefined) => (n?.['status']?.conditions ?? []).some((c: Obj) => c['type'] === 'Ready' && c['status'] === 'True');

async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; agent log:\n${fs.readFileSync(agentLog, 'utf8').slice(-3000)}`);
    if (agent && agent.exitCode !== null) throw new Error(`the agent exited (${agent.exitCode}) while waiting for ${what}; agent log:\n${fs.readFileSync(agentLog, 'utf8').slice(-3000)}`);
    await sleep(200);
  }
  return (performance.now() - t0) / 1000;
}

/** Samples the agent over a window and the datastore writes it caused, per minute. */
async function measure(key: string, label: string, seconds: number): Promise<void> {
  if (agent!.exitCode !== null || agent!.signalCode !== null) throw new Error(`the agent exited (${agent!.exitCode ?? agent!.signalCode}); agent log:\n${fs.readFileSync(agentLog, 'utf8').slice(-3000)}`);
  await beforePhase([srv.pid, agent!.pid!, ...containerdPids(agentDir), ...shimPids(criSocket)], args.waitQuiet);
  const rows0 = logRows(0).maxId;
  const db0 = dbBytes();
  const srv0 = snapshot(srv.pid);
  const s = sampler(agent!.pid!, 500);
  await sleep(seconds * 1000);
  const a = s.stop();
  const srv1 = snapshot(srv.pid);
  const rows = logRows(rows0);
  const perMin = 60 / a.seconds;
  const parts = rssParts(agent!.pid!);
  rep.line(`${key}.rss`, `${label}: agent RSS (end / peak)`, `${mb(a.rssEnd)} / ${mb(a.rssPeak)} ${verdict(a.rssPeak / 1048576, 60, 'MB')}`, { rssEnd: a.rssEnd, rssPeak: a.rssPeak, ...parts });
  rep.line(`${key}.rssParts`, `${label}: agent RSS anon / file / shmem; PSS`, `${mb(parts.anon)} / ${mb(parts.file)} / ${mb(parts.shmem)}; ${mb(parts.pss)}`);
  rep.line(`${key}.cpu`, `${label}: agent CPU (avg / peak 0.5 s)`, `${a.cpuAvgPercent.toFixed(2)}% / ${a.cpuPeakPercent.toFixed(1)}% of a core (${((a.cpuAvgPercent / 100) * a.seconds * 1000).toFixed(0)} ms in ${a.seconds.toFixed(0)} s)`, { avg: a.cpuAvgPercent, peak: a.cpuPeakPercent, seconds: a.seconds });
  rep.line(`${key}.rows`, `${label}: datastore log rows per minute`, `${(rows.rows * perMin).toFixed(1)} rows, ${((rows.bytes * perMin) / 1024).toFixed(1)} KB`, { rowsPerMin: rows.rows * perMin, bytesPerMin: rows.bytes * perMin, keys: rows.keys });
  if (rows.rows > 0) rep.line(`${key}.keys`, `${label}: keys written (rows in the window)`, Object.entries(rows.keys).map(([k, n]) => `${k} ×${n}`).join(', '));
  rep.line(`${key}.disk`, `${label}: server disk writes per minute`, `${((srv1.writeBytes - srv0.writeBytes) * perMin / 1024).toFixed(1)} KB written, DB+WAL ${((dbBytes() - db0) * perMin / 1024).toFixed(1)} KB growth`, {
    serverWriteBytesPerMin: (srv1.writeBytes - srv0.writeBytes) * perMin,
    dbGrowthPerMin: (dbBytes() - db0) * perMin,
  });
  if (RUNTIME === 'containerd') {
    const ctd = containerdPids(agentDir)[0];
    const shims = shimPids(criSocket);
    const shimRss = shims.reduce((sum, p) => sum + rssOf(p), 0);
    const shimPss = shims.reduce((sum, p) => sum + rssParts(p).pss, 0);
    const ctdRss = ctd ? rssOf(ctd) : NaN;
    const ctdPss = ctd ? rssParts(ctd).pss : NaN;
    rep.line(`${key}.containerd`, `${label}: containerd RSS (PSS) / ${shims.length} shims' RSS (PSS), sums`, `${mb(ctdRss)} (${mb(ctdPss)}) / ${mb(shimRss)} (${mb(shimPss)})`, { containerdRss: ctdRss, containerdPss: ctdPss, shims: shims.length, shimRss, shimPss });
  }
  rep.line(`${key}.server`, `${label}: server RSS / CPU`, `${mb(srv1.rssBytes)} / ${((100 * (srv1.cpuSeconds - srv0.cpuSeconds)) / a.seconds).toFixed(2)}% of a core`, { rss: srv1.rssBytes, cpuSeconds: srv1.cpuSeconds - srv0.cpuSeconds });
}

function agentCommand(variant: string, joinArgs: string[]): { cmd: string; argv: string[]; env: NodeJS.ProcessEnv } {
  const agentArgs = ['agent', '--runtime', RUNTIME, ...joinArgs, '--node-name', NODE, '--data-dir', agentDir, '--log-level', 'warn'];
  if (variant === 'baseline') return { cmd: brambleBin, argv: agentArgs, env: process.env };
  // What bin/bramble runs, plus the variant's flags (later flags win). V8 rejects code cached under
  // other flags, so each variant gets its own compile cache, warmed by a first start (see runVariant).
  const env = { ...process.env, NODE_COMPILE_CACHE: path.join(agentDir, `.compile-cache-${variant}`) };
  return { cmd: nodeBin, argv: ['--disable-warning=ExperimentalWarning', '--max-semi-space-size=2', ...V8_VARIANTS[variant]!, path.join(repoRoot, 'src', 'cli', 'main.ts'), ...agentArgs], env };
}

async function stopAgent(): Promise<void> {
  const a = agent;
  if (!a || a.exitCode !== null || a.signalCode !== null) return;
  const exited = new Promise((r) => a.once('exit', r));
  a.kill('SIGTERM');
  const t = setTimeout(() => a.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

async function runVariant(variant: string, joinArgs: string[]): Promise<void> {
  const flags = V8_VARIANTS[variant]!;
  rep.section(`${variant}${flags.length ? ` (${flags.join(' ')})` : ' (bin/bramble as shipped)'}`);
  const { cmd, argv, env } = agentCommand(variant, joinArgs);
  if (variant !== 'baseline') {
    // Warm-up start: fills this variant's compile cache, so the measured start runs from it as bin/bramble's do.
    const out = fs.openSync(agentLog, 'a');
    agent = spawn(cmd, argv, { stdio: ['ignore', out, out], env });
    fs.closeSync(out);
    await waitUntil('the node to be Ready (warm-up)', async () => readyOf(await client.get(resources.nodes, '', NODE).catch(() => undefined)), 120_000);
    await sleep(3000);
    await stopAgent();
  }
  const out = fs.openSync(agentLog, 'a');
  // A restarted agent finds its Node still Ready: wait for its first Lease renewal too.
  const renewTime = async () => (await client.get(resources.leases, 'kube-node-lease', NODE).catch(() => undefined))?.['spec']?.renewTime as string | undefined;
  const renewed0 = await renewTime();
  const t0 = performance.now();
  agent = spawn(cmd, argv, { stdio: ['ignore', out, out], env });
  fs.closeSync(out);
  await waitUntil('the node to be Ready', async () => readyOf(await client.get(resources.nodes, '', NODE).catch(() => undefined)) && (await renewTime()) !== renewed0, 120_000);
  rep.line(`${variant}.start`, 'agent start → node Ready', `${((performance.now() - t0) / 1000).toFixed(2)} s`, (performance.now() - t0) / 1000);
  // Let start-up work (image import, first status, CIDR, JIT) finish before measuring idle.
  await sleep(5000);
  if (agent.exitCode === null) await waitForIdle(agent.pid!, 2, 30_000);
  await measure(`${variant}.idle0`, '0 pods, idle', IDLE);

  await client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }).catch((e) => {
    if (!/already exists/.test((e as Error).message)) throw e;
  });
  await waitUntil('the default ServiceAccount', () => client.get(resources.serviceaccounts, NS, 'default').then(() => true, () => false), 30_000);
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
  rep.line(`${variant}.podsRunning`, `${PODS} pods created → all Running`, `${((performance.now() - tPods) / 1000).toFixed(2)} s`, (performance.now() - tPods) / 1000);
  await sleep(5000);
  if (agent.exitCode === null) await waitForIdle(agent.pid!, 2, 60_000);
  await measure(`${variant}.steady${PODS}`, `${PODS} pods, steady`, STEADY);

  const tDel = performance.now();
  await client.delete(resources.namespaces, '', NS);
  await waitUntil('the namespace gone', () => client.get(resources.namespaces, '', NS).then(() => false, () => true), 180_000);
  if (RUNTIME === 'containerd') await waitUntil('the shims gone', async () => shimPids(criSocket).length === 0, 60_000);
  rep.line(`${variant}.deleted`, `${PODS} pods deleted → namespace gone`, `${((performance.now() - tDel) / 1000).toFixed(2)} s`, (performance.now() - tDel) / 1000);
  await stopAgent();
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}
let cleaned: Promise<void> | undefined;
function cleanup(): Promise<void> {
  return (cleaned ??= (async () => {
    await stopAgent().catch(() => undefined);
    client.close();
    if (RUNTIME === 'containerd') {
      // The agent leaves containers running when it stops; after a failure some may remain.
      await killShims(criSocket).catch(() => 0);
      for (const pid of containerdPids(agentDir)) process.kill(pid, 'SIGKILL');
      unmountUnder(agentDir);
      removeCgroupTree(cgroupRoot);
    }
    await srv.stop();
    fs.rmSync(agentDir, { recursive: true, force: true });
  })());
}

try {
  console.log(`agent-footprint: runtime ${RUNTIME}, ${PODS} pods (${IMAGE}), idle ${IDLE} s, steady ${STEADY} s, V8 variants ${VARIANTS.join(', ')}; server pid ${srv.pid}${netns ? `, netns ${netns}` : ''}`);
  let joinArgs: string[];
  if (RUNTIME === 'fake') {
    joinArgs = ['--kubeconfig', srv.server.kubeconfig, '--node-ip', '127.0.0.1'];
  } else {
    const token = fs.readFileSync(path.join(srv.server.dataDir, 'server', 'node-token'), 'utf8').trim();
    joinArgs = ['--server', `https://127.0.0.1:${srv.server.port}`, '--token', token, '--agent-port', '0', '--cgroup-root', cgroupRoot, '--node-ip', '127.0.0.1'];
    const images = path.join(agentDir, 'agent', 'images');
    fs.mkdirSync(images, { recursive: true });
    execFileSync(nodeBin, [path.join(repoRoot, 'scripts/build-test-images.ts'), '--out', images], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.rmSync(path.join(images, 'pause.tar')); // the agent brings its own sandbox image
  }
  for (const v of VARIANTS) await runVariant(v, joinArgs);
  rep.finish({ runtime: RUNTIME, pods: PODS, idleSeconds: IDLE, steadySeconds: STEADY, variants: VARIANTS });
} finally {
  await cleanup();
}
