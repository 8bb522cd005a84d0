/**
 * Starts the server under test through the shared test harness (a real
 * `bin/bramble server` on a free loopback port with a temp data dir), and
 * gives bench scripts HTTP/1.1 and HTTP/2 clients for it.
 *
 * With `profile` set, the server runs with `--cpu-prof` (passed through
 * NODE_OPTIONS, which bin/bramble's `exec node` inherits) and writes a
 * `.cpuprofile` into that folder when it exits; `bench/lib/profile-top.ts`
 * summarises it.
 */
import { mkdirSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import path from 'node:path';
import { apiClient, type ApiClient } from '../../test/harness/api.ts';
import { startServer, type TestServer } from '../../test/harness/server.ts';
import { namespaceBody, replicaSetBody } from './objects.ts';

export interface BenchServer {
  server: TestServer;
  api: ApiClient;
  /** The server process (changes on restart). */
  readonly pid: number;
  /** Credentials and address (the port changes on restart). */
  readonly creds: ApiClient['credentials'];
  /** SIGTERM, then start again on the same data dir; with `profile`, the new process runs under --cpu-prof. */
  restart(profile?: string): Promise<void>;
  /** Stops the server (SIGTERM, which also flushes a CPU profile) and removes its temp dir. */
  stop(): Promise<void>;
}

/** Runs `fn` with NODE_OPTIONS set for --cpu-prof into `profile` (when given), which spawned servers inherit. */
async function withProfiling<T>(profile: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env['NODE_OPTIONS'];
  if (profile) {
    const dir = path.resolve(profile);
    mkdirSync(dir, { recursive: true });
    process.env['NODE_OPTIONS'] = `${saved ?? ''} --cpu-prof --cpu-prof-dir=${dir}`.trim();
  }
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = saved;
  }
}

export async function startBenchServer(opts: { profile?: string; args?: string[] } = {}): Promise<BenchServer> {
  const server = await withProfiling(opts.profile, () => startServer(['--log-level', 'warn', ...(opts.args ?? [])]));
  let api = apiClient(server.kubeconfig);
  return {
    server,
    get api() {
      return api;
    },
    get pid() {
      return server.proc.pid!;
    },
    get creds() {
      return api.credentials;
    },
    async restart(profile) {
      const proc = server.proc;
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        await exited;
      }
      await withProfiling(profile, () => server.restart());
      api = apiClient(server.kubeconfig);
    },
    stop: () => server.stop(),
  };
}

export interface Reply {
  status: number;
  text: string;
  /** Bytes of the body. */
  bytes: number;
  /** ms from sending to the first body byte (or headers when the body is empty). */
  ttfb: number;
}

export interface Client {
  request(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<Reply>;
  close(): void;
}

/**
 * One HTTP/2 session: every request is a stream multiplexed on it, as
 * client-go and kubectl do, with Go's flow-control windows (4 MB per stream,
 * 1 GB per connection). Node's 64 KB defaults would throttle large
 * responses (a 23 MB list) on the client's window updates.
 */
export function h2Client(creds: ApiClient['credentials']): Client {
  const session = http2.connect(`https://${creds.host}:${creds.port}`, {
    ca: creds.ca,
    cert: creds.cert,
    key: creds.key,
    servername: 'localhost',
    settings: { initialWindowSize: 4 << 20 },
  });
  session.on('connect', () => session.setLocalWindowSize(1 << 30));
  session.on('error', () => undefined);
  return {
    request(method, p, body, headers = {}) {
      return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const h: http2.OutgoingHttpHeaders = { ':method': method, ':path': p, accept: 'application/json', ...headers };
        if (body !== undefined) {
          h['content-type'] ??= 'application/json';
          h['content-length'] = Buffer.byteLength(body);
        }
        const req = session.request(h, { endStream: body === undefined });
        let status = 0;
        let ttfb = 0;
        const chunks: Buffer[] = [];
        req.on('response', (rh) => {
          status = Number(rh[':status']);
        });
        req.on('data', (c: Buffer) => {
          if (chunks.length === 0) ttfb = performance.now() - t0;
          chunks.push(c);
        });
        req.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status, text: buf.toString('utf8'), bytes: buf.length, ttfb: ttfb || performance.now() - t0 });
        });
        req.on('error', reject);
        if (body !== undefined) req.end(body);
      });
    },
    close() {
      session.close();
    },
  };
}

/** One HTTP/1.1 keep-alive connection (maxSockets 1): requests on it are sequential. */
export function h1Client(creds: ApiClient['credentials'], maxSockets = 1): Client {
  const agent = new https.Agent({ ca: creds.ca, cert: creds.cert, key: creds.key, keepAlive: true, maxSockets });
  return {
    request(method, p, body, headers = {}) {
      return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const h: Record<string, string | number> = { accept: 'application/json', ...headers };
        if (body !== undefined) {
          h['content-type'] ??= 'application/json';
          h['content-length'] = Buffer.byteLength(body);
        }
        const req = https.request({ host: creds.host, port: creds.port, path: p, method, headers: h, agent, servername: 'localhost' }, (res) => {
          let ttfb = 0;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => {
            if (chunks.length === 0) ttfb = performance.now() - t0;
            chunks.push(c);
          });
          res.on('end', () => {
            const buf = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, text: buf.toString('utf8'), bytes: buf.length, ttfb: ttfb || performance.now() - t0 });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** Throws unless the reply has one of the expected statuses. */
export function expectStatus(r: Reply, what: string, ...ok: number[]): Reply {
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return r;
}

/** Creates a namespace and the ReplicaSet its pods are owned by; returns the owner's uid. */
export async function prepareNamespace(c: Client, ns: string): Promise<string> {
  expectStatus(await c.request('POST', '/api/v1/namespaces', namespaceBody(ns)), `create namespace ${ns}`, 201, 409);
  const r = expectStatus(await c.request('POST', `/apis/apps/v1/namespaces/${ns}/replicasets`, replicaSetBody(ns)), `create replicaset in ${ns}`, 201);
  return JSON.parse(r.text).metadata.uid as string;
}
