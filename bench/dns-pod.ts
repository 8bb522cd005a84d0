/**
 * Cluster DNS lookup latency from inside a pod (issue 5: p99 ≤ 5 ms; the
 * upstream bar is 100 ms). Root; hold the e2e lock:
 *
 *   flock /tmp/bramble-e2e.lock node_modules/.bin/node bench/dns-pod.ts
 *       [--services=200] [--count=20000] [--rate=2000] [--quick] [--json] [--no-wait]
 *
 * bench/dns.ts measures the DNS server in-process over loopback; this one
 * measures what a pod sees, through the real path:
 *  - A one-board `bramble lab` (network namespace, real containerd, the
 *    agent's nftables proxy and DNS server on the node's address :53).
 *    Services: `web` (ClusterIP) and `web-headless` over one nginx pod, plus
 *    `--services` selector-less Services with an EndpointSlice each so the
 *    zone is not trivially small.
 *  - The client is a busybox pod. Its network namespace is entered as
 *    /proc/<PID>/ns/net (PID of its container from containerd's task list;
 *    a pod's containers share the sandbox's namespace) by one process, this
 *    script re-run with `--probe` under `nsenter --net=…` (no process per
 *    query). It asks the nameserver in the pod's /etc/resolv.conf
 *    (10.43.0.10, the kube-dns ClusterIP: the proxy's prerouting DNAT sends
 *    it to the node's DNS server) with its own small UDP client
 *    (src/agent/dns/wire.ts encode/decode), timing each query from send to
 *    answer with performance.now().
 *  - Phases (sequential = one query in flight, as a resolver does):
 *      1. sequential A `web.default.svc.cluster.local` on one socket;
 *      2. the same with a new socket (new source port) per query, as glibc
 *         and musl resolvers do: each query is a new conntrack entry, DNATed
 *         by the nat chains (phase 1 reuses one entry);
 *      3. sequential A over all the Services' names;
 *      4. sequential A of the headless name (answer: the pod's IP);
 *      5. open loop at `--rate` q/s (queries sent on schedule, whether or
 *         not earlier ones were answered), one socket;
 *      6. sequential A straight to the node's address (no DNAT), for the
 *         cost of the Service hop;
 *      7. forwarding: an outside name (`bench.example.`). The lab has no
 *         upstream network, so the script starts a local stub DNS server in
 *         the board's namespace on the address the node's DNS server forwards
 *         to (the host's resolv.conf nameserver, read from the board's log
 *         line; added to the board's `lo`, which exists only in that
 *         namespace). The stub answers at once, so this is bramble's forward
 *         path plus one Node.js hop, not a real resolver's latency.
 *  Before each phase the script waits for the shared machine to go quiet
 *  (`--no-wait` skips it); 500 warm-up queries come first.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { Class, Type, decode, emptyMessage, encode, type Message } from '../src/agent/dns/wire.ts';
import { repoRoot } from '../test/harness/server.ts';
import { boardNs, inNetns, podPid, readyPod, startBenchLab, until } from './lib/lab.ts';
import { buildNginxImage, NGINX_IMAGE } from './images/nginx.ts';
import { beforePhase, machineLoad } from './lib/proc.ts';
import { benchArgs, fmtSummary, report, summarize, verdict } from './lib/stats.ts';

interface Job {
  server: string;
  mode: 'sequential' | 'fresh' | 'open';
  names: string[];
  count: number;
  rate?: number;
}
interface ProbeResult {
  ms: number[];
  failed: number;
  wallMs: number;
}

const NODE = `${repoRoot}/node_modules/.bin/node`;
const STUB_ANSWER = '192.0.2.53';

const probeArg = process.argv.find((a) => a.startsWith('--probe='));
const stubArg = process.argv.find((a) => a.startsWith('--stub='));
if (probeArg) {
  const job = JSON.parse(Buffer.from(probeArg.slice('--probe='.length), 'base64url').toString('utf8')) as Job;
  process.stdout.write(JSON.stringify(await probe(job)));
} else if (stubArg) {
  await stub(stubArg.slice('--stub='.length));
} else {
  await main();
}

/** One phase of queries, run inside the pod's namespace. */
async function probe(job: Job): Promise<ProbeResult> {
  const ms: number[] = [];
  let failed = 0;
  const query = (id: number, i: number) => encode(emptyMessage({ id, rd: true, questions: [{ name: job.names[i % job.names.length]!, type: Type.A, class: Class.IN }] }));
  const ok = (m: Message) => m.rcode === 0 && m.answers.length > 0;
  const open = async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.connect(53, job.server, r));
    return s;
  };
  const t0 = performance.now();
  if (job.mode === 'fresh') {
    // A new socket per query: a new source port, so a new conntrack entry each time.
    for (let i = 0; i < job.count; i++) {
      const s = await open();
      const id = randomInt(0x10000);
      const start = performance.now();
      const got = await new Promise<Message | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 1000);
        s.on('message', (b) => {
          const m = decode(b);
          if (m.id !== id) return;
          clearTimeout(timer);
          resolve(m);
        });
        s.send(query(id, i));
      });
      if (got && ok(got)) ms.push(performance.now() - start);
      else failed++;
      s.close();
    }
    return { ms, failed, wallMs: performance.now() - t0 };
  }
  const s = await open();
  const pending = new Map<number, { start: number; done: () => void }>();
  s.on('message', (b) => {
    const m = decode(b);
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (ok(m)) ms.push(performance.now() - p.start);
    else failed++;
    p.done();
  });
  const send = (i: number) =>
    new Promise<void>((done) => {
      let id = randomInt(0x10000);
      while (pending.has(id)) id = randomInt(0x10000);
      const timer = setTimeout(() => {
        if (pending.delete(id)) failed++;
        done();
      }, 1000);
      pending.set(id, { start: performance.now(), done: () => (clearTimeout(timer), done()) });
      s.send(query(id, i));
    });
  if (job.mode === 'sequential') {
    for (let i = 0; i < job.count; i++) await send(i);
  } else {
    const all: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; i < job.count; i++) {
      const wait = start + (i * 1000) / job.rate! - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      all.push(send(i));
    }
    await Promise.all(all);
  }
  s.close();
  return { ms, failed, wallMs: performance.now() - t0 };
}

/** A stand-in upstream resolver: every A question gets STUB_ANSWER at once. */
async function stub(address: string): Promise<void> {
  const s = dgram.createSocket('udp4');
  s.on('message', (b, from) => {
    let q: Message;
    try {
      q = decode(b);
    } catch {
      return;
    }
    const reply = emptyMessage({ id: q.id, qr: true, rd: q.rd, ra: true, questions: q.questions });
    for (const question of q.questions) if (question.type === Type.A) reply.answers.push({ name: question.name, type: Type.A, class: Class.IN, ttl: 60, data: STUB_ANSWER });
    s.send(encode(reply), from.port, from.address);
  });
  await new Promise<void>((r) => s.bind(53, address, r));
  process.stdout.write('listening\n');
}

async function main(): Promise<void> {
  const args = benchArgs();
  const N = Number(args.get('services') ?? (args.quick ? 20 : 200));
  const COUNT = Number(args.get('count') ?? (args.quick ? 2000 : 20000));
  const RATE = Number(args.get('rate') ?? 2000);
  const rep = report('dns-pod', args.json);
  const t0 = Date.now();
  const l = await startBenchLab({ nodes: 1, addImages: (d) => buildNginxImage(d), say: (s) => console.log(s) });
  let stubProc: ReturnType<typeof spawn> | undefined;
  try {
    const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
    console.log(`dns-pod bench: lab of 1 board up in ${((Date.now() - t0) / 1000).toFixed(1)} s; commit ${commit}; ${os.cpus().length} cores, ${os.release()}, node ${process.version}`);
    const board = l.board('board-1');
    const labels = { app: 'web' };
    const items: unknown[] = [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'nginx', image: NGINX_IMAGE }] } } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: labels, ports: [{ port: 8080 }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-headless' }, spec: { clusterIP: 'None', selector: labels, ports: [{ port: 8080 }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', labels: { app: 'client' } }, spec: { containers: [{ name: 'sleep', image: 'bramble.local/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '86400'] }] } },
    ];
    for (let i = 0; i < N; i++) {
      items.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}` }, spec: { ports: [{ name: 'http', port: 80 }] } });
      items.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `svc-${i}-1`, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
        addressType: 'IPv4',
        endpoints: [{ addresses: [`10.42.250.${(i % 250) + 1}`], conditions: { ready: true } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      });
    }
    await l.k(['create', '-n', 'default', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    const web = await readyPod(l, 'app=web');
    const client = await readyPod(l, 'app=client');
    const pid = podPid(l, client);
    const podNs = `/proc/${pid}/ns/net`;
    const resolv = fs.readFileSync(`/proc/${pid}/root/etc/resolv.conf`, 'utf8');
    const nameserver = /^nameserver\s+(\S+)/m.exec(resolv)?.[1];
    if (!nameserver) throw new Error(`no nameserver in the pod's resolv.conf:\n${resolv}`);

    // The upstream the node's DNS server forwards to, from its start-up log line.
    const upstream = await until('the DNS server log line', 30_000, async () => /cluster DNS listening.*?upstreams["=:\s]+"?([\d.]+):53/.exec(fs.readFileSync(board.log, 'utf8'))?.[1]);
    const addr = await inNetns(boardNs(board), ['ip', 'addr', 'add', `${upstream}/32`, 'dev', 'lo']);
    if (addr.code !== 0) throw new Error(`ip addr add ${upstream}: ${addr.err}`);
    stubProc = spawn('nsenter', [`--net=${boardNs(board)}`, NODE, import.meta.filename, `--stub=${upstream}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      stubProc!.stdout!.once('data', () => resolve());
      stubProc!.once('exit', (c) => reject(new Error(`stub DNS exited (${c})`)));
    });

    const probeIn = async (job: Job): Promise<ProbeResult> => {
      const r = await inNetns(podNs, [NODE, import.meta.filename, `--probe=${Buffer.from(JSON.stringify(job)).toString('base64url')}`]);
      if (r.code !== 0) throw new Error(`probe: exit ${r.code}\n${r.err}`);
      return JSON.parse(r.out) as ProbeResult;
    };
    const svcName = 'web.default.svc.cluster.local.';
    const names = ['web', 'web-headless', ...Array.from({ length: N }, (_, i) => `svc-${i}`)].map((n) => `${n}.default.svc.cluster.local.`);
    // Every name answers (the server's informers may lag the API), and a warm-up.
    await until('cluster names and the forwarder answering from the pod', 60_000, async () => {
      const r = await probeIn({ server: nameserver, mode: 'sequential', names: [...names, 'bench.example.'], count: names.length + 1 });
      return r.failed === 0 ? true : undefined;
    }, 1000);
    await probeIn({ server: nameserver, mode: 'sequential', names: [svcName], count: 500 });

    rep.section(`DNS from a pod (client ${client.status.podIP}, nameserver ${nameserver} from its resolv.conf -> DNAT -> node ${board.ip}:53), ${N + 2} Services; forwarder upstream: local stub on ${upstream}`);
    rep.line('resolv', "pod's resolv.conf", resolv.trim().replace(/\n/g, ' | '));
    const fwdN = Math.max(1000, COUNT / 4);
    const phases: [string, string, Job][] = [
      ['seq', `sequential A ${svcName} via ${nameserver}, one socket`, { server: nameserver, mode: 'sequential', names: [svcName], count: COUNT }],
      ['fresh', 'same, a new socket per query (new conntrack entry + DNAT each)', { server: nameserver, mode: 'fresh', names: [svcName], count: Math.max(1000, COUNT / 4) }],
      ['seqAll', `sequential A over all ${names.length} Service names`, { server: nameserver, mode: 'sequential', names, count: COUNT }],
      ['headless', `sequential A web-headless (pod IP ${web.status.podIP})`, { server: nameserver, mode: 'sequential', names: ['web-headless.default.svc.cluster.local.'], count: COUNT }],
      ['open', `open loop ${RATE} q/s for ${(COUNT / RATE).toFixed(0)} s, one socket`, { server: nameserver, mode: 'open', names: [svcName], count: COUNT, rate: RATE }],
      ['direct', `sequential A straight to the node ${board.ip}:53 (no DNAT)`, { server: board.ip, mode: 'sequential', names: [svcName], count: COUNT }],
      ['forward', `forwarded: A bench.example. -> stub upstream ${upstream}`, { server: nameserver, mode: 'sequential', names: ['bench.example.'], count: fwdN }],
    ];
    for (const [key, label, job] of phases) {
      await beforePhase([], args.waitQuiet);
      const load = machineLoad([]);
      const r = await probeIn(job);
      const m = load();
      const s = summarize(r.ms);
      const qps = (r.ms.length + r.failed) / (r.wallMs / 1000);
      rep.line(key, label, `${fmtSummary(s)} failed=${r.failed} ${qps.toFixed(0)} q/s ${verdict(s.p99, 5, 'ms')}  (machine ${m.allCores.toFixed(2)} cores)`, { ...s, failed: r.failed, qps, allCores: m.allCores, loadavg: m.loadavg });
    }
  } finally {
    if (stubProc?.pid && stubProc.exitCode === null) stubProc.kill('SIGTERM'); // our own child, by its handle
    await l.down();
  }
  rep.finish({ services: N, count: COUNT, rate: RATE });
}
