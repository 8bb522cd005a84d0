/**
 * LIST of 10,000 pods.
 *
 *   node_modules/.bin/node bench/list.ts [--pods=10000] [--runs=5] [--large] [--only=json.h2,...] [--json] [--no-wait] [--profile[=DIR]]
 *
 * Creates 10,000 realistic pods (a ReplicaSet's nginx pod with labels,
 * owner, tolerations and a node name: about 2.4 KB each as served, after
 * defaulting and with the managedFields entry; `--large` adds a sidecar,
 * probes, env and the service-account volume for about 5.5 KB) across 10
 * namespaces, 32 requests in flight over 4 HTTP/2 sessions. Then times a cluster-wide LIST of all of them:
 * - JSON (`Accept: application/json`) over HTTP/2 and HTTP/1.1;
 * - a kubectl Table (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`);
 * - `limit=500` pagination end to end (JSON and Table);
 * - `kubectl get pods -A --no-headers | wc -l` with stock /usr/bin/kubectl
 *   (which pages with limit=500 Tables), and with `--chunk-size=0`.
 * Target: <= 500 ms for the full list. Also the server's CPU time per list
 * and RSS before, during and after.
 *
 * Baseline: after the server stops, the same list straight from the storage
 * layer on its data file, and that plus the minimum an apiserver must do
 * (parse each stored object, add resourceVersion, serialise the list).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { kubectlBin } from '../test/harness/server.ts';
import { openSqliteBackend } from '../src/storage/sqlite/sqlite.ts';
import { podBody } from './lib/objects.ts';
import { beforePhase, machineLoad, sampler, snapshot, waitForIdle } from './lib/proc.ts';
import { expectStatus, h1Client, h2Client, prepareNamespace, startBenchServer, type Client } from './lib/server.ts';
import { benchArgs, fmt, mb, report, summarize, verdict } from './lib/stats.ts';

const args = benchArgs();
const PODS = Number(args.get('pods') ?? 10_000);
const RUNS = Number(args.get('runs') ?? (args.quick ? 3 : 5));
const NAMESPACES = 10;
const SIZE = process.argv.includes('--large') ? 'large' : 'small';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const rep = report('list', args.json);

/** `--only=json.h2,table.h2`: run just these lists (keys as in the --json output). */
const ONLY = args.get('only')?.split(',');
const want = (key: string) => !ONLY || ONLY.includes(key);

// With --profile, pods are created by an unprofiled server, which is then
// restarted under --cpu-prof: the profile holds start-up and the lists only.
const srv = await startBenchServer();
let pid = srv.pid;

function randomSuffix(i: number): string {
  // Pod names as a ReplicaSet makes them: web-<hash>-<5 chars>.
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let n = i + 7919, k = 0; k < 5; k++, n = Math.floor(n / alphabet.length)) s += alphabet[n % alphabet.length];
  return s;
}

async function createPods(): Promise<void> {
  const admin = h2Client(srv.creds);
  const owners: string[] = [];
  for (let n = 0; n < NAMESPACES; n++) owners.push(await prepareNamespace(admin, `shop-${n}`));
  admin.close();
  const sessions = Array.from({ length: 4 }, () => h2Client(srv.creds));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async (_, w) => {
      const c = sessions[w % sessions.length]!;
      for (let i = next++; i < PODS; i = next++) {
        const n = i % NAMESPACES;
        const body = podBody(`web-7c79c4bf97-${randomSuffix(i)}`, `shop-${n}`, { nodeName: `pi-node-${(i % 4) + 1}`, ownerUid: owners[n], size: SIZE });
        expectStatus(await c.request('POST', `/api/v1/namespaces/shop-${n}/pods`, body), 'create pod', 201);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  for (const c of sessions) c.close();
  rep.line('create', `created ${PODS} ${SIZE} pods (32 in flight, 4 HTTP/2 sessions)`, `${secs.toFixed(1)} s, ${(PODS / secs).toFixed(0)} pods/s`, { seconds: secs, podsPerSecond: PODS / secs });
}

interface ListRun {
  ms: number;
  ttfb: number;
  bytes: number;
  serverCpuMs: number;
  /** CPU time of the client process, when it is one (kubectl). */
  clientCpuMs?: number;
}

/** Times `fn` RUNS times after one warm-up; returns the runs. */
async function timed(fn: () => Promise<{ ttfb: number; bytes: number; items: number; clientCpuMs?: number }>): Promise<{ runs: ListRun[]; items: number }> {
  let items = (await fn()).items;
  const runs: ListRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    const before = snapshot(pid);
    const t0 = performance.now();
    const r = await fn();
    const ms = performance.now() - t0;
    const after = snapshot(pid);
    items = r.items;
    runs.push({ ms, ttfb: r.ttfb, bytes: r.bytes, serverCpuMs: (after.cpuSeconds - before.cpuSeconds) * 1000, clientCpuMs: r.clientCpuMs });
  }
  return { runs, items };
}

function listLine(key: string, label: string, res: { runs: ListRun[]; items: number }, target = true): void {
  const s = summarize(res.runs.map((r) => r.ms));
  const ttfb = summarize(res.runs.map((r) => r.ttfb));
  const cpu = summarize(res.runs.map((r) => r.serverCpuMs));
  const bytes = res.runs[0]?.bytes ?? 0;
  const client = summarize(res.runs.map((r) => r.clientCpuMs ?? NaN).filter(Number.isFinite));
  rep.line(
    `list.${key}`,
    label,
    `median ${fmt(s.p50)} ms  min ${fmt(Math.min(...res.runs.map((r) => r.ms)))}  max ${fmt(s.max)}${Number.isFinite(ttfb.p50) ? `  first byte ${fmt(ttfb.p50)} ms` : ''}  server CPU ${cpu.p50.toFixed(0)} ms${client.n ? `  kubectl CPU ${client.p50.toFixed(0)} ms` : ''}${bytes ? `  ${mb(bytes)}` : ''}  ${res.items} items${target ? '  ' + verdict(s.p50, 500, 'ms') : ''}`,
    { medianMs: s.p50, minMs: Math.min(...res.runs.map((r) => r.ms)), maxMs: s.max, ttfbMedianMs: ttfb.p50, serverCpuMs: cpu.p50, clientCpuMs: client.p50, bytes, items: res.items, runs: res.runs.map((r) => r.ms) },
  );
}

function single(c: Client, accept: string, countRows: boolean) {
  return async () => {
    const r = expectStatus(await c.request('GET', '/api/v1/pods', undefined, { accept }), 'list', 200);
    const doc = JSON.parse(r.text);
    return { ttfb: r.ttfb, bytes: r.bytes, items: countRows ? doc.rows.length : doc.items.length };
  };
}

function paged(c: Client, accept: string, countRows: boolean) {
  return async () => {
    let cont = '';
    let items = 0;
    let bytes = 0;
    let ttfb = NaN;
    do {
      const r = expectStatus(await c.request('GET', `/api/v1/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, undefined, { accept }), 'list page', 200);
      if (Number.isNaN(ttfb)) ttfb = r.ttfb;
      bytes += r.bytes;
      const doc = JSON.parse(r.text);
      items += countRows ? doc.rows.length : doc.items.length;
      cont = doc.metadata?.continue ?? '';
    } while (cont);
    return { ttfb, bytes, items };
  };
}

function kubectl(extra: string[], what = 'pods -A') {
  const home = path.join(srv.server.dir, 'bench-home');
  mkdirSync(home, { recursive: true });
  return () =>
    new Promise<{ ttfb: number; bytes: number; items: number; clientCpuMs: number }>((resolve, reject) => {
      // bash's `time` reports the CPU time kubectl itself used (user + sys of the pipeline).
      const cmd = `TIMEFORMAT='%U %S'; time (${kubectlBin} get ${what} --no-headers ${extra.join(' ')} | wc -l)`;
      const p = spawn('bash', ['-c', cmd], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: srv.server.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      p.on('error', reject);
      p.on('close', () => {
        const lines = err.trim().split('\n');
        const [u, sy] = lines[lines.length - 1]!.split(' ').map(Number);
        if (lines.length > 1) process.stderr.write(lines.slice(0, -1).join('\n') + '\n');
        resolve({ ttfb: NaN, bytes: 0, items: Number(out.trim()), clientCpuMs: ((u ?? NaN) + (sy ?? NaN)) * 1000 });
      });
    });
}

try {
  console.log(`list: server pid ${pid}, ${PODS} pods, ${RUNS} timed runs each after a warm-up, node ${process.version}`);
  rep.section('setup');
  await createPods();
  if (args.profile) {
    await srv.restart(args.profile);
    pid = srv.pid;
    console.log(`restarted the server under --cpu-prof (pid ${pid}); profile goes to ${args.profile}`);
  }
  const settle = await waitForIdle(pid);
  const rssBefore = snapshot(pid).rssBytes;
  rep.line('rss.beforeList', 'server RSS with the pods stored (before any list)', `${mb(rssBefore)}  (settled ${(settle / 1000).toFixed(0)} s after creating)`, rssBefore);

  rep.section(`LIST all ${PODS} pods (GET /api/v1/pods): wall time in the client`);
  await beforePhase([pid], args.waitQuiet);
  const load = machineLoad([pid]);
  const mem = sampler(pid, 20);
  const h2 = h2Client(srv.creds);
  const h1 = h1Client(srv.creds);
  if (want('json.h2')) listLine('json.h2', 'JSON, HTTP/2', await timed(single(h2, 'application/json', false)));
  if (want('json.h1')) listLine('json.h1', 'JSON, HTTP/1.1', await timed(single(h1, 'application/json', false)));
  if (want('table.h2')) listLine('table.h2', 'Table, HTTP/2', await timed(single(h2, TABLE, true)));
  if (want('json.paged')) listLine('json.paged', 'JSON, limit=500 pages end to end (20 requests)', await timed(paged(h2, 'application/json', false)));
  if (want('table.paged')) listLine('table.paged', 'Table, limit=500 pages end to end (as kubectl)', await timed(paged(h2, TABLE, true)));
  rep.section('stock kubectl (wall time of the whole command, incl. its start-up and discovery cache)');
  if (want('kubectl')) listLine('kubectl', 'kubectl get pods -A --no-headers | wc -l', await timed(kubectl([])));
  if (want('kubectl.nochunk')) listLine('kubectl.nochunk', 'kubectl get pods -A --no-headers --chunk-size=0 | wc -l', await timed(kubectl(['--chunk-size=0'])));
  if (want('kubectl.floor')) listLine('kubectl.floor', 'floor: kubectl get namespaces --no-headers | wc -l', await timed(kubectl([], 'namespaces')), false);
  h1.close();
  h2.close();
  const during = mem.stop();
  const other = load();
  const rssAfter = snapshot(pid).rssBytes;
  rep.section('server memory');
  rep.line('rss.peak', 'server RSS peak during the lists (sampled every 20 ms)', mb(during.rssPeak), during.rssPeak);
  rep.line('rss.afterList', 'server RSS right after the lists', mb(rssAfter), rssAfter);
  await new Promise((r) => setTimeout(r, 10_000));
  const rssLater = snapshot(pid).rssBytes;
  rep.line('rss.after10s', 'server RSS 10 s later', mb(rssLater), rssLater);
  rep.line('load', 'other processes during the lists', `${other.otherCores.toFixed(2)} cores (loadavg ${other.loadavg})`, other);

  // Baseline: the storage layer alone, on the server's own data file.
  const dbPath = path.join(srv.server.dataDir, 'server', 'db', 'state.db');
  srv.server.proc.kill('SIGTERM');
  await new Promise<void>((r) => (srv.server.proc.exitCode !== null ? r() : srv.server.proc.once('exit', () => r())));
  rep.section('baseline: storage layer in this process, same data file');
  const b = await openSqliteBackend({ path: dbPath, compactIntervalMs: 0 });
  await beforePhase([], args.waitQuiet);
  const raw: number[] = [];
  const rawFull: number[] = [];
  const rawSplice: number[] = [];
  let n = 0;
  let bytes = 0;
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    const { kvs, revision } = await b.list('/registry/core/pods/');
    const t1 = performance.now();
    const items = kvs.map((kv) => {
      const o = JSON.parse(kv.value);
      o.metadata.resourceVersion = String(kv.modRevision);
      return o;
    });
    const text = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(revision) }, items });
    const t2 = performance.now();
    // What serving the stored text needs without parsing it: splice resourceVersion into each object's metadata.
    const t3 = performance.now();
    const again = await b.list('/registry/core/pods/');
    const parts = again.kvs.map((kv) => {
      const at = kv.value.indexOf('"metadata":{') + 12;
      const sep = kv.value[at] === '}' ? '' : ',';
      return `${kv.value.slice(0, at)}"resourceVersion":"${kv.modRevision}"${sep}${kv.value.slice(at)}`;
    });
    const spliced = `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"${again.revision}"},"items":[${parts.join(',')}]}`;
    Buffer.byteLength(spliced);
    const t4 = performance.now();
    if (i > 0) {
      raw.push(t1 - t0);
      rawFull.push(t2 - t0);
      rawSplice.push(t4 - t3);
    }
    n = kvs.length;
    bytes = Buffer.byteLength(text);
  }
  await b.close();
  const rs = summarize(raw);
  const rf = summarize(rawFull);
  rep.line('storage.list', 'backend.list of all pods', `median ${fmt(rs.p50)} ms  max ${fmt(rs.max)}  ${n} items`, { medianMs: rs.p50, maxMs: rs.max, items: n });
  rep.line('storage.listParseStringify', 'backend.list + JSON.parse each + JSON.stringify list', `median ${fmt(rf.p50)} ms  max ${fmt(rf.max)}  ${mb(bytes)}`, { medianMs: rf.p50, maxMs: rf.max, bytes });
  const sp = summarize(rawSplice);
  rep.line('storage.listSplice', 'backend.list + splice resourceVersion into stored text', `median ${fmt(sp.p50)} ms  max ${fmt(sp.max)}`, { medianMs: sp.p50, maxMs: sp.max });
  rep.finish({ pods: PODS, runs: RUNS, podSize: SIZE });
} finally {
  await srv.stop();
}
