/**
 * Watch fan-out: 1,000 concurrent watchers on the ConfigMaps of one
 * namespace while one writer makes 100 writes/s.
 *
 *   node_modules/.bin/node bench/watch-fanout.ts [--seconds=20] [--h2-watchers=750] [--h2-sessions=5]
 *       [--h1-watchers=250] [--rate=100] [--quick] [--json] [--no-wait] [--profile[=DIR]]
 *
 * Watchers connect as real clients do: most as streams multiplexed over a
 * few HTTP/2 sessions (client-go, kubectl), the rest one HTTP/1.1
 * connection each. All start from the same resourceVersion, with
 * allowWatchBookmarks, like an informer.
 *
 * The writer (its own HTTP/2 session) sends on a fixed schedule: creates,
 * merge patches and deletes in a 1:2:1 mix, each object carrying the write's
 * sequence number in `data.seq`. For every watcher and write the bench
 * records the receipt time of the event; lag = receipt - send, and
 * receipt - acknowledgement (the write's response). Every watcher must see
 * every acknowledged write exactly once: missing and duplicate events are
 * counted per watcher. Target: lag p99 <= 100 ms.
 *
 * Baseline: the same writes with no watchers open (write latency, server
 * CPU), and the server's RSS and CPU with the watchers open but idle.
 * The bench's own CPU and event-loop delay are printed too: the client
 * shares the machine with the server.
 */
import http2 from 'node:http2';
import https from 'node:https';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { configMapBody } from './lib/objects.ts';
import { beforePhase, machineLoad, sampler, selfCpu, snapshot } from './lib/proc.ts';
import { expectStatus, h2Client, prepareNamespace, startBenchServer, type Client } from './lib/server.ts';
import { benchArgs, fmt, fmtSummary, mb, report, sleep, summarize, verdict } from './lib/stats.ts';

const args = benchArgs();
const SECONDS = Number(args.get('seconds') ?? (args.quick ? 8 : 20));
const RATE = Number(args.get('rate') ?? 100);
const H2_WATCHERS = Number(args.get('h2-watchers') ?? 750);
const H2_SESSIONS = Number(args.get('h2-sessions') ?? 5);
const H1_WATCHERS = Number(args.get('h1-watchers') ?? 250);
const NS = 'fanout';
const rep = report('watch-fanout', args.json);

interface WriteOp {
  kind: 'create' | 'patch' | 'delete';
  name: string;
  sent: number;
  acked: number;
  ok: boolean;
}

/** Writes indexed by sequence number; deletes are found by name (the DELETED object carries the last patch's seq). */
const ops: WriteOp[] = [];
const deleteSeqByName = new Map<string, number>();
/** Writes that did not succeed, by kind and status (e.g. a patch racing the delete of its object: 404). */
const failures = new Map<string, number>();

class Watcher {
  readonly proto: 'h2' | 'h1';
  seqs: Int32Array;
  times: Float64Array;
  count = 0;
  bookmarks = 0;
  ended = false;
  error = '';
  status = 0;
  private buf = '';
  close: () => void = () => undefined;

  constructor(proto: 'h2' | 'h1', capacity: number) {
    this.proto = proto;
    this.seqs = new Int32Array(capacity);
    this.times = new Float64Array(capacity);
  }

  onData(chunk: Buffer): void {
    const now = performance.now();
    this.buf += chunk.toString('utf8');
    let start = 0;
    let nl: number;
    while ((nl = this.buf.indexOf('\n', start)) >= 0) {
      this.frame(this.buf.slice(start, nl), now);
      start = nl + 1;
    }
    this.buf = start === 0 ? this.buf : this.buf.slice(start);
  }

  /** Reads the type and write identity from a frame without parsing the whole object. */
  private frame(f: string, now: number): void {
    const type = f.slice(9, 12);
    let seq = -1;
    if (type === 'BOO') {
      this.bookmarks++;
      return;
    }
    if (type === 'DEL') {
      const i = f.indexOf('"name":"') + 8;
      seq = deleteSeqByName.get(f.slice(i, f.indexOf('"', i))) ?? -2;
    } else if (type === 'ADD' || type === 'MOD') {
      const i = f.indexOf('"seq":"') + 7;
      seq = i >= 7 ? Number(f.slice(i, f.indexOf('"', i))) : -3;
    } else {
      this.error ||= f.slice(0, 200);
      return;
    }
    if (this.count === this.seqs.length) {
      const s = new Int32Array(this.seqs.length * 2);
      s.set(this.seqs);
      this.seqs = s;
      const t = new Float64Array(this.times.length * 2);
      t.set(this.times);
      this.times = t;
    }
    this.seqs[this.count] = seq;
    this.times[this.count++] = now;
  }
}

function watchPath(rv: string): string {
  return `/api/v1/namespaces/${NS}/configmaps?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=900`;
}

function openH2Watchers(creds: ReturnType<typeof h2Client> extends never ? never : Parameters<typeof h2Client>[0], rv: string, n: number, sessions: number, capacity: number) {
  const list: Watcher[] = [];
  const conns = Array.from({ length: sessions }, () => {
    // Flow-control windows as Go's HTTP/2 transport (client-go, kubectl) sets them: 4 MB per stream, 1 GB per connection.
    // Node's defaults (64 KB each) would make the client, not the server, the bottleneck.
    const s = http2.connect(`https://${creds.host}:${creds.port}`, {
      ca: creds.ca,
      cert: creds.cert,
      key: creds.key,
      servername: 'localhost',
      settings: { initialWindowSize: 4 << 20 },
    });
    s.on('connect', () => s.setLocalWindowSize(1 << 30));
    s.on('error', () => undefined);
    return s;
  });
  const ready: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const w = new Watcher('h2', capacity);
    const req = conns[i % sessions]!.request({ ':method': 'GET', ':path': watchPath(rv), accept: 'application/json' });
    ready.push(
      new Promise<void>((resolve) => {
        req.on('response', (h) => {
          w.status = Number(h[':status']);
          resolve();
        });
        req.on('error', (e) => {
          w.error ||= String(e);
          resolve();
        });
      }),
    );
    req.on('data', (c: Buffer) => w.onData(c));
    req.on('end', () => (w.ended = true));
    req.on('close', () => (w.ended = true));
    w.close = () => req.close();
    list.push(w);
  }
  return { watchers: list, ready: Promise.all(ready), close: () => conns.forEach((s) => s.destroy()) };
}

function openH1Watchers(creds: Parameters<typeof h2Client>[0], rv: string, n: number, capacity: number) {
  const agent = new https.Agent({ ca: creds.ca, cert: creds.cert, key: creds.key, keepAlive: true, maxSockets: Infinity });
  const list: Watcher[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const w = new Watcher('h1', capacity);
    ready.push(
      new Promise<void>((resolve) => {
        const req = https.get({ host: creds.host, port: creds.port, path: watchPath(rv), agent, servername: 'localhost', headers: { accept: 'application/json' } }, (res) => {
          w.status = res.statusCode ?? 0;
          res.on('data', (c: Buffer) => w.onData(c));
          res.on('end', () => (w.ended = true));
          res.on('close', () => (w.ended = true));
          res.on('error', () => undefined);
          resolve();
        });
        req.on('error', (e) => {
          w.error ||= String(e);
          resolve();
        });
        w.close = () => req.destroy();
      }),
    );
    list.push(w);
  }
  return { watchers: list, ready: Promise.all(ready), close: () => agent.destroy() };
}

/** The writer: RATE writes/s for `seconds`, open loop; returns write latencies. */
async function writeLoad(c: Client, seconds: number, tag: string): Promise<number[]> {
  const live: string[] = [];
  for (let i = 0; i < 20; i++) {
    const name = `${tag}-seed-${i}`;
    expectStatus(await c.request('POST', `/api/v1/namespaces/${NS}/configmaps`, configMapBody(name, NS, { seq: String(ops.length) })), 'seed', 201);
    ops.push({ kind: 'create', name, sent: performance.now(), acked: performance.now(), ok: true });
    live.push(name);
  }
  const lat: number[] = [];
  const inflight: Promise<void>[] = [];
  /** Names with a write in flight. */
  const busy = new Map<string, number>();
  const total = RATE * seconds;
  const start = performance.now() + 20;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const seq = ops.length;
    // Deletes take the oldest object with no write in flight, so no patch races its object's delete.
    const victim = i % 4 === 3 && live.length > 10 ? live.findIndex((n) => !busy.has(n)) : -1;
    let kind: WriteOp['kind'] = i % 4 === 0 ? 'create' : victim >= 0 ? 'delete' : 'patch';
    let name: string;
    let req: Promise<import('./lib/server.ts').Reply>;
    if (kind === 'create') {
      name = `${tag}-${i}`;
      req = c.request('POST', `/api/v1/namespaces/${NS}/configmaps`, configMapBody(name, NS, { seq: String(seq) }));
    } else if (kind === 'delete') {
      name = live.splice(victim, 1)[0]!;
      deleteSeqByName.set(name, seq);
      req = c.request('DELETE', `/api/v1/namespaces/${NS}/configmaps/${name}`);
    } else {
      kind = 'patch';
      name = live[Math.floor(Math.random() * live.length)]!;
      req = c.request('PATCH', `/api/v1/namespaces/${NS}/configmaps/${name}`, JSON.stringify({ data: { seq: String(seq) } }), { 'content-type': 'application/merge-patch+json' });
    }
    const op: WriteOp = { kind, name, sent: performance.now(), acked: NaN, ok: false };
    ops.push(op);
    busy.set(name, (busy.get(name) ?? 0) + 1);
    const done = () => (busy.get(name) === 1 ? busy.delete(name) : busy.set(name, busy.get(name)! - 1));
    inflight.push(
      req.then(
        (r) => {
          done();
          op.acked = performance.now();
          op.ok = r.status >= 200 && r.status < 300;
          if (!op.ok) failures.set(`${kind} ${r.status}`, (failures.get(`${kind} ${r.status}`) ?? 0) + 1);
          lat.push(op.acked - op.sent);
          if (op.ok && kind === 'create') live.push(name);
        },
        (e) => {
          done();
          op.acked = performance.now();
          failures.set(`${kind} ${String(e)}`, (failures.get(`${kind} ${String(e)}`) ?? 0) + 1);
        },
      ),
    );
  }
  await Promise.all(inflight);
  return lat;
}

const srv = await startBenchServer({ profile: args.profile });
const pid = srv.pid;
try {
  const total = H2_WATCHERS + H1_WATCHERS;
  console.log(
    `watch-fanout: server pid ${pid}, ${total} watchers (${H2_WATCHERS} HTTP/2 over ${H2_SESSIONS} sessions, ${H1_WATCHERS} HTTP/1.1), ${RATE} writes/s for ${SECONDS} s, node ${process.version}`,
  );
  const writer = h2Client(srv.creds);
  await prepareNamespace(writer, NS);

  rep.section(`baseline: ${RATE} writes/s with no watchers (5 s)`);
  await writeLoad(writer, 2, 'warm');
  await beforePhase([pid], args.waitQuiet);
  const base = sampler(pid);
  const baseLat = summarize(await writeLoad(writer, 5, 'base'));
  const baseRes = base.stop();
  rep.line('baseline.writes', 'write latency (create/patch/delete)', fmtSummary(baseLat), baseLat);
  rep.line('baseline.server', 'server CPU / RSS', `${baseRes.cpuAvgPercent.toFixed(0)}% of a core, RSS ${mb(baseRes.rssEnd)}`, { cpuPercent: baseRes.cpuAvgPercent, rssBytes: baseRes.rssEnd });

  rep.section(`opening ${total} watchers`);
  const listed = JSON.parse(expectStatus(await writer.request('GET', `/api/v1/namespaces/${NS}/configmaps?limit=1`), 'list', 200).text);
  const rv = String(listed.metadata.resourceVersion);
  const firstSeq = ops.length;
  const capacity = RATE * SECONDS + 64;
  const rssBefore = snapshot(pid).rssBytes;
  const t0 = performance.now();
  const h2w = openH2Watchers(srv.creds, rv, H2_WATCHERS, H2_SESSIONS, capacity);
  const h1w = openH1Watchers(srv.creds, rv, H1_WATCHERS, capacity);
  await Promise.all([h2w.ready, h1w.ready]);
  const openMs = performance.now() - t0;
  const watchers = [...h2w.watchers, ...h1w.watchers];
  const bad = watchers.filter((w) => w.status !== 200);
  if (bad.length) throw new Error(`${bad.length} watches failed: ${bad[0]!.status} ${bad[0]!.error}`);
  await sleep(3000);
  const idle0 = snapshot(pid);
  await sleep(3000);
  const idle1 = snapshot(pid);
  rep.line('open', `all ${total} watches answered 200`, `${fmt(openMs)} ms`, openMs);
  rep.line('idleWatchers', 'server with the watchers open, no writes', `RSS ${mb(idle1.rssBytes)} (+${mb(idle1.rssBytes - rssBefore)}), CPU ${((100 * (idle1.cpuSeconds - idle0.cpuSeconds)) / ((idle1.at - idle0.at) / 1000)).toFixed(1)}% of a core`, {
    rssBytes: idle1.rssBytes,
    rssAddedBytes: idle1.rssBytes - rssBefore,
  });

  rep.section(`fan-out: ${RATE} writes/s for ${SECONDS} s`);
  await beforePhase([pid], args.waitQuiet);
  const load = machineLoad([pid]);
  const run = sampler(pid, 500);
  const mine = selfCpu();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  failures.clear();
  const lat = summarize(await writeLoad(writer, SECONDS, 'run'));
  // Let the last events arrive.
  const expected = ops.slice(firstSeq).map((o, i) => ({ ...o, seq: firstSeq + i })).filter((o) => o.ok);
  const want = expected.length;
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline && watchers.some((w) => !w.ended && w.count < want)) await sleep(50);
  loop.disable();
  const res = run.stop();
  const benchCpu = mine();
  const other = load();

  // Per-watcher accounting.
  const okSeq = new Uint8Array(ops.length + 1);
  for (const o of expected) okSeq[o.seq] = 1;
  let missingTotal = 0;
  let dupTotal = 0;
  let unexpectedTotal = 0;
  let watchersMissing = 0;
  let watchersDup = 0;
  const lagSend: Record<'h2' | 'h1', number[]> = { h2: [], h1: [] };
  const lagAck: Record<'h2' | 'h1', number[]> = { h2: [], h1: [] };
  const seen = new Uint8Array(ops.length + 1);
  for (const w of watchers) {
    seen.fill(0);
    let dups = 0;
    let unexpected = 0;
    for (let i = 0; i < w.count; i++) {
      const s = w.seqs[i]!;
      if (s < 0 || s >= okSeq.length || !okSeq[s]) {
        unexpected++;
        continue;
      }
      if (seen[s]) {
        dups++;
        continue;
      }
      seen[s] = 1;
      const op = ops[s]!;
      lagSend[w.proto].push(w.times[i]! - op.sent);
      lagAck[w.proto].push(w.times[i]! - op.acked);
    }
    let missing = 0;
    for (const o of expected) if (!seen[o.seq]) missing++;
    missingTotal += missing;
    dupTotal += dups;
    unexpectedTotal += unexpected;
    if (missing) watchersMissing++;
    if (dups) watchersDup++;
  }
  const all = summarize([...lagSend.h2, ...lagSend.h1]);
  rep.line('lag.all', `delivery lag, send -> receipt, all ${total} watchers`, `${fmtSummary(all)}  ${verdict(all.p99, 100, 'ms')}`, all);
  const h2s = summarize(lagSend.h2);
  const h1s = summarize(lagSend.h1);
  rep.line('lag.h2', `  HTTP/2 watchers (${H2_WATCHERS})`, fmtSummary(h2s), h2s);
  rep.line('lag.h1', `  HTTP/1.1 watchers (${H1_WATCHERS})`, fmtSummary(h1s), h1s);
  const ack = summarize([...lagAck.h2, ...lagAck.h1]);
  rep.line('lag.fromAck', 'delivery lag, write acknowledged -> receipt', `p50 ${fmt(ack.p50)}  p99 ${fmt(ack.p99)}  max ${fmt(ack.max)} ms (negative: event before the response)`, ack);
  rep.line('writes', 'write latency during fan-out', fmtSummary(lat), lat);
  rep.line(
    'completeness',
    'events: expected per watcher / missing / duplicate',
    `${want} writes acknowledged (of ${ops.length - firstSeq}${failures.size ? `; failed: ${[...failures].map(([k, v]) => `${k} x${v}`).join(', ')}` : ''}); missing ${missingTotal} (in ${watchersMissing} watchers), duplicates ${dupTotal} (in ${watchersDup} watchers), unexpected ${unexpectedTotal}; streams ended early ${watchers.filter((w) => w.ended).length}`,
    { expectedPerWatcher: want, sent: ops.length - firstSeq, missingTotal, watchersMissing, dupTotal, watchersDup, unexpectedTotal, endedEarly: watchers.filter((w) => w.ended).length },
  );
  const deliveries = lagSend.h2.length + lagSend.h1.length;
  const usPerDelivery = ((res.cpuAvgPercent / 100) * res.seconds * 1e6) / Math.max(1, deliveries);
  rep.line('server', 'server CPU during fan-out (avg / peak 0.5 s)', `${res.cpuAvgPercent.toFixed(0)}% / ${res.cpuPeakPercent.toFixed(0)}% of a core (${usPerDelivery.toFixed(1)} µs CPU per delivered event); RSS ${mb(res.rssStart)} -> peak ${mb(res.rssPeak)}`, {
    usPerDelivery,
    cpuAvgPercent: res.cpuAvgPercent,
    cpuPeakPercent: res.cpuPeakPercent,
    rssStartBytes: res.rssStart,
    rssPeakBytes: res.rssPeak,
  });
  rep.line('client', 'bench process (all watchers + writer)', `CPU ${benchCpu.toFixed(0)}% of a core, event-loop delay p99 ${fmt(loop.percentile(99) / 1e6)} ms max ${fmt(loop.max / 1e6)} ms; other processes ${other.otherCores.toFixed(2)} cores`, {
    cpuPercent: benchCpu,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    otherCores: other.otherCores,
  });
  const errs = watchers.filter((w) => w.error);
  if (errs.length) rep.line('errors', 'watch errors', `${errs.length}: ${errs[0]!.error}`, errs.length);

  for (const w of watchers) w.close();
  h2w.close();
  h1w.close();
  writer.close();
  rep.finish({ watchers: total, h2Watchers: H2_WATCHERS, h2Sessions: H2_SESSIONS, h1Watchers: H1_WATCHERS, rate: RATE, seconds: SECONDS });
} finally {
  await srv.stop();
}
