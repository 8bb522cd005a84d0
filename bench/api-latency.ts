/**
 * API latency under light churn, and sustained create throughput.
 *
 *   node_modules/.bin/node bench/api-latency.ts [--quick] [--json] [--no-wait] [--profile[=DIR]]
 *
 * 1. Churn: 20 requests/s, open loop (each request is sent on schedule,
 *    whether or not earlier ones have answered), of single-object calls on
 *    ConfigMaps and Pods: create, get, update (PUT), get, patch, get, delete.
 *    p50/p90/p99 for mutating calls and for gets, over HTTP/2 (one session,
 *    as kubectl and client-go) and HTTP/1.1 (one keep-alive connection).
 *    Targets: mutating p99 <= 10 ms, get p99 <= 5 ms.
 * 2. Baselines at the same rate: GET /readyz (TLS + HTTP + routing, no
 *    storage) and the same operation sequence on the raw storage layer
 *    (sqlite backend in this process, same settings as the server).
 * 3. Throughput: 8 concurrent clients creating pods (and ConfigMaps) as fast
 *    as answers come back, for 15 s; objects/s with p50/p99. Baseline: 8
 *    concurrent writers on the raw storage layer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteBackend } from '../src/storage/sqlite/sqlite.ts';
import type { Backend } from '../src/storage/backend.ts';
import { configMapBody, podBody } from './lib/objects.ts';
import { beforePhase, machineLoad, sampler, selfCpu } from './lib/proc.ts';
import { expectStatus, h1Client, h2Client, prepareNamespace, startBenchServer, type Client } from './lib/server.ts';
import { benchArgs, fmt, fmtSummary, report, sleep, summarize, verdict } from './lib/stats.ts';

const args = benchArgs();
const CHURN_SECONDS = Number(args.get('churn-seconds') ?? (args.quick ? 15 : 60));
const THROUGHPUT_SECONDS = Number(args.get('throughput-seconds') ?? (args.quick ? 5 : 15));
const RATE = 20;
const CLIENTS = 8;
const rep = report('api-latency', args.json);

type Kind = 'configmaps' | 'pods';
type Op = 'create' | 'get' | 'update' | 'patch' | 'delete';
const mutating = new Set<Op>(['create', 'update', 'patch', 'delete']);
/** One object's life: 4 mutating calls, 3 gets. */
const lifecycle: Op[] = ['create', 'get', 'update', 'get', 'patch', 'get', 'delete'];

interface Sample {
  kind: Kind;
  op: Op;
  ms: number;
}

/** Runs `step(i)` at RATE per second on a fixed schedule for `seconds`; returns how late steps started (ms). */
async function paced(seconds: number, step: (i: number) => Promise<void>): Promise<number[]> {
  const total = RATE * seconds;
  const late: number[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now() + 20;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    late.push(Math.max(0, performance.now() - due));
    inflight.push(step(i));
  }
  await Promise.all(inflight);
  return late;
}

/** A driver for one object's lifecycle over the API. */
function apiLifecycle(c: Client, ns: string) {
  let seq = 0;
  return (lane: number) => {
    let kind: Kind = 'configmaps';
    let name = '';
    let live: Record<string, any> | undefined;
    let pos = 0;
    let chain = Promise.resolve();
    return (out: Sample[]): Promise<void> => {
      const run = async () => {
        const op = lifecycle[pos]!;
        pos = (pos + 1) % lifecycle.length;
        if (op === 'create') {
          kind = seq % 2 === 0 ? 'configmaps' : 'pods';
          name = `churn-${lane}-${seq++}`;
        }
        const base = `/api/v1/namespaces/${ns}/${kind}`;
        const t0 = performance.now();
        let r;
        switch (op) {
          case 'create':
            // Pods without nodeName: deletion is immediate, as for unscheduled pods upstream.
            r = expectStatus(await c.request('POST', base, kind === 'pods' ? podBody(name, ns, { ownerUid: owners.get(ns) }) : configMapBody(name, ns)), 'create', 201);
            break;
          case 'get':
            r = expectStatus(await c.request('GET', `${base}/${name}`), 'get', 200);
            break;
          case 'update': {
            const obj = live!;
            obj['metadata'].labels = { ...obj['metadata'].labels, revision: String(seq) };
            if (kind === 'configmaps') obj['data'] = { ...obj['data'], version: String(seq) };
            r = expectStatus(await c.request('PUT', `${base}/${name}`, JSON.stringify(obj)), 'update', 200);
            break;
          }
          case 'patch': {
            const patch = kind === 'pods' ? { metadata: { labels: { patched: 'true' } } } : { data: { patched: 'true' } };
            const ct = kind === 'pods' ? 'application/strategic-merge-patch+json' : 'application/merge-patch+json';
            r = expectStatus(await c.request('PATCH', `${base}/${name}`, JSON.stringify(patch), { 'content-type': ct }), 'patch', 200);
            break;
          }
          case 'delete':
            r = expectStatus(await c.request('DELETE', `${base}/${name}`), 'delete', 200);
            break;
        }
        out.push({ kind, op, ms: performance.now() - t0 });
        if (op === 'create' || op === 'update') live = JSON.parse(r.text);
      };
      chain = chain.then(run);
      return chain;
    };
  };
}

const LANES = 3;

async function churn(label: string, c: Client, ns: string, pid: number, seconds: number) {
  const mk = apiLifecycle(c, ns);
  // Warm up code paths (JIT) before measuring.
  const warm = Array.from({ length: LANES }, (_, i) => mk(100 + i));
  const discard: Sample[] = [];
  for (let i = 0; i < 70; i++) await warm[i % LANES]!(discard);
  const lanes = Array.from({ length: LANES }, (_, i) => mk(i));
  const out: Sample[] = [];
  await beforePhase([pid], args.waitQuiet);
  const cpu = sampler(pid);
  const load = machineLoad([pid]);
  const late = await paced(seconds, (i) => lanes[i % LANES]!(out));
  const res = cpu.stop();
  const other = load();
  const mut = summarize(out.filter((s) => mutating.has(s.op)).map((s) => s.ms));
  const gets = summarize(out.filter((s) => s.op === 'get').map((s) => s.ms));
  rep.line(`churn.${label}.mutating`, `${label}: mutating`, `${fmtSummary(mut)}  ${verdict(mut.p99, 10, 'ms')}`, mut);
  rep.line(`churn.${label}.get`, `${label}: get`, `${fmtSummary(gets)}  ${verdict(gets.p99, 5, 'ms')}`, gets);
  for (const kind of ['configmaps', 'pods'] as Kind[]) {
    for (const op of ['create', 'update', 'patch', 'delete', 'get'] as Op[]) {
      const s = summarize(out.filter((x) => x.kind === kind && x.op === op).map((x) => x.ms));
      rep.line(`churn.${label}.${kind}.${op}`, `  ${kind} ${op}`, fmtSummary(s), s);
    }
  }
  const l = summarize(late);
  rep.line(`churn.${label}.server`, `  server CPU / RSS`, `${res.cpuAvgPercent.toFixed(1)}% of a core, RSS ${(res.rssEnd / 1048576).toFixed(0)} MB; sender lateness p99 ${fmt(l.p99)} ms; other processes ${other.otherCores.toFixed(2)} cores`, {
    cpuPercent: res.cpuAvgPercent,
    otherCores: other.otherCores,
    rssBytes: res.rssEnd,
    senderLatenessP99: l.p99,
  });
}

async function floor(label: string, c: Client, seconds: number) {
  const out: number[] = [];
  for (let i = 0; i < 50; i++) await c.request('GET', '/readyz');
  await beforePhase([srv.pid], args.waitQuiet);
  await paced(seconds, async () => {
    const t0 = performance.now();
    expectStatus(await c.request('GET', '/readyz'), 'readyz', 200);
    out.push(performance.now() - t0);
  });
  const s = summarize(out);
  rep.line(`floor.${label}`, `${label}: GET /readyz (no storage)`, fmtSummary(s), s);
}

/** The churn's operation sequence on the raw storage layer, same rate. */
async function rawChurn(b: Backend, seconds: number) {
  const out: Sample[] = [];
  let seq = 0;
  const lanes = Array.from({ length: LANES }, () => {
    let pos = 0;
    let key = '';
    let kind: Kind = 'configmaps';
    let rev = 0;
    let chain = Promise.resolve();
    return () =>
      (chain = chain.then(async () => {
        const op = lifecycle[pos]!;
        pos = (pos + 1) % lifecycle.length;
        if (op === 'create') {
          kind = seq % 2 === 0 ? 'configmaps' : 'pods';
          key = `/registry/${kind}/bench/raw-${seq++}`;
        }
        const value = kind === 'pods' ? podBody(key, 'bench') : configMapBody(key, 'bench', { v: String(seq) });
        const t0 = performance.now();
        if (op === 'create') {
          const r = await b.create(key, value);
          if (!r.ok) throw new Error('raw create refused');
          rev = r.kv.modRevision;
        } else if (op === 'get') {
          await b.get(key);
        } else if (op === 'update' || op === 'patch') {
          // The API reads the current value, then compare-and-swaps: do the same.
          const cur = await b.get(key);
          const r = await b.update(key, value, cur.kv!.modRevision);
          if (!r.ok) throw new Error('raw update refused');
          rev = r.kv.modRevision;
        } else {
          const r = await b.delete(key, rev);
          if (!r.ok) throw new Error('raw delete refused');
        }
        out.push({ kind, op, ms: performance.now() - t0 });
      }));
  });
  for (let i = 0; i < 70; i++) await lanes[i % LANES]!();
  out.length = 0;
  await beforePhase([srv.pid], args.waitQuiet);
  await paced(seconds, (i) => lanes[i % LANES]!());
  const mut = summarize(out.filter((s) => mutating.has(s.op)).map((s) => s.ms));
  const gets = summarize(out.filter((s) => s.op === 'get').map((s) => s.ms));
  rep.line('churn.storage.mutating', 'raw storage: mutating', fmtSummary(mut), mut);
  rep.line('churn.storage.get', 'raw storage: get', fmtSummary(gets), gets);
}

async function throughput(key: string, label: string, clients: Client[], ns: string, kind: Kind, pid: number, seconds: number) {
  await beforePhase([pid], args.waitQuiet);
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  const cpu = sampler(pid);
  const load = machineLoad([pid]);
  const mine = selfCpu();
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, ci) => {
      for (let i = 0; performance.now() < end; i++) {
        const name = `${key}-${ci}-${i}`;
        const body = kind === 'pods' ? podBody(name, ns, { nodeName: 'pi-node-1', ownerUid: owners.get(ns) }) : configMapBody(name, ns);
        const s = performance.now();
        expectStatus(await c.request('POST', `/api/v1/namespaces/${ns}/${kind}`, body), 'create', 201);
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const res = cpu.stop();
  const other = load();
  const s = summarize(lat);
  const rate = lat.length / secs;
  rep.line(
    `throughput.${key}`,
    `${clients.length} clients, ${label}`,
    `${rate.toFixed(0)} objects/s  p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)} ms  (n=${s.n}; server CPU ${res.cpuAvgPercent.toFixed(0)}%, bench CPU ${mine().toFixed(0)}%, other ${other.otherCores.toFixed(2)} cores)`,
    { objectsPerSecond: rate, ...s, serverCpuPercent: res.cpuAvgPercent, otherCores: other.otherCores },
  );
}

async function rawThroughput(b: Backend, seconds: number) {
  await beforePhase([srv.pid], args.waitQuiet);
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const key = `/registry/pods/bench/t-${w}-${i}`;
        const s = performance.now();
        const r = await b.create(key, podBody(key, 'bench', { nodeName: 'pi-node-1' }));
        lat.push(performance.now() - s);
        if (!r.ok) throw new Error('raw create refused');
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const s = summarize(lat);
  rep.line('throughput.storage', `${CLIENTS} writers, raw storage pods`, `${(lat.length / secs).toFixed(0)} objects/s  p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)} ms  (n=${s.n})`, {
    objectsPerSecond: lat.length / secs,
    ...s,
  });
}

/** Namespace -> uid of the ReplicaSet its pods name as owner. */
const owners = new Map<string, string>();

const srv = await startBenchServer({ profile: args.profile });
const rawDir = mkdtempSync(join(tmpdir(), 'bramble-bench-raw-'));
try {
  console.log(`api-latency: server pid ${srv.pid}, node ${process.version}, churn ${CHURN_SECONDS} s per protocol at ${RATE} req/s, throughput ${THROUGHPUT_SECONDS} s`);
  const admin = h2Client(srv.creds);
  for (const ns of ['churn-h2', 'churn-h1', 'tp-h2', 'tp-h1', 'tp-cm']) owners.set(ns, await prepareNamespace(admin, ns));

  rep.section(`steady churn: ${RATE} req/s, mixed ConfigMap/Pod create, get, update, get, patch, get, delete`);
  const h2 = h2Client(srv.creds);
  await churn('HTTP/2', h2, 'churn-h2', srv.pid, CHURN_SECONDS);
  const h1 = h1Client(srv.creds);
  await churn('HTTP/1.1', h1, 'churn-h1', srv.pid, CHURN_SECONDS);

  rep.section(`baselines at ${RATE} req/s`);
  await floor('HTTP/2', h2, Math.min(10, CHURN_SECONDS));
  await floor('HTTP/1.1', h1, Math.min(10, CHURN_SECONDS));
  const raw = await openSqliteBackend({ path: join(rawDir, 'state.db'), compactIntervalMs: 0 });
  await rawChurn(raw, Math.min(20, CHURN_SECONDS));
  h2.close();
  h1.close();

  rep.section(`sustained creates: ${CLIENTS} concurrent clients, closed loop, ${THROUGHPUT_SECONDS} s`);
  const h2s = Array.from({ length: CLIENTS }, () => h2Client(srv.creds));
  await throughput('pods-h2', 'pods over HTTP/2 (8 sessions)', h2s, 'tp-h2', 'pods', srv.pid, THROUGHPUT_SECONDS);
  const h1s = Array.from({ length: CLIENTS }, () => h1Client(srv.creds));
  await throughput('pods-h1', 'pods over HTTP/1.1 (8 connections)', h1s, 'tp-h1', 'pods', srv.pid, THROUGHPUT_SECONDS);
  await throughput('cm-h2', 'ConfigMaps over HTTP/2 (8 sessions)', h2s, 'tp-cm', 'configmaps', srv.pid, THROUGHPUT_SECONDS);
  await rawThroughput(raw, Math.min(5, THROUGHPUT_SECONDS));
  await raw.close();
  for (const c of [...h2s, ...h1s, admin]) c.close();
  rep.finish({ churnSeconds: CHURN_SECONDS, throughputSeconds: THROUGHPUT_SECONDS });
} finally {
  await srv.stop();
  rmSync(rawDir, { recursive: true, force: true });
}
