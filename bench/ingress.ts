/**
 * The built-in ingress proxy (src/agent/ingress) on loopback:
 *
 *   node_modules/.bin/node bench/ingress.ts [--seconds=10] [--concurrency=32] [--quick] [--json]
 *
 * A backend (node:http, a 13-byte body, in a process of its own) is loaded
 * for `--seconds` by `--concurrency` keep-alive connections from this
 * process, closed loop, three ways: directly (as a pod IP would be), through
 * the ingress proxy (its own process, Host-routed, X-Forwarded-* added) and,
 * when `nginx` is installed, through nginx as a reverse proxy (one worker,
 * upstream keepalive, the same headers) for comparison. Prints requests/s and
 * latency p50/p99 per path. All three share the machine's cores with the
 * load generator, so the figures are relative, not a Pi's.
 */
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const args = new Map(process.argv.slice(2).map((a) => [a.replace(/^--/, '').split('=')[0]!, a.split('=')[1] ?? 'true']));
const role = args.get('role');

if (role === 'backend') {
  const srv = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 13 });
    res.end('hello, world\n');
  });
  srv.keepAliveTimeout = 60_000;
  srv.listen(0, '127.0.0.1', () => process.stdout.write(`${(srv.address() as net.AddressInfo).port}\n`));
} else if (role === 'ingress') {
  const { startIngressProxy } = await import('../src/agent/ingress/proxy.ts');
  const { defaultCertificate } = await import('../src/agent/ingress/controller.ts');
  const { EndpointIndex, RoutingTable } = await import('../src/agent/ingress/routes.ts');
  const port = Number(args.get('backend'));
  const eps = new EndpointIndex();
  eps.setService({ metadata: { namespace: 'default', name: 'hello' }, spec: { ports: [{ name: 'http', port: 80 }] } });
  eps.setSlice({ metadata: { namespace: 'default', name: 'hello-x', labels: { 'kubernetes.io/service-name': 'hello' } }, addressType: 'IPv4', ports: [{ name: 'http', port }], endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }] });
  const table = RoutingTable.build(
    [{ metadata: { namespace: 'default', name: 'hello' }, spec: { rules: [{ host: 'hello.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'hello', port: { number: 80 } } } }] } }] } }],
    eps,
  );
  const p = await startIngressProxy({ table: () => table, defaultCert: defaultCertificate(), http: [{ host: '127.0.0.1', port: 0 }], https: [] });
  process.stdout.write(`${p.httpPorts[0]}\n`);
  // Exit on SIGTERM so `NODE_OPTIONS=--cpu-prof` gets to write its profile.
  process.on('SIGTERM', () => process.exit(0));
} else {
  await main();
}

async function child(extra: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', new URL(import.meta.url).pathname, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(proc.stdout!, 'data')) as [Buffer];
  return { proc, port: Number(line.toString().trim()) };
}

function freePort(): Promise<number> {
  const s = net.createServer();
  return new Promise((r) => s.listen(0, '127.0.0.1', () => {
    const p = (s.address() as net.AddressInfo).port;
    s.close(() => r(p));
  }));
}

interface Result {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

async function load(port: number, host: string, seconds: number, concurrency: number): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const lat: number[] = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  const took = (Date.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (f: number) => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))] ?? NaN;
  return { requests: lat.length, errors, rps: lat.length / took, p50: q(0.5), p99: q(0.99) };
}

async function startNginx(backend: number): Promise<{ port: number; stop(): void } | undefined> {
  const bin = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim();
  if (!bin) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-bench-nginx-'));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream hello { server 127.0.0.1:${backend}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    server_name hello.example;
    location / {
      proxy_pass http://hello;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
    }
  }
}
`,
  );
  const proc = spawn(bin, ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    stop() {
      proc.kill('SIGTERM');
      setTimeout(() => fs.rmSync(dir, { recursive: true, force: true }), 500).unref();
    },
  };
}

async function main(): Promise<void> {
  const quick = args.has('quick');
  const seconds = Number(args.get('seconds') ?? (quick ? 2 : 10));
  const concurrency = Number(args.get('concurrency') ?? 32);
  const backend = await child(['--role=backend']);
  const ingress = await child(['--role=ingress', `--backend=${backend.port}`]);
  const nginx = await startNginx(backend.port);
  const results: Record<string, Result> = {};
  try {
    // Warm up each path (JIT, connection pools) before measuring.
    await load(backend.port, 'hello.example', 1, concurrency);
    await load(ingress.port, 'hello.example', 1, concurrency);
    results['direct (pod)'] = await load(backend.port, 'hello.example', seconds, concurrency);
    results['bramble ingress'] = await load(ingress.port, 'hello.example', seconds, concurrency);
    if (nginx) {
      await load(nginx.port, 'hello.example', 1, concurrency);
      results['nginx reverse proxy'] = await load(nginx.port, 'hello.example', seconds, concurrency);
    }
    const miss = await load(ingress.port, 'unknown.example', 1, 1);
    if (miss.requests !== 0) throw new Error('an unknown host got 200 through the ingress');
  } finally {
    backend.proc.kill();
    ingress.proc.kill();
    nginx?.stop();
  }
  console.log(`ingress bench: ${seconds} s per path, ${concurrency} keep-alive connections, ${os.cpus().length} cores, node ${process.version}`);
  console.log('path                   req/s     p50 ms   p99 ms   errors');
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name.padEnd(22)} ${r.rps.toFixed(0).padStart(7)}   ${r.p50.toFixed(2).padStart(6)}   ${r.p99.toFixed(2).padStart(6)}   ${r.errors}`);
  }
  if (!nginx) console.log('(nginx not installed: no nginx comparison)');
  if (args.has('json')) console.log(JSON.stringify({ seconds, concurrency, results }));
}
