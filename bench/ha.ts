/**
 * HA figures, in three parts:
 *
 * 1. storage: the storage seam on a single-member etcd (startEtcd on
 *    loopback, plain http, temp data dir) against the sqlite backend on a
 *    temp file (writer 'inline', as the server uses), same workload through
 *    the Backend interface: sequential 1 KB creates, 8 concurrent writers,
 *    gets, a list of 5,000 keys, watch delivery (write -> event).
 * 2. footprint: a `bramble lab` of 3 HA servers (etcd) against a lab of one
 *    server (SQLite); idle RSS, CPU and bytes written per process of each
 *    server board (bramble, etcd, containerd).
 * 3. failover, on the HA lab of part 2: power cut of a non-leader server
 *    (time until a write through another server succeeds), then of the
 *    kube-controller-manager leader (time until another server holds the
 *    Lease); one server down at a time, so etcd keeps its quorum.
 *
 * Parts 2 and 3 are root and use network namespaces: run under
 * `flock /tmp/bramble-e2e.lock` like the other lab benches.
 *
 *   node bench/ha.ts [--quick] [--json] [--no-wait] [--only=storage|lab] [--idle-seconds=60] [--rounds=3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEtcd, type EtcdProcess } from '../src/cluster/etcd/process.ts';
import { loopbackEtcd } from '../test/harness/etcd.ts';
import { openEtcdBackend } from '../src/storage/etcd/etcd.ts';
import { openSqliteBackend } from '../src/storage/sqlite/sqlite.ts';
import type { Backend, WatchBatch } from '../src/storage/backend.ts';
import type { BoardRecord, LabRecord } from '../src/lab/state.ts';
import { boardPids } from '../src/lab/procs.ts';
import { brambleBin, kubectlBin, run } from '../test/harness/server.ts';
import { benchArgs, fmt, mb, report, sleep, summarize, type Summary } from './lib/stats.ts';
import { beforePhase, machineLoad, sampler } from './lib/proc.ts';

const argv = process.argv.slice(2);
const args = benchArgs(argv);
const opt = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = opt('only');
const idleSeconds = Number(opt('idle-seconds') ?? (args.quick ? 15 : 60));
const rounds = Number(opt('rounds') ?? (args.quick ? 1 : 3));
const rep = report('ha', args.json);

// ---------------------------------------------------------------- part 1: storage

const value1k = 'x'.repeat(1024);


async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await f();
  return [performance.now() - t, r];
}

interface StorageFigures {
  seqCreate: Summary & { perSecond: number };
  concCreate: Summary & { perSecond: number };
  get: Summary;
  list5000: Summary;
  watch: Summary;
}

async function storageWorkload(b: Backend): Promise<StorageFigures> {
  const n = args.quick ? 300 : 1000;
  // Sequential creates.
  const seq: number[] = [];
  let t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const [ms, r] = await timed(() => b.create(`/bench/seq/${String(i).padStart(6, '0')}`, value1k));
    if (!r.ok) throw new Error('create failed');
    seq.push(ms);
  }
  const seqSecs = (performance.now() - t0) / 1000;

  // 8 concurrent writers, n creates in all.
  const conc: number[] = [];
  let next = 0;
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < n; i = next++) {
        const [ms, r] = await timed(() => b.create(`/bench/conc/${String(i).padStart(6, '0')}`, value1k));
        if (!r.ok) throw new Error('create failed');
        conc.push(ms);
      }
    }),
  );
  const concSecs = (performance.now() - t0) / 1000;

  // Gets of the sequential keys, in random order.
  const gets: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = `/bench/seq/${String(Math.floor(Math.random() * n)).padStart(6, '0')}`;
    const [ms, r] = await timed(() => b.get(k));
    if (!r.kv) throw new Error(`get ${k}: missing`);
    gets.push(ms);
  }

  // A list of 5,000 keys (filled by 32 concurrent writers, not measured).
  next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = next++; i < 5000; i = next++) await b.create(`/bench/list/${String(i).padStart(6, '0')}`, value1k);
    }),
  );
  const lists: number[] = [];
  for (let i = 0; i < (args.quick ? 3 : 10); i++) {
    const [ms, r] = await timed(() => b.list('/bench/list/'));
    if (r.kvs.length !== 5000) throw new Error(`list: ${r.kvs.length} keys`);
    lists.push(ms);
  }

  // Watch delivery: one write every 10 ms, time from issuing it to its event.
  const issued = new Map<string, number>();
  const lags: number[] = [];
  const ac = new AbortController();
  const w = b.watch('/bench/watch/', { afterRevision: await b.currentRevision(), signal: ac.signal });
  const pumping = w
    .pump((batch: WatchBatch) => {
      const now = performance.now();
      for (const e of batch.events) {
        const t = issued.get(e.kv.key);
        if (t !== undefined) lags.push(now - t);
      }
    })
    .catch(() => undefined);
  await sleep(200); // let the watch get established
  const writes = args.quick ? 100 : 300;
  for (let i = 0; i < writes; i++) {
    const key = `/bench/watch/${String(i).padStart(6, '0')}`;
    issued.set(key, performance.now());
    await b.create(key, value1k);
    await sleep(10);
  }
  const deadline = performance.now() + 5000;
  while (lags.length < writes && performance.now() < deadline) await sleep(20);
  ac.abort();
  await pumping;
  if (lags.length < writes) console.log(`  (watch: ${writes - lags.length} of ${writes} events not delivered within 5 s)`);

  return {
    seqCreate: { ...summarize(seq), perSecond: n / seqSecs },
    concCreate: { ...summarize(conc), perSecond: n / concSecs },
    get: summarize(gets),
    list5000: summarize(lists),
    watch: summarize(lags),
  };
}

async function storagePart(): Promise<void> {
  rep.section('storage seam: single-member etcd (loopback, plain http, child process) vs sqlite (temp file, writer inline)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-bench-ha-storage-'));
  let etcd: EtcdProcess | undefined;
  const results: Record<string, StorageFigures> = {};
  try {
    // sqlite
    await beforePhase([], args.waitQuiet);
    const sq = await openSqliteBackend({ path: path.join(tmp, 'sqlite', 'state.db'), writer: 'inline' });
    try {
      results['sqlite'] = await storageWorkload(sq);
    } finally {
      await sq.close();
    }
    // etcd
    const { opts, endpoint: client } = await loopbackEtcd('bench', tmp);
    etcd = await startEtcd(opts);
    await beforePhase([etcd.pid], args.waitQuiet);
    const eb = await openEtcdBackend({ endpoint: client });
    try {
      results['etcd'] = await storageWorkload(eb);
    } finally {
      await eb.close();
    }
  } finally {
    await etcd?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const s = results['sqlite']!;
  const e = results['etcd']!;
  const row = (key: string, label: string, a: Summary, b: Summary, extra = '') =>
    rep.line(`storage.${key}`, label, `sqlite p50 ${fmt(a.p50).padStart(6)} p99 ${fmt(a.p99).padStart(6)} ms | etcd p50 ${fmt(b.p50).padStart(6)} p99 ${fmt(b.p99).padStart(6)} ms${extra}`, { sqlite: a, etcd: b });
  const n = s.seqCreate.n;
  row('seqCreate', `sequential creates, 1 KB (n=${n})`, s.seqCreate, e.seqCreate, `  (${s.seqCreate.perSecond.toFixed(0)} vs ${e.seqCreate.perSecond.toFixed(0)} /s)`);
  row('concCreate', `8 concurrent writers, 1 KB creates (n=${n})`, s.concCreate, e.concCreate, `  (${s.concCreate.perSecond.toFixed(0)} vs ${e.concCreate.perSecond.toFixed(0)} /s)`);
  row('get', `get (n=${s.get.n})`, s.get, e.get);
  row('list5000', `list of 5,000 keys, 1 KB values (n=${s.list5000.n})`, s.list5000, e.list5000);
  row('watch', `watch delivery, write issued -> event (n=${s.watch.n}/${e.watch.n})`, s.watch, e.watch);
}

// ---------------------------------------------------------------- parts 2 and 3: labs

class Lab {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-bench-ha-lab-'));
  readonly home = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-bench-ha-home-'));
  lab!: LabRecord;
  #up = false;

  async up(flags: string[]): Promise<number> {
    this.#up = true;
    const t0 = performance.now();
    const r = await run(brambleBin, ['lab', 'up', '--dir', this.dir, ...flags, '--timeout', '300'], { timeoutMs: 420_000 });
    if (r.code !== 0) throw new Error(`lab up ${flags.join(' ')}: ${r.stderr}${r.stdout}`);
    this.lab = JSON.parse(fs.readFileSync(path.join(this.dir, 'lab.json'), 'utf8')) as LabRecord;
    return (performance.now() - t0) / 1000;
  }

  async labCmd(cmd: string[], timeoutMs = 300_000): Promise<void> {
    const r = await run(brambleBin, ['lab', ...cmd, '--dir', this.dir], { timeoutMs });
    if (r.code !== 0) throw new Error(`lab ${cmd.join(' ')}: ${r.stderr}${r.stdout}`);
  }

  /**
   * `lab kill BOARD`, then SIGKILL whatever of the board survived it (a power
   * cut kills everything; a guard: `lab kill` once missed etcd); returns what survived, by kind.
   */
  async powerCut(board: string): Promise<string[]> {
    await this.labCmd(['kill', board]);
    const survivors = boardPids(this.board(board), { shims: false });
    const kinds = survivors.map((p) => classify(p) ?? 'shim');
    for (const pid of survivors) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const running = (p: number) => {
      try {
        return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && survivors.some(running); i++) await sleep(50);
    return kinds;
  }

  board(name: string): BoardRecord {
    return this.lab.boards.find((b) => b.name === name)!;
  }

  kubeconfig(board: string): string {
    return board === 'board-1' ? path.join(this.dir, 'kubeconfig.yaml') : path.join(this.dir, `kubeconfig-${board}.yaml`);
  }

  /** kubectl through one server board's kubeconfig; undefined on failure. */
  async k(board: string, a: string[], timeout = '5s'): Promise<string | undefined> {
    const r = await run(kubectlBin, ['--kubeconfig', this.kubeconfig(board), '--request-timeout', timeout, ...a], { env: { ...process.env, HOME: this.home }, timeoutMs: 20_000 });
    return r.code === 0 ? r.stdout : undefined;
  }

  async leader(via: string): Promise<string | undefined> {
    const h = await this.k(via, ['get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}']);
    return h ? h.split('_')[0] : undefined;
  }

  async down(): Promise<void> {
    if (!this.#up) return;
    this.#up = false;
    const r = await run(brambleBin, ['lab', 'down', '--dir', this.dir], { timeoutMs: 300_000 });
    if (r.code !== 0) {
      console.error(`lab down failed (lab left in ${this.dir}): ${r.stderr}${r.stdout}`);
      return;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

const labs = new Set<Lab>();
async function downAll(): Promise<void> {
  for (const l of labs) await l.down();
}
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: taking the labs down`);
    void downAll().finally(() => process.exit(130));
  });
}

async function poll<T>(timeoutMs: number, everyMs: number, f: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (performance.now() > deadline) return undefined;
    await sleep(everyMs);
  }
}

/**
 * Every process whose command line names the board's data dir, also as part
 * of an argument (etcd's is `--data-dir=<board>/...`, which boardPids in
 * src/lab/procs.ts, matching whole arguments, does not find).
 */
function classify(pid: number): string | undefined {
  try {
    const a = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const exe = path.basename(a[0] ?? '');
    if (exe === 'etcd') return 'etcd';
    if (exe === 'containerd') return 'containerd';
    if (exe.startsWith('containerd-shim')) return undefined;
    if (a.includes('server')) return 'bramble server';
    if (a.includes('agent')) return 'bramble agent';
    return exe;
  } catch {
    return undefined;
  }
}

interface ProcIdle {
  board: string;
  what: string;
  pid: number;
  rssMB: number;
  cpuPercent: number;
  writtenKB: number;
  writtenKBPerMin: number;
}

/** Idles `idleSeconds` and samples every process of the given boards. */
async function idleFootprint(l: Lab, boards: string[]): Promise<ProcIdle[]> {
  const procs: { board: string; what: string; pid: number }[] = [];
  for (const name of boards) {
    for (const pid of boardPids(l.board(name), { shims: false })) {
      const what = classify(pid);
      if (what) procs.push({ board: name, what, pid });
    }
  }
  await beforePhase(procs.map((p) => p.pid), args.waitQuiet);
  const load = machineLoad(procs.map((p) => p.pid));
  const samplers = procs.map((p) => ({ ...p, s: sampler(p.pid, 1000) }));
  await sleep(idleSeconds * 1000);
  const ld = load();
  const out = samplers.map((p) => {
    const r = p.s.stop();
    return { board: p.board, what: p.what, pid: p.pid, rssMB: r.rssEnd / 1048576, cpuPercent: r.cpuAvgPercent, writtenKB: r.writeBytes / 1024, writtenKBPerMin: r.writeBytes / 1024 / (r.seconds / 60) };
  });
  console.log(`  (idle ${idleSeconds} s; other processes used ${ld.otherCores.toFixed(2)} cores, loadavg ${ld.loadavg})`);
  return out;
}

function printIdle(key: string, title: string, rows: ProcIdle[], leader?: string): void {
  for (const r of rows) {
    const tag = leader && r.board === leader ? ' (leader)' : '';
    rep.line(`${key}.${r.board}.${r.what.replace(' ', '_')}`, `${title} ${r.board}${tag} ${r.what}`, `RSS ${r.rssMB.toFixed(1).padStart(6)} MB  CPU ${r.cpuPercent.toFixed(2).padStart(5)} %  written ${r.writtenKB.toFixed(0).padStart(6)} KB (${r.writtenKBPerMin.toFixed(0)} KB/min)`, r);
  }
}

async function waitLeader(l: Lab, via: string): Promise<string> {
  const h = await poll(120_000, 1000, () => l.leader(via));
  if (!h) throw new Error('no kube-controller-manager leader');
  return h;
}

async function failover(l: Lab): Promise<void> {
  rep.section(`failover (3 HA servers, power cut with 'bramble lab kill'; ${rounds} round(s))`);
  const serverNames = ['board-1', 'board-2', 'board-3'];
  for (let round = 1; round <= rounds; round++) {
    const leader = await waitLeader(l, 'board-1');
    const nonLeaders = serverNames.filter((b) => b !== leader);
    const victim = nonLeaders[(round - 1) % nonLeaders.length]!;
    const via = nonLeaders.find((b) => b !== victim)!;

    // A non-leader loses power: time until a write through another server succeeds.
    let t0 = performance.now();
    const survived = await l.powerCut(victim);
    const killed = performance.now() - t0;
    if (survived.length) console.log(`  (survived 'lab kill ${victim}', killed by the bench: ${survived.join(', ')})`);
    let i = 0;
    const ok = await poll(120_000, 200, async () => ((await l.k(via, ['create', 'configmap', `ha-fo-${round}-a-${i++}`])) !== undefined ? true : undefined));
    const writable = performance.now() - t0;
    rep.line(`failover.${round}.nonLeader`, `round ${round}: kill non-leader ${victim}, write via ${via}`, ok ? `first write ok after ${fmt(writable)} ms (kill itself ${fmt(killed)} ms, ${i} attempt(s))` : 'no write within 120 s', { victim, via, writableMs: ok ? writable : null, killMs: killed, attempts: i });

    t0 = performance.now();
    await l.labCmd(['start', victim, '--wait', '--timeout', '180']);
    const back = await poll(120_000, 1000, async () => ((await l.k(victim, ['create', 'configmap', `ha-fo-${round}-back`])) !== undefined ? true : undefined));
    rep.line(`failover.${round}.restart`, `round ${round}: lab start ${victim} --wait, then a write through it`, back ? `${fmt(performance.now() - t0)} ms` : 'no write through it within 120 s', { restartMs: performance.now() - t0 });

    // The leader loses power: time until another server holds the Lease (and until a write goes through).
    const leaderNow = await waitLeader(l, via);
    const via2 = serverNames.find((b) => b !== leaderNow)!;
    t0 = performance.now();
    const survived2 = await l.powerCut(leaderNow);
    if (survived2.length) console.log(`  (survived 'lab kill ${leaderNow}', killed by the bench: ${survived2.join(', ')})`);
    let wroteAt: number | undefined;
    let j = 0;
    const next = await poll(120_000, 250, async () => {
      if (wroteAt === undefined && (await l.k(via2, ['create', 'configmap', `ha-fo-${round}-b-${j++}`])) !== undefined) wroteAt = performance.now() - t0;
      const h = await l.leader(via2);
      return h && h !== leaderNow ? h : undefined;
    });
    const elected = performance.now() - t0;
    rep.line(`failover.${round}.leader`, `round ${round}: kill leader ${leaderNow}, watch via ${via2}`, next ? `${next} holds the Lease after ${fmt(elected)} ms (first write ok after ${wroteAt !== undefined ? fmt(wroteAt) : '-'} ms)` : 'no new leader within 120 s', { leader: leaderNow, next, electedMs: next ? elected : null, writableMs: wroteAt ?? null });

    t0 = performance.now();
    await l.labCmd(['start', leaderNow, '--wait', '--timeout', '180']);
    await poll(120_000, 1000, async () => ((await l.k(leaderNow, ['create', 'configmap', `ha-fo-${round}-back2`])) !== undefined ? true : undefined));
    console.log(`  (${leaderNow} back after ${fmt(performance.now() - t0)} ms)`);
  }
}

async function labPart(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the lab parts need root');
  // HA: 3 servers on etcd.
  rep.section(`footprint: 3 HA servers (etcd), idle ${idleSeconds} s after Ready; every server board`);
  const ha = new Lab();
  labs.add(ha);
  try {
    const upSecs = await ha.up(['--nodes', '3', '--servers', '3', '--server-flag=--node-monitor-grace-period=20s']);
    const leader = await waitLeader(ha, 'board-1');
    console.log(`  (lab up ${upSecs.toFixed(1)} s; controller-manager leader ${leader})`);
    await sleep(10_000); // let start-up work (first leases, endpoints) settle
    const rows = await idleFootprint(ha, ['board-1', 'board-2', 'board-3']);
    printIdle('footprint.ha', 'HA', rows, leader);
    for (const b of ['board-1', 'board-2', 'board-3']) {
      const mine = rows.filter((r) => r.board === b);
      const sum = (f: (r: ProcIdle) => number) => mine.reduce((a, r) => a + f(r), 0);
      rep.line(`footprint.ha.${b}.total`, `HA ${b}${b === leader ? ' (leader)' : ''} total (bramble+etcd+containerd)`, `RSS ${sum((r) => r.rssMB).toFixed(1)} MB  CPU ${sum((r) => r.cpuPercent).toFixed(2)} %  written ${sum((r) => r.writtenKBPerMin).toFixed(0)} KB/min`);
    }
    if (!interrupted) await failover(ha);
  } finally {
    await ha.down();
    labs.delete(ha);
  }
  if (interrupted) return;

  // Single server on SQLite.
  rep.section(`footprint: single server (SQLite), idle ${idleSeconds} s after Ready`);
  const single = new Lab();
  labs.add(single);
  try {
    const upSecs = await single.up(['--nodes', '1']);
    console.log(`  (lab up ${upSecs.toFixed(1)} s)`);
    await sleep(10_000);
    const rows = await idleFootprint(single, ['board-1']);
    printIdle('footprint.single', 'single', rows);
    const sum = (f: (r: ProcIdle) => number) => rows.reduce((a, r) => a + f(r), 0);
    rep.line('footprint.single.total', 'single board-1 total (bramble+containerd)', `RSS ${sum((r) => r.rssMB).toFixed(1)} MB  CPU ${sum((r) => r.cpuPercent).toFixed(2)} %  written ${sum((r) => r.writtenKBPerMin).toFixed(0)} KB/min`);
  } finally {
    await single.down();
    labs.delete(single);
  }
}

try {
  console.log(`bench/ha.ts ${args.quick ? '(quick) ' : ''}${new Date().toISOString()} ${os.cpus().length} CPUs`);
  if (only !== 'lab') await storagePart();
  if (only !== 'storage' && !interrupted) await labPart();
  rep.finish({ quick: args.quick, idleSeconds, rounds });
} catch (e) {
  await downAll();
  console.error(e);
  process.exitCode = 1;
}
