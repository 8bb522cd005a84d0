/**
 * Cluster DNS lookup latency over UDP on loopback.
 *
 *   node_modules/.bin/node bench/dns.ts [--quick] [--json] [--no-wait] [--services=1000]
 *
 * The DNS server (src/agent/dns) runs in this process on an in-process
 * registry holding N Services with one EndpointSlice each (half headless);
 * the questions come from a worker thread (its own event loop, as a pod's
 * resolver would be its own process), on one UDP socket:
 *   1. sequential A lookups of ClusterIP service names, one at a time;
 *   2. the same for headless names (3 endpoint IPs each);
 *   3. open loop at 2,000 queries/s (each query sent on schedule);
 *   4. sequential lookups through node:dns (c-ares) for comparison.
 * Target (issue 5): p99 <= 5 ms.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { randomInt } from 'node:crypto';
import { InProcessClient } from '../src/client/in-process.ts';
import { resources } from '../src/client/types.ts';
import { startClusterDns } from '../src/agent/dns/server.ts';
import { Class, Type, decode, emptyMessage, encode } from '../src/agent/dns/wire.ts';
import { openTestRegistry, systemUser } from '../test/harness/registry.ts';
import { beforePhase, machineLoad } from './lib/proc.ts';
import { benchArgs, fmtSummary, report, summarize, verdict } from './lib/stats.ts';

interface Job {
  port: number;
  mode: 'sequential' | 'open' | 'cares';
  names: string[];
  count: number;
  rate?: number;
}

if (!isMainThread) {
  parentPort!.postMessage(await probe(workerData as Job));
} else {
  await main();
}

/** Runs one phase; returns latencies in ms and failures. */
async function probe(job: Job): Promise<{ ms: number[]; failed: number }> {
  const ms: number[] = [];
  let failed = 0;
  if (job.mode === 'cares') {
    const r = new dns.promises.Resolver({ timeout: 1000, tries: 1 });
    r.setServers([`127.0.0.1:${job.port}`]);
    for (let i = 0; i < job.count; i++) {
      const t0 = performance.now();
      try {
        await r.resolve4(job.names[i % job.names.length]!);
        ms.push(performance.now() - t0);
      } catch {
        failed++;
      }
    }
    return { ms, failed };
  }
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.connect(job.port, '127.0.0.1', r));
  const pending = new Map<number, { t0: number; done: () => void }>();
  sock.on('message', (b) => {
    const m = decode(b);
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.rcode === 0 && m.answers.length) ms.push(performance.now() - p.t0);
    else failed++;
    p.done();
  });
  const send = (i: number): Promise<void> =>
    new Promise((done) => {
      let id = randomInt(0x10000);
      while (pending.has(id)) id = randomInt(0x10000);
      const q = encode(emptyMessage({ id, rd: true, questions: [{ name: job.names[i % job.names.length]!, type: Type.A, class: Class.IN }] }));
      const timer = setTimeout(() => {
        if (pending.delete(id)) failed++;
        done();
      }, 1000);
      pending.set(id, {
        t0: performance.now(),
        done: () => {
          clearTimeout(timer);
          done();
        },
      });
      sock.send(q);
    });
  if (job.mode === 'sequential') {
    for (let i = 0; i < job.count; i++) await send(i);
  } else {
    const all: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; i < job.count; i++) {
      const due = start + (i * 1000) / job.rate!;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      all.push(send(i));
    }
    await Promise.all(all);
  }
  sock.close();
  return { ms, failed };
}

function run(job: Job): Promise<{ ms: number[]; failed: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

async function main(): Promise<void> {
  const args = benchArgs();
  const N = Number(args.get('services') ?? (args.quick ? 100 : 1000));
  const COUNT = args.quick ? 2000 : 20000;
  const rep = report('dns', args.json);
  const reg = await openTestRegistry();
  const client = new InProcessClient(reg.registry, systemUser);
  const stop = new AbortController();
  const clusterNames: string[] = [];
  const headlessNames: string[] = [];
  try {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const headless = i % 2 === 1;
      const name = `svc-${i}`;
      await client.create(resources.services, 'default', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: 'default' },
        spec: { clusterIP: headless ? 'None' : `10.43.${(i >> 8) + 1}.${i & 255}`, ports: [{ name: 'http', port: 80 }] },
      });
      await client.create(resources.endpointslices, 'default', {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${name}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4',
        endpoints: [0, 1, 2].map((k) => ({ addresses: [`10.42.${k}.${(i % 250) + 1}`], conditions: { ready: true } })),
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      });
      (headless ? headlessNames : clusterNames).push(`${name}.default.svc.cluster.local.`);
    }
    const created = performance.now() - t0;
    const t1 = performance.now();
    const server = await startClusterDns({ client, listen: [{ host: '127.0.0.1', port: 0 }], upstreams: [], signal: stop.signal });
    await server.synced;
    rep.section(`cluster DNS, ${N} services (${created.toFixed(0)} ms to create), synced in ${(performance.now() - t1).toFixed(0)} ms`);
    const port = server.ports[0]!;
    await run({ port, mode: 'sequential', names: clusterNames, count: 500 }); // warm-up (JIT)

    const phases: [string, string, Job][] = [
      ['seq', 'sequential A, ClusterIP names (UDP)', { port, mode: 'sequential', names: clusterNames, count: COUNT }],
      ['seqHeadless', 'sequential A, headless names, 3 IPs (UDP)', { port, mode: 'sequential', names: headlessNames, count: COUNT }],
      ['open', 'open loop 2,000 q/s, ClusterIP names (UDP)', { port, mode: 'open', names: clusterNames, count: args.quick ? 4000 : 20000, rate: 2000 }],
      ['cares', 'sequential resolve4 via node:dns (c-ares)', { port, mode: 'cares', names: clusterNames.map((n) => n.slice(0, -1)), count: args.quick ? 1000 : 5000 }],
    ];
    for (const [key, label, job] of phases) {
      // The worker runs in this process, so its CPU counts as ours; the rest of the machine is noise.
      await beforePhase([], args.waitQuiet);
      const load = machineLoad([]);
      const r = await run(job);
      const s = summarize(r.ms);
      const l = load();
      rep.line(key, label, `${fmtSummary(s)} failed=${r.failed} ${verdict(s.p99, 5, 'ms')}  (others: ${l.otherCores.toFixed(2)} cores)`, { ...s, failed: r.failed, otherCores: l.otherCores });
    }
    rep.line('rss', 'RSS of this process (registry + DNS server)', `${(process.memoryUsage().rss / 1048576).toFixed(1)} MB`, process.memoryUsage().rss);
    rep.finish({ services: N });
    await server.close();
  } finally {
    stop.abort();
    await reg.close();
  }
}
