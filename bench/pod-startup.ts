/**
 * Pod startup latency on one real board, image present (issue 4):
 *
 *   node_modules/.bin/node bench/pod-startup.ts [--pods=50] [--rate=5] [--variants=steady,burst]
 *        [--image=bramble.local/hello-node:1.0] [--quick] [--json] [--no-wait]
 *        [--delete] [--sigterm] [--grace=1]
 *
 * The board is test/harness/board.ts: `bramble server` with its embedded
 * agent on a supervised containerd (runc, CNI bridge on the node's
 * podCIDR), all inside a network namespace of its own. The offline test
 * image is imported at start, so no pull is involved. Needs root.
 *
 * The client (bench/lib/pod-startup-driver.ts) runs inside that namespace:
 * it opens one pod watch, then creates `--pods` plain pods (no nodeName:
 * the server's scheduler binds them), and records, per pod, from the moment
 * its create request was sent:
 *   - the create response,
 *   - first seen bound (spec.nodeName) in the watch,
 *   - first seen Running with Ready=True in the watch (the figure: upstream's
 *     pod startup SLI, which counts from creationTimestamp at 1 s resolution;
 *     this counts from the client's send time).
 * Variants: `steady` = one create every 1/rate s (upstream's SLO test paces
 * pod creation), `burst` = all creates sent at once. Between variants the
 * namespace is deleted and the node emptied.
 *
 * CPU over each run (first create sent → last pod Ready), from /proc:
 * the server process (API server, controllers, scheduler and the embedded
 * agent are one process), containerd and the shims (each with the CPU of
 * children they reaped: CNI plugins, runc), the driver, and the whole
 * machine (which includes other users of the two cores). *"Outside the
 * three above" is the machine's busy time minus the server, containerd and
 * driver processes: the shims and what runs under them (runc, the pods'
 * processes), CNI plugins until reaped, and anyone else on the machine.
 *
 * With `--delete`, once every pod is Ready the driver deletes them all at
 * once (one DELETE per pod) and reports per pod delete sent → DELETED seen
 * (the node stopped it, posted its terminal status and removed the object)
 * and the total until the last is gone. The default image (busybox httpd as
 * PID 1) ignores SIGTERM, so each stop waits out the grace period
 * (`--grace`, default 1 s); `--sigterm` runs busybox with a shell that
 * exits on SIGTERM instead, so the figure is our teardown alone.
 *
 * Targets: p99 <= 1.5 s (issue 4), Kubernetes SLO p99 <= 5 s. With 50 pods
 * the nearest-rank p99 is the slowest pod.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { shimPids } from '../src/agent/containerd/cleanup.ts';
import { startBoard, type Board } from '../test/harness/board.ts';
import { repoRoot } from '../test/harness/server.ts';
import { beforePhase, machineLoad, snapshot } from './lib/proc.ts';
import { benchArgs, fmt, fmtSummary, mb, report, sleep, summarize, verdict } from './lib/stats.ts';

const args = benchArgs();
const PODS = Number(args.get('pods') ?? (args.quick ? 10 : 50));
const RATE = Number(args.get('rate') ?? 5);
const VARIANTS = (args.get('variants') ?? 'steady,burst').split(',');
const SIGTERM = process.argv.includes('--sigterm');
const DELETE = process.argv.includes('--delete');
const GRACE = Number(args.get('grace') ?? 1);
const IMAGE = args.get('image') ?? (SIGTERM ? 'bramble.local/busybox:latest' : 'bramble.local/hello-node:1.0');
// PID 1 gets no default signal actions: the shell's trap is what makes SIGTERM end it.
const COMMAND = SIGTERM ? ['sh', '-c', 'trap "exit 0" TERM; sleep 86400 & wait $!'] : undefined;
const NODE = 'startup-0';
const nodeBin = path.join(repoRoot, 'node_modules', '.bin', 'node');
const driver = path.join(repoRoot, 'bench', 'lib', 'pod-startup-driver.ts');
const rep = report('pod-startup', args.json);

/** utime+stime of a process, and of its reaped children (cutime+cstime), in seconds. */
function cpuOf(pid: number): { self: number; children: number } {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return { self: (f[11]! + f[12]!) / 100, children: (f[13]! + f[14]!) / 100 };
  } catch {
    return { self: 0, children: 0 };
  }
}

/** The pids whose command line matches, among our board's processes. */
function pidsWhere(match: (argv: string[]) => boolean): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (match(argv)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

let board: Board | undefined;
let stopping: Promise<void> | undefined;
const stopBoard = () => (stopping ??= board ? board.stop() : Promise.resolve());
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`${sig}: removing the board`);
    void stopBoard().finally(() => process.exit(130));
  });
}

interface DriverResult {
  createMs: number[];
  boundMs: number[];
  runningMs: number[];
  readyMs: number[];
  nodeMs: number[];
  sendSpanMs: number;
  spanMs: number;
  timedOut: boolean;
  notReady: string[];
  createErrors: string[];
}

async function runVariant(b: Board, variant: string, pids: { server: number; containerd: number }): Promise<void> {
  const rate = variant === 'burst' ? 0 : RATE;
  const ns = `startup-${variant}`;
  rep.section(variant === 'burst' ? `burst: ${PODS} pods created at once` : `steady: ${PODS} pods at ${rate}/s`);
  await beforePhase([pids.server, pids.containerd], args.waitQuiet);
  const cfg = { kubeconfig: b.kubeconfig, namespace: ns, pods: PODS, rate, image: IMAGE, timeoutMs: 120_000, deletePods: DELETE, command: COMMAND, graceSeconds: GRACE };
  const child = b.spawnIn([nodeBin, '--disable-warning=ExperimentalWarning', driver, JSON.stringify(cfg)]);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const lines = readline.createInterface({ input: child.stdout! });
  const exited = new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));

  let result: DriverResult | undefined;
  let deletedMs = NaN;
  let deleteLoad: { t0: number; load: ReturnType<typeof machineLoad> } | undefined;
  let deleteCpu = NaN;
  let shimsGoneMs = NaN;
  let podDeletes: { goneMs: number[]; totalMs: number; timedOut: boolean; notGone: string[]; errors: string[] } | undefined;
  let window: { srv: ReturnType<typeof snapshot>; ctd: ReturnType<typeof cpuOf>; shims: Map<number, ReturnType<typeof cpuOf>>; drv: ReturnType<typeof cpuOf>; load: ReturnType<typeof machineLoad> } | undefined;
  let cpu: Record<string, number> | undefined;
  for await (const line of lines) {
    if (line === 'start') {
      window = { srv: snapshot(pids.server), ctd: cpuOf(pids.containerd), shims: new Map(shimPids(b.criSocket).map((p) => [p, cpuOf(p)])), drv: cpuOf(child.pid!), load: machineLoad([pids.server, pids.containerd, child.pid!]) };
    } else if (line === 'done' && window) {
      const srv1 = snapshot(pids.server);
      const ctd1 = cpuOf(pids.containerd);
      let shims = 0;
      for (const p of shimPids(b.criSocket)) {
        const c = cpuOf(p);
        const c0 = window.shims.get(p) ?? { self: 0, children: 0 };
        shims += c.self + c.children - c0.self - c0.children;
      }
      const drv1 = cpuOf(child.pid!);
      const load = window.load();
      const secs = (srv1.at - window.srv.at) / 1000;
      cpu = {
        seconds: secs,
        server: srv1.cpuSeconds - window.srv.cpuSeconds,
        containerd: ctd1.self - window.ctd.self,
        containerdChildren: ctd1.children - window.ctd.children,
        shims,
        driver: drv1.self - window.drv.self,
        machineCores: load.allCores,
        otherCores: load.otherCores,
        serverRss: srv1.rssBytes,
      };
    } else if (line.startsWith('{')) {
      result = JSON.parse(line) as DriverResult;
    } else if (line === 'deletestart') {
      deleteLoad = { t0: performance.now(), load: machineLoad([pids.server, pids.containerd, child.pid!]) };
    } else if (line.startsWith('deletepods ')) {
      podDeletes = JSON.parse(line.slice(11));
      if (deleteLoad) {
        deleteCpu = deleteLoad.load().allCores;
        // The objects are gone once the node has deleted them; the sandboxes are removed after that.
        while (shimPids(b.criSocket).length > 0 && performance.now() - deleteLoad.t0 < 120_000) await sleep(20);
        shimsGoneMs = performance.now() - deleteLoad.t0;
      }
    } else if (line.startsWith('deleted ')) {
      deletedMs = Number(line.slice(8));
    } else {
      console.log(`  driver: ${line}`);
    }
  }
  const code = await exited;
  if (!result) throw new Error(`driver exited ${code} without a result:\n${stderr}\n--- server log tail ---\n${b.log().slice(-3000)}`);
  if (result.createErrors.length) console.log(`  create errors: ${result.createErrors.slice(0, 5).join('; ')}`);
  if (result.timedOut) console.log(`  NOT READY after 120 s: ${result.notReady.length} pods (${result.notReady.slice(0, 5).join(', ')}…)`);

  const ready = summarize(result.readyMs);
  rep.line(`${variant}.ready`, 'create sent → Running+Ready seen in the watch', `${fmtSummary(ready)} ${verdict(ready.p99, 1500, 'ms')}`, ready);
  rep.line(`${variant}.slo`, '  against the Kubernetes SLO', verdict(ready.p99, 5000, 'ms'));
  rep.line(`${variant}.bound`, 'create sent → bound seen (scheduler)', fmtSummary(summarize(result.boundMs)), summarize(result.boundMs));
  rep.line(`${variant}.node`, 'bound seen → Running+Ready seen (the node)', fmtSummary(summarize(result.nodeMs)), summarize(result.nodeMs));
  rep.line(`${variant}.create`, 'create request', fmtSummary(summarize(result.createMs)), summarize(result.createMs));
  rep.line(`${variant}.span`, 'first create sent → last create sent / all Ready', `${(result.sendSpanMs / 1000).toFixed(2)} s / ${(result.spanMs / 1000).toFixed(2)} s`, { sendSpanMs: result.sendSpanMs, spanMs: result.spanMs });
  if (cpu) {
    const pctOf = (s: number) => `${fmt(s * 1000)} ms (${((100 * s) / cpu!['seconds']!).toFixed(0)}%)`;
    rep.line(`${variant}.cpu`, `CPU over the run (${cpu['seconds']!.toFixed(2)} s; % of one core)`, '', cpu);
    rep.line(`${variant}.cpu.server`, '  server process (API, controllers, scheduler, agent)', `${pctOf(cpu['server']!)}, RSS ${mb(cpu['serverRss']!)} at the end`);
    rep.line(`${variant}.cpu.containerd`, '  containerd / children it reaped (CNI plugins…)', `${pctOf(cpu['containerd']!)} / ${pctOf(cpu['containerdChildren']!)}`);
    rep.line(`${variant}.cpu.shims`, '  containerd shims, with reaped children (runc)', pctOf(cpu['shims']!));
    rep.line(`${variant}.cpu.driver`, '  bench driver (creates + watch)', pctOf(cpu['driver']!));
    rep.line(`${variant}.cpu.machine`, '  whole machine (2 cores) / outside the three above*', `${cpu['machineCores']!.toFixed(2)} / ${cpu['otherCores']!.toFixed(2)} cores`);
  }
  if (podDeletes) {
    if (podDeletes.errors.length) console.log(`  delete errors: ${podDeletes.errors.slice(0, 5).join('; ')}`);
    if (podDeletes.timedOut) console.log(`  NOT GONE after 120 s: ${podDeletes.notGone.length} pods (${podDeletes.notGone.slice(0, 5).join(', ')}…)`);
    const gone = summarize(podDeletes.goneMs);
    rep.line(`${variant}.podDelete`, `all ${PODS} pods deleted at once: delete sent → DELETED seen`, fmtSummary(gone), gone);
    rep.line(`${variant}.podDeleteTotal`, '  first delete sent → last pod gone', `${(podDeletes.totalMs / 1000).toFixed(2)} s`, podDeletes.totalMs);
    rep.line(`${variant}.podDeleteCpu`, '  whole machine meanwhile (2 cores)', `${deleteCpu.toFixed(2)} cores`, deleteCpu);
    rep.line(`${variant}.podDeleteShims`, '  first delete sent → last shim gone (sandboxes removed)', `${(shimsGoneMs / 1000).toFixed(2)} s`, shimsGoneMs);
  }
  rep.line(`${variant}.delete`, 'namespace delete → gone (pods stopped, sandboxes removed)', `${(deletedMs / 1000).toFixed(2)} s`, deletedMs);
  // The next variant starts on an empty node.
  for (let i = 0; i < 100 && shimPids(b.criSocket).length > 0; i++) await sleep(200);
}

try {
  console.log(`pod-startup: ${PODS} pods, variants ${VARIANTS.join(', ')}, rate ${RATE}/s, image ${IMAGE}${COMMAND ? ` (${COMMAND.join(' ')})` : ''}, grace ${GRACE} s${DELETE ? ', then each pod deleted' : ''}`);
  const t0 = performance.now();
  board = await startBoard({ name: NODE, extraArgs: ['--log-level', 'warn'], timeoutMs: 60_000 });
  const b = board;
  const node = async () => JSON.parse(await b.k(['get', 'node', NODE, '-o', 'json']).catch(() => '{}'));
  for (;;) {
    const n = await node();
    if (n.spec?.podCIDR && (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')) break;
    if (performance.now() - t0 > 120_000) throw new Error(`node not Ready after 120 s:\n${b.log().slice(-3000)}`);
    await sleep(250);
  }
  const server = pidsWhere((a) => a.includes('server') && a.includes(b.dataDir) && path.basename(a[0] ?? '') === 'node')[0];
  const containerd = pidsWhere((a) => path.basename(a[0] ?? '') === 'containerd' && a.some((x) => x.includes(path.dirname(b.criSocket))))[0];
  if (!server || !containerd) throw new Error(`cannot find the board's processes (server ${server}, containerd ${containerd})`);
  rep.line('boardReady', 'board start → node Ready with a podCIDR', `${((performance.now() - t0) / 1000).toFixed(2)} s`, (performance.now() - t0) / 1000);
  // Let start-up work settle (image import, first status) before the first run.
  await sleep(3000);
  const s0 = snapshot(server);
  rep.line('serverIdle', 'server process before the runs', `RSS ${mb(s0.rssBytes)}; containerd RSS ${mb(snapshot(containerd).rssBytes)}`, { server: s0.rssBytes, containerd: snapshot(containerd).rssBytes });
  for (const v of VARIANTS) await runVariant(b, v, { server, containerd });
  rep.finish({ pods: PODS, rate: RATE, image: IMAGE });
} finally {
  await stopBoard();
}
