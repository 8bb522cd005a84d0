/**
 * Storage benchmark for the sqlite backend.
 *
 *   node_modules/.bin/node bench/storage-bench.ts          # full run (~2 min)
 *   node_modules/.bin/node bench/storage-bench.ts --quick  # shorter fan-out and idle phases
 *
 * Budgets it is measured against (apiserver, 2-core machine): list of 10k
 * pods <= 500 ms end to end, 1000 watchers with p99 lag <= 100 ms, mutating
 * p99 <= 10 ms at 20 req/s. Storage should use a fraction of each.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Backend } from '../src/storage/backend.ts';
import { openSqliteBackend, type SqliteBackendOptions } from '../src/storage/sqlite/sqlite.ts';

const quick = process.argv.includes('--quick');
const footprintMode = process.argv.find((a) => a.startsWith('--footprint='))?.slice('--footprint='.length);
const FANOUT_SECONDS = quick ? 3 : 10;
const IDLE_SECONDS = quick ? 10 : 60;
const root = mkdtempSync(join(tmpdir(), 'bramble-bench-'));
let dbCount = 0;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

function pct(samples: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** A pod-shaped JSON document of about 2.5 KB. */
function podJson(name: string, extra: Record<string, unknown> = {}): string {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: '6f1c2d3e-0000-4000-8000-' + name.padStart(12, '0').slice(-12),
      resourceVersion: '0',
      creationTimestamp: '2026-11-22T03:01:52Z',
      labels: { app: 'nginx', 'pod-template-hash': '6w5lx76zg6' },
      annotations: { 'bramble.io/padding': 'p'.repeat(1300) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nginx-6w5lx76zg6', uid: 'a', controller: true }],
    },
    spec: {
      containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
      nodeName: 'pi-node-3',
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
    },
    status: { phase: 'Running', podIP: '10.42.1.13', hostIP: '192.168.1.23', conditions: [{ type: 'Ready', status: 'True' }] },
    ...extra,
  };
  return JSON.stringify(pod);
}

async function open(opts: Partial<SqliteBackendOptions> = {}): Promise<{ b: Backend; path: string }> {
  const path = join(root, `bench-${dbCount++}.db`);
  return { b: await openSqliteBackend({ path, compactIntervalMs: 0, ...opts }), path };
}

function line(label: string, text: string): void {
  console.log(`${label.padEnd(52)} ${text}`);
}

async function singleWriter(label: string, opts: Partial<SqliteBackendOptions>): Promise<void> {
  const { b } = await open(opts);
  const n = 1000;
  const lat = new Float64Array(n);
  for (let i = 0; i < 50; i++) await b.create(`/warm/${i}`, podJson(`w${i}`));
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await b.create(`/registry/pods/default/p${i}`, podJson(`p${i}`));
    lat[i] = performance.now() - t0;
    if (!r.ok) throw new Error('create refused');
  }
  line(`single-writer create (${label})`, `p50 ${fmt(pct(lat, 50))} ms  p99 ${fmt(pct(lat, 99))} ms  (n=${n})`);
  await b.close();
}

async function concurrentWriters(label: string, opts: Partial<SqliteBackendOptions>): Promise<void> {
  const { b } = await open(opts);
  const writers = 8;
  const perWriter = 500;
  const lat: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        const s = performance.now();
        const r = await b.create(`/registry/pods/default/w${w}-${i}`, podJson(`w${w}-${i}`));
        lat.push(performance.now() - s);
        if (!r.ok) throw new Error('create refused');
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  loop.disable();
  line(
    `8 concurrent writers (${label})`,
    `${Math.round((writers * perWriter) / secs)} writes/s  p99 ${fmt(pct(lat, 99))} ms  event-loop delay max ${fmt(loop.max / 1e6)} ms`,
  );
  await b.close();
}

async function pacedUpdates(label: string, opts: Partial<SqliteBackendOptions>): Promise<void> {
  const { b } = await open(opts);
  const keys = 50;
  for (let i = 0; i < keys; i++) await b.create(`/registry/pods/default/u${i}`, podJson(`u${i}`));
  const seconds = quick ? 3 : 15;
  const lat: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < 20 * seconds; i++) {
    const due = start + i * 50;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(
      (async () => {
        const key = `/registry/pods/default/u${i % keys}`;
        const s = performance.now();
        const cur = (await b.get(key)).kv!;
        const r = await b.update(key, podJson(`u${i}`, { tick: i }), cur.modRevision);
        lat.push(performance.now() - s);
        if (!r.ok) throw new Error('update refused');
      })(),
    );
  }
  await Promise.all(pending);
  loop.disable();
  line(
    `get+update at 20 req/s (${label})`,
    `p50 ${fmt(pct(lat, 50))} ms  p99 ${fmt(pct(lat, 99))} ms  (n=${lat.length})  event-loop delay max ${fmt(loop.max / 1e6)} ms`,
  );
  await b.close();
}

/** What a thread hop alone costs here: the floor under the thread writer's latency after idle gaps. */
async function threadRoundTrip(): Promise<void> {
  const echo = "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));";
  const w = new Worker(echo, { eval: true });
  const lat: number[] = [];
  for (let i = 0; i < 300; i++) {
    await sleep(20);
    const t0 = performance.now();
    await new Promise((resolve) => {
      w.once('message', resolve);
      w.postMessage(i);
    });
    lat.push(performance.now() - t0);
  }
  line('worker-thread round trip after 20 ms idle', `p50 ${fmt(pct(lat, 50))} ms  p99 ${fmt(pct(lat, 99))} ms  (no storage work)`);
  await w.terminate();
}

async function readsAndLists(): Promise<void> {
  const { b } = await open();
  const n = 10_000;
  for (let i = 0; i < n; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, j) => b.create(`/registry/pods/default/pod-${String(i + j).padStart(5, '0')}`, podJson(`pod-${i + j}`))));
  }
  for (let i = 0; i < 2000; i++) await b.create(`/registry/leases/kube-node-lease/n${i}`, '{"kind":"Lease"}');
  const older = await b.currentRevision();
  // History: 3000 pod updates after the "older" revision.
  for (let i = 0; i < 3000; i += 500) {
    await Promise.all(
      Array.from({ length: 500 }, async (_, j) => {
        const key = `/registry/pods/default/pod-${String((i + j) * 3 % n).padStart(5, '0')}`;
        const cur = (await b.get(key)).kv!;
        await b.update(key, podJson(key, { gen: 2 }), cur.modRevision);
      }),
    );
  }

  const gets = new Float64Array(5000);
  for (let i = 0; i < gets.length; i++) {
    const key = `/registry/pods/default/pod-${String(Math.floor(Math.random() * n)).padStart(5, '0')}`;
    const t0 = performance.now();
    await b.get(key);
    gets[i] = performance.now() - t0;
  }
  line('get (10k pods, 2.5 KB)', `p50 ${fmt(pct(gets, 50))} ms  p99 ${fmt(pct(gets, 99))} ms`);

  const timeList = async (label: string, f: () => Promise<{ kvs: unknown[] }>) => {
    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      count = (await f()).kvs.length;
      times.push(performance.now() - t0);
    }
    line(label, `median ${fmt(pct(times, 50))} ms  max ${fmt(Math.max(...times))} ms  (${count} values)`);
  };
  await timeList('list 10k pods (latest)', () => b.list('/registry/pods/'));
  await timeList(`list 10k pods (at older revision ${older})`, () => b.list('/registry/pods/', { revision: older }));
  await timeList('list first page of 500 (latest)', () => b.list('/registry/pods/', { limit: 500 }));
  await timeList('count 10k pods', async () => ({ kvs: new Array((await b.count('/registry/pods/')).count) }));
  await b.close();
}

async function fanOut(): Promise<void> {
  const { b } = await open();
  const watchers = 1000;
  const rate = 100;
  const total = rate * FANOUT_SECONDS;
  const sent = new Map<string, number>();
  const lags = new Float64Array(watchers * total);
  let samples = 0;
  let batches = 0;
  const ac = new AbortController();
  const loops = Array.from({ length: watchers }, async () => {
    let seen = 0;
    for await (const batch of b.watch('/registry/pods/', { afterRevision: 0, signal: ac.signal })) {
      batches++;
      const now = performance.now();
      for (const e of batch.events) lags[samples++] = now - sent.get(e.kv.key)!;
      if ((seen += batch.events.length) >= total) return;
    }
  });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const start = performance.now();
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const key = `/registry/pods/default/f${i}`;
    sent.set(key, performance.now());
    writes.push(b.create(key, podJson(`f${i}`)));
  }
  await Promise.all(writes);
  await Promise.all(loops);
  loop.disable();
  ac.abort();
  line(
    `watch fan-out: ${watchers} watchers, ${rate} writes/s, ${FANOUT_SECONDS} s`,
    `lag p50 ${fmt(pct(lags.subarray(0, samples), 50))} ms  p99 ${fmt(pct(lags.subarray(0, samples), 99))} ms  max ${fmt(pct(lags.subarray(0, samples), 100))} ms`,
  );
  line('', `${samples} deliveries in ${batches} batches; event-loop delay p99 ${fmt(loop.percentile(99) / 1e6)} ms`);
  await b.close();
}

function procWriteBytes(): number {
  const m = /write_bytes:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function idle(): Promise<void> {
  const interval = 2000;
  const { b, path } = await open({ compactIntervalMs: interval });
  for (let i = 0; i < 200; i++) await b.create(`/registry/pods/default/i${i}`, podJson(`i${i}`));
  // Let the compactor see the writes and compact once; from then on it must stay quiet.
  await sleep(interval * 3 + 200);
  const files = [path, `${path}-wal`, `${path}-shm`];
  const snap = () => files.map((f) => (existsSync(f) ? { size: statSync(f).size, mtime: statSync(f).mtimeMs } : undefined));
  const before = snap();
  const io0 = procWriteBytes();
  await sleep(IDLE_SECONDS * 1000);
  const io1 = procWriteBytes();
  const after = snap();
  const changed = files.filter((_, i) => JSON.stringify(before[i]) !== JSON.stringify(after[i]));
  line(
    `idle ${IDLE_SECONDS} s (compactor every ${interval / 1000} s)`,
    `${io1 - io0} bytes written by the process (/proc/self/io); DB files changed: ${changed.length ? changed.join(', ') : 'none'}`,
  );
  await b.close();
}

/** RSS added by opening a backend, measured in a fresh child process. */
function footprint(): void {
  for (const mode of ['thread', 'inline']) {
    const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, `--footprint=${mode}`], { encoding: 'utf8' });
    line(`RSS added by opening a backend (${mode} writer)`, r.stdout.trim() || `failed: ${r.stderr.trim()}`);
  }
}

if (footprintMode) {
  await import('node:sqlite'); // count the backend, not the module loader
  const before = process.memoryUsage().rss;
  const { b } = await open({ writer: footprintMode as 'thread' | 'inline' });
  await b.create('/a', podJson('a'));
  await sleep(300);
  console.log(`+${((process.memoryUsage().rss - before) / 1e6).toFixed(1)} MB (process total ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB)`);
  await b.close();
  rmSync(root, { recursive: true, force: true });
  process.exit(0);
}

try {
  console.log(`bramble storage bench: node ${process.version}, sqlite ${process.versions.sqlite}, ${quick ? 'quick' : 'full'} run, dir ${root}`);
  footprint();
  await singleWriter('thread, FULL', {});
  await singleWriter('inline, FULL', { writer: 'inline' });
  await singleWriter('thread, NORMAL', { synchronous: 'NORMAL' });
  await concurrentWriters('thread, FULL, group commit', {});
  await concurrentWriters('thread, FULL, no group commit', { groupCommit: false });
  await concurrentWriters('inline, FULL, group commit', { writer: 'inline' });
  await threadRoundTrip();
  await pacedUpdates('thread, FULL', {});
  await pacedUpdates('inline, FULL', { writer: 'inline' });
  await readsAndLists();
  await fanOut();
  await idle();
} finally {
  rmSync(root, { recursive: true, force: true });
}
