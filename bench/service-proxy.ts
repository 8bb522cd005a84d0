/**
 * The nftables Service proxy (src/agent/proxy) in `bramble lab` (root):
 *
 *   node_modules/.bin/node bench/service-proxy.ts [--rounds=3] [--seconds=10] [--connections=32] [--threads=2]
 *       [--services=1000] [--changes=20] [--only=http|sync] [--quick] [--json] [--no-wait]
 *
 * A lab of 2 boards (network namespaces on a LAN bridge, real containerd).
 *   1. http: one hello-node pod (busybox httpd, 8080) pinned to board-2 and a
 *      ClusterIP Service over it. `wrk` runs in board-1's namespace (the node
 *      itself, not a pod: the output hook's DNAT, masqueraded) against
 *      http://<podIP>:8080/ and http://<clusterIP>:8080/ alternately,
 *      `--rounds` × `--seconds` each, same threads/connections; req/s, p50
 *      and p99 per path and the ratio ClusterIP/pod (issue 5: ≥ 0.95).
 *   2. sync: `--services` selector-less Services with one EndpointSlice each
 *      (fake endpoint IPs) created through the API; then `--changes` times,
 *      one slice's endpoint port is changed and both boards' Service chains
 *      (`nft list chain ip bramble-proxy svc-…`, polled) are watched until
 *      they name the new endpoint: time from the API write to the rules on
 *      every board (issue 5: p99 ≤ 1 s).
 * The lab is always taken down at the end. Needs `wrk` (scripts/install-deps.sh).
 * The http phase's backend forks per request and closes each connection, so
 * its ratio is noisy; bench/cluster-ip.ts measures the same question against
 * a keep-alive nginx pod, with a bare-DNAT control.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { brambleBin, kubectlBin, run } from '../test/harness/server.ts';
import { until } from '../test/harness/lab.ts';
import type { LabRecord } from '../src/lab/state.ts';
import { expectStatus, h2Client, type Client } from './lib/server.ts';
import { parseWrk, type Wrk } from './lib/wrk.ts';
import { beforePhase, machineLoad } from './lib/proc.ts';
import { benchArgs, fmt, fmtSummary, report, sleep, summarize, verdict } from './lib/stats.ts';

const opts = benchArgs();
const num = (name: string, def: number, quick: number) => Number(opts.get(name) ?? (opts.quick ? quick : def));
const rounds = num('rounds', 3, 1);
const seconds = num('seconds', 10, 3);
const connections = num('connections', 32, 32);
const threads = num('threads', 2, 2);
const services = num('services', 1000, 200);
const changes = num('changes', 20, 5);
const only = opts.get('only');
const rep = report('service-proxy', opts.json);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-bench-proxy-'));
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-bench-proxy-home-'));
const kubeconfig = path.join(dir, 'kubeconfig.yaml');

async function k(args: string[], input?: string): Promise<string> {
  const r = await run(kubectlBin, ['--kubeconfig', kubeconfig, ...args], { input, env: { ...process.env, HOME: home } });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Runs a command in a board's network namespace; resolves with stdout. */
function inNs(netns: string, cmd: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('nsenter', [`--net=/var/run/netns/${netns}`, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.stderr.on('data', () => undefined);
    p.on('close', (code) => resolve({ code: code ?? -1, out: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** Credentials from the lab's kubeconfig (inline base64 data). */
function credentials() {
  const text = fs.readFileSync(kubeconfig, 'utf8');
  const field = (name: string) => Buffer.from(new RegExp(`${name}:\\s*(\\S+)`).exec(text)![1]!, 'base64').toString('utf8');
  const server = new URL(/server:\s*(\S+)/.exec(text)![1]!);
  return { host: server.hostname, port: Number(server.port), ca: field('certificate-authority-data'), cert: field('client-certificate-data'), key: field('client-key-data') };
}


async function httpPhase(lab: LabRecord): Promise<void> {
  const board1 = lab.boards[0]!;
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'hello', namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'hello' } },
      template: {
        metadata: { labels: { app: 'hello' } },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': 'board-2' },
          containers: [{ name: 'hello', image: 'bramble.local/hello-node:1.0', ports: [{ containerPort: 8080 }] }],
        },
      },
    },
  };
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hello', namespace: 'default' }, spec: { selector: { app: 'hello' }, ports: [{ port: 8080, targetPort: 8080 }] } };
  for (const o of [deployment, svc]) await k(['apply', '-f', '-'], JSON.stringify(o));
  const podIP = await until('a Running hello pod on board-2', 180_000, async () => {
    const l = JSON.parse(await k(['get', 'pods', '-l', 'app=hello', '-o', 'json'])) as { items: any[] };
    const p = l.items.find((x) => x.status.phase === 'Running' && x.status.podIP && x.status.containerStatuses?.[0]?.ready);
    return p ? (p.status.podIP as string) : undefined;
  });
  const clusterIP = (await k(['get', 'svc', 'hello', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  const urls = { pod: `http://${podIP}:8080/`, clusterIP: `http://${clusterIP}:8080/` };
  const wrk = async (url: string, secs: number) => {
    const r = await inNs(board1.netns, ['wrk', '--latency', `-t${threads}`, `-c${connections}`, `-d${secs}s`, url]);
    if (r.code !== 0) throw new Error(`wrk ${url}: exit ${r.code}\n${r.out}`);
    return parseWrk(r.out);
  };
  // Both paths answer (the Service's rules may lag the pod), then a warm-up each.
  for (const url of Object.values(urls)) await until(`${url} from board-1`, 30_000, async () => ((await wrk(url, 1)).requests > 0 && (await wrk(url, 1)).errors === 0 ? true : undefined));
  rep.section(`HTTP through the Service proxy: wrk -t${threads} -c${connections}, ${rounds} x ${seconds} s per path, alternating; from board-1's namespace to a hello-node pod on board-2 (busybox httpd)`);
  rep.line('target', 'pod / ClusterIP', `${podIP} / ${clusterIP}`);
  const runs: Record<'pod' | 'clusterIP', Wrk[]> = { pod: [], clusterIP: [] };
  await beforePhase([], opts.waitQuiet);
  const load = machineLoad([]);
  for (let i = 0; i < rounds; i++) {
    for (const key of ['pod', 'clusterIP'] as const) {
      const r = await wrk(urls[key], seconds);
      runs[key].push(r);
      rep.line(`round${i + 1}.${key}`, `  round ${i + 1} ${key === 'pod' ? 'pod IP' : 'ClusterIP'}`, `${r.rps.toFixed(0)} req/s  p50 ${fmt(r.p50)}  p99 ${fmt(r.p99)} ms  errors ${r.errors}`, r);
    }
  }
  const m = load();
  const agg = (rs: Wrk[]) => ({
    rps: rs.reduce((a, r) => a + r.rps, 0) / rs.length,
    p50: rs.map((r) => r.p50).sort((a, b) => a - b)[Math.floor(rs.length / 2)]!,
    p99: Math.max(...rs.map((r) => r.p99)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
  });
  const pod = agg(runs.pod);
  const cip = agg(runs.clusterIP);
  rep.line('pod', 'pod IP (mean req/s, median p50, worst p99)', `${pod.rps.toFixed(0)} req/s  p50 ${fmt(pod.p50)}  p99 ${fmt(pod.p99)} ms  errors ${pod.errors}`, pod);
  rep.line('clusterIP', 'ClusterIP (mean req/s, median p50, worst p99)', `${cip.rps.toFixed(0)} req/s  p50 ${fmt(cip.p50)}  p99 ${fmt(cip.p99)} ms  errors ${cip.errors}`, cip);
  const ratio = cip.rps / pod.rps;
  rep.line('ratio', 'ClusterIP / pod IP req/s', `${ratio.toFixed(3)} ${ratio >= 0.95 ? '[PASS >= 0.95]' : '[MISS < 0.95]'}`, ratio);
  rep.line('cpu', 'machine CPU during the phase (lab + wrk + rest)', `${m.allCores.toFixed(2)} cores, loadavg ${m.loadavg}`, m);
}

async function syncPhase(lab: LabRecord): Promise<void> {
  const c: Client = h2Client(credentials());
  const ns = 'proxy-bench';
  try {
    expectStatus(await c.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })), 'namespace', 201, 409);
    const epIP = (i: number) => `10.42.250.${(i % 250) + 1}`;
    const slice = (i: number, port: number) =>
      JSON.stringify({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `s${i}-1`, namespace: ns, labels: { 'kubernetes.io/service-name': `s${i}` } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port, protocol: 'TCP' }],
        endpoints: [{ addresses: [epIP(i)], conditions: { ready: true } }],
      });
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < services) {
          const i = next++;
          const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: ns }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } };
          expectStatus(await c.request('POST', `/api/v1/namespaces/${ns}/services`, JSON.stringify(svc)), `service s${i}`, 201);
          expectStatus(await c.request('POST', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, slice(i, 9000)), `slice s${i}`, 201);
        }
      }),
    );
    const created = Date.now() - t0;
    // Every board has every Service in its map.
    const mapSize = async (netns: string) => ((await inNs(netns, ['nft', 'list', 'map', 'ip', 'bramble-proxy', 'service-ips'])).out.match(/ : goto /g) ?? []).length;
    await until(`${services} Services on every board`, 300_000, async () => {
      const sizes = await Promise.all(lab.boards.map((b) => mapSize(b.netns)));
      return sizes.every((n) => n >= services) ? sizes : undefined;
    }, 250);
    const programmed = Date.now() - t0;
    rep.section(`Service change -> rules on every board (${lab.boards.length} boards), ${services} selector-less Services + EndpointSlices, ${changes} changes`);
    rep.line('create', `create ${services} Services + slices (16 clients)`, `${(created / 1000).toFixed(1)} s; all in every board's map after ${(programmed / 1000).toFixed(1)} s`, { createdMs: created, programmedMs: programmed });

    // The Service chains to watch: svc-<id> for a few of the Services.
    const map = (await inNs(lab.boards[0]!.netns, ['nft', 'list', 'map', 'ip', 'bramble-proxy', 'service-ips'])).out;
    const chainOf = new Map<string, string>();
    for (const m of map.matchAll(/([\d.]+) \. tcp \. 80 : goto (\S+?)[,\s]/g)) chainOf.set(m[1]!, m[2]!);
    const svcIPs = JSON.parse((await c.request('GET', `/api/v1/namespaces/${ns}/services`)).text).items.map((s: any) => [Number(s.metadata.name.slice(1)), s.spec.clusterIP]) as [number, string][];
    await beforePhase([], opts.waitQuiet);
    const load = machineLoad([]);
    const all: number[] = [];
    const perBoard: Record<string, number[]> = Object.fromEntries(lab.boards.map((b) => [b.name, []]));
    for (let n = 0; n < changes; n++) {
      const [i, ip] = svcIPs[(n * 37) % svcIPs.length]!;
      const chain = chainOf.get(ip);
      if (!chain) throw new Error(`no map entry for ${ip}`);
      const port = 10000 + n;
      const start = performance.now();
      const w = c.request('PUT', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices/s${i}-1`, slice(i, port));
      const times = await Promise.all(
        lab.boards.map(async (b) => {
          const ms = await until(`${b.name}: ${chain} -> :${port}`, 30_000, async () => {
            const r = await inNs(b.netns, ['nft', 'list', 'chain', 'ip', 'bramble-proxy', chain]);
            return r.out.includes(`/${port}`) ? performance.now() - start : undefined;
          }, 5);
          perBoard[b.name]!.push(ms);
          return ms;
        }),
      );
      expectStatus(await w, `update slice s${i}-1`, 200);
      all.push(Math.max(...times));
      await sleep(300);
    }
    const m = load();
    for (const [b, xs] of Object.entries(perBoard)) rep.line(`board.${b}`, `  ${b}`, fmtSummary(summarize(xs)), summarize(xs));
    const s = summarize(all);
    rep.line('everyBoard', 'slice write -> rules on every board', `${fmtSummary(s)} ${verdict(s.p99, 1000, 'ms')}`, s);
    rep.line('cpu.sync', 'machine CPU during the phase (lab + polling + rest)', `${m.allCores.toFixed(2)} cores, loadavg ${m.loadavg}`, m);
  } finally {
    c.close();
  }
}

async function main(): Promise<void> {
  const which = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).stdout.trim();
  if (!which && only !== 'sync') throw new Error('wrk not installed (scripts/install-deps.sh)');
  const t0 = Date.now();
  try {
    const up = await run(brambleBin, ['lab', 'up', '--dir', dir, '--nodes', '2', '--timeout', '240'], { timeoutMs: 300_000 });
    if (up.code !== 0) throw new Error(`lab up: ${up.stderr}${up.stdout}`);
    const lab = JSON.parse(fs.readFileSync(path.join(dir, 'lab.json'), 'utf8')) as LabRecord;
    console.log(`service-proxy bench: lab of ${lab.boards.length} boards up in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${os.cpus().length} cores, node ${process.version}`);
    if (only !== 'sync') await httpPhase(lab);
    if (only !== 'http') await syncPhase(lab);
  } finally {
    const down = await run(brambleBin, ['lab', 'down', '--dir', dir], { timeoutMs: 300_000 });
    if (down.code !== 0) console.error(`lab down failed: ${down.stderr}${down.stdout}`);
    else fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
  rep.finish({ rounds, seconds, connections, threads, services, changes });
}

await main();
