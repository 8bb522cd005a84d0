/**
 * Pod-to-pod across boards, host-gw against vxlan, in `bramble lab` (root):
 *
 *   flock /tmp/bramble-e2e.lock node_modules/.bin/node bench/pod-network.ts [--seconds=5] [--backends=host-gw,vxlan]
 *
 * For each backend: a 2-board lab with `--flannel-backend`, one hello pod
 * on each board. A small Node program of this file runs inside each pod's
 * network namespace (nsenter on the pod's process; the pod image has no
 * load tools): a TCP sink and an HTTP server (13-byte body) in board-1's
 * pod; in board-2's pod a client that measures bulk TCP throughput (one
 * connection, 64 KiB writes, `--seconds`) and HTTP request rate (8
 * keep-alive connections, closed loop, `--seconds`). Both pods and both
 * boards share this machine's cores with the load, so the figures compare
 * the two backends; they are not a Pi's.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';

const args = new Map(process.argv.slice(2).map((a) => [a.replace(/^--/, '').split('=')[0]!, a.split('=').slice(1).join('=') || 'true']));
const seconds = Number(args.get('seconds') ?? 5);

if (args.get('role') === 'server') {
  // Sink: counts bytes, answers the count when the client half-closes.
  net.createServer((s) => {
    let n = 0;
    s.on('data', (d) => (n += d.length));
    s.on('end', () => s.end(`${n}\n`));
  }).listen(5001);
  http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 13 });
    res.end('hello, world\n');
  }).listen(5002, () => process.stdout.write('ready\n'));
} else if (args.get('role') === 'client') {
  const target = args.get('target')!;
  process.stdout.write(JSON.stringify({ ...(await bulk(target)), ...(await requests(target)) }) + '\n');
} else {
  await main();
}

async function bulk(target: string) {
  const s = net.connect(5001, target);
  await once(s, 'connect');
  const chunk = Buffer.alloc(64 * 1024);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let sent = 0;
  while (performance.now() < end) {
    sent += chunk.length;
    if (!s.write(chunk)) await once(s, 'drain');
  }
  s.end();
  let reply = '';
  s.on('data', (d) => (reply += d));
  await once(s, 'close');
  const ms = performance.now() - t0;
  if (Number(reply.trim()) !== sent) throw new Error(`sink got ${reply.trim()} of ${sent} bytes`);
  return { mbitPerS: Math.round((sent * 8) / 1e6 / (ms / 1000)) };
}

async function requests(target: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const t = performance.now();
      http.get({ host: target, port: 5002, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => (lat.push(performance.now() - t), resolve()));
      }).on('error', reject);
    });
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (performance.now() < end) await one();
  }));
  agent.destroy();
  lat.sort((a, b) => a - b);
  return { reqPerS: Math.round(lat.length / seconds), p50ms: +lat[Math.floor(lat.length * 0.5)]!.toFixed(2), p99ms: +lat[Math.floor(lat.length * 0.99)]!.toFixed(2) };
}

function sh(cmd: string, a: string[], input?: string): string {
  const r = spawnSync(cmd, a, { encoding: 'utf8', input, env: { ...process.env, HOME: os.tmpdir() } });
  if (r.status !== 0) throw new Error(`${cmd} ${a.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A process of the pod (its cgroup names the pod UID): its network namespace is the pod's. */
function podPid(uid: string): number {
  const keys = [uid, uid.replace(/-/g, '_')];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cg = fs.readFileSync(`/proc/${p}/cgroup`, 'utf8');
      if (keys.some((k) => cg.includes(k))) return Number(p);
    } catch {
      // gone
    }
  }
  throw new Error(`no process of pod ${uid}`);
}

async function measure(backend: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bramble-podnet-${backend}-`));
  const bramble = path.resolve(import.meta.dirname, '../bin/bramble');
  const kubectl = (a: string[], input?: string) => sh(process.env['KUBECTL'] ?? '/usr/bin/kubectl', ['--kubeconfig', path.join(dir, 'kubeconfig.yaml'), ...a], input);
  const node = process.execPath;
  const self = new URL(import.meta.url).pathname;
  let server: ReturnType<typeof spawn> | undefined;
  try {
    sh(bramble, ['lab', 'up', '--nodes', '2', '--dir', dir, `--server-flag=--flannel-backend=${backend}`, '--timeout', '240']);
    kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'hello', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'hello' } }, template: { metadata: { labels: { app: 'hello' } }, spec: {
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'hello' } } }],
        containers: [{ name: 'hello', image: 'bramble.local/hello-node:1.0' }] } } },
    }));
    let pods: any[] = [];
    for (let i = 0; i < 360 && pods.length < 2; i++) {
      pods = (JSON.parse(kubectl(['get', 'pods', '-o', 'json'])).items as any[]).filter((p) => p.status.phase === 'Running' && p.status.podIP);
      if (pods.length < 2) await new Promise((r) => setTimeout(r, 500));
    }
    const a = pods.find((p) => p.spec.nodeName === 'board-1')!;
    const b = pods.find((p) => p.spec.nodeName === 'board-2')!;
    server = spawn('nsenter', [`--net=/proc/${podPid(a.metadata.uid)}/ns/net`, node, self, '--role=server'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(server.stdout!, 'data');
    const out = sh('nsenter', [`--net=/proc/${podPid(b.metadata.uid)}/ns/net`, node, self, '--role=client', `--target=${a.status.podIP}`, `--seconds=${seconds}`]);
    return { backend, ...JSON.parse(out) };
  } finally {
    server?.kill();
    spawnSync(bramble, ['lab', 'down', '--dir', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const results = [];
  for (const b of (args.get('backends') ?? 'host-gw,vxlan').split(',')) {
    const r = await measure(b);
    process.stdout.write(`${JSON.stringify(r)}\n`);
    results.push(r);
  }
  process.stdout.write('\n| backend | TCP, 1 connection | HTTP req/s (8 keep-alive conns) | p50 | p99 |\n| --- | --- | --- | --- | --- |\n');
  for (const r of results) process.stdout.write(`| ${r.backend} | ${r.mbitPerS} Mbit/s | ${r.reqPerS} | ${r.p50ms} ms | ${r.p99ms} ms |\n`);
}
