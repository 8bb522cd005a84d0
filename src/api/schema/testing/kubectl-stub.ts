/**
 * Test support: a tiny plain-HTTP server on 127.0.0.1 that stock kubectl
 * accepts (version 1.32, aggregated discovery from the resource table), a
 * map-backed object store, and a log of every request body. Tests use it to
 * capture what kubectl really sends (protobuf bodies, apply patches) and to
 * check that kubectl understands our OpenAPI documents.
 *
 * Not an apiserver: writes store the body as sent; PATCH does not patch.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiVersionOf, groupOrder, resources } from '../../resources.ts';
import { decodeProtobuf, isProtobuf } from '../protobuf.ts';

export interface LoggedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: Buffer;
}

/** Answers a request itself, or returns false to fall through to the stub's own handling. */
export type Hook = (req: LoggedRequest, res: ServerResponse) => boolean;

export interface KubectlStub {
  url: string;
  log: LoggedRequest[];
  /** Runs `/usr/bin/kubectl` against the stub with a private HOME and kubeconfig. */
  kubectl(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

const aggregatedType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function discovery(core: boolean) {
  const groups = groupOrder.filter((g) => (g === '') === core);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((group) => ({
      metadata: { name: group },
      versions: [
        {
          version: 'v1',
          freshness: 'Current',
          resources: resources
            .filter((r) => r.group === group)
            .map((r) => ({
              resource: r.resource,
              responseKind: { group: r.group, version: r.version, kind: r.kind },
              scope: r.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: r.singular,
              verbs: r.verbs,
              ...(r.shortNames ? { shortNames: r.shortNames } : {}),
              ...(r.categories ? { categories: r.categories } : {}),
              subresources: r.subresources.map((s) => ({
                subresource: s.name,
                responseKind: s.kind ?? { group: r.group, version: r.version, kind: r.kind },
                verbs: s.verbs,
              })),
            })),
        },
      ],
    })),
  };
}

function send(res: ServerResponse, code: number, body: unknown, type = 'application/json'): void {
  res.writeHead(code, { 'Content-Type': type });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse, path: string): void {
  const name = path.split('/').pop();
  send(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `"${name}" not found`, reason: 'NotFound', code: 404 });
}

/** Starts the stub. `hook` answers requests first (OpenAPI documents, special replies). */
export async function startKubectlStub(hook?: Hook): Promise<KubectlStub> {
  const log: LoggedRequest[] = [];
  const store = new Map<string, unknown>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const entry: LoggedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks),
      };
      log.push(entry);
      try {
        if (hook?.(entry, res)) return;
        handle(entry, res, store);
      } catch (e) {
        send(res, 500, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: String(e), code: 500 });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;
  const home = await mkdtemp(join(tmpdir(), 'bramble-kubectl-'));
  const kubeconfig = join(home, 'config');
  await writeFile(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: stub\n  cluster:\n    server: ${url}\ncontexts:\n- name: stub\n  context:\n    cluster: stub\n    user: stub\n    namespace: default\ncurrent-context: stub\nusers:\n- name: stub\n  user: {}\n`,
  );
  return {
    url,
    log,
    kubectl: (args, stdin) => runKubectl(['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'cache'), ...args], home, stdin),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(home, { recursive: true, force: true });
    },
  };
}

function handle(req: LoggedRequest, res: ServerResponse, store: Map<string, unknown>): void {
  const { method, path } = req;
  if (path === '/version') {
    return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.4', gitTreeState: 'clean', goVersion: 'go1.23.6', compiler: 'gc', platform: 'linux/amd64' });
  }
  if (path === '/api' || path === '/apis') return send(res, 200, discovery(path === '/api'), aggregatedType);
  if (path.startsWith('/openapi/')) return notFound(res, path);
  if (method === 'POST') {
    const obj = (isProtobuf(req.body) ? decodeProtobuf(req.body).object : JSON.parse(req.body.toString('utf8'))) as {
      metadata?: { name?: string; namespace?: string };
    };
    const ns = path.match(/\/namespaces\/([^/]+)\//)?.[1];
    if (ns && obj.metadata && !obj.metadata.namespace) obj.metadata.namespace = ns;
    store.set(`${path}/${obj.metadata?.name}`, obj);
    return send(res, 201, obj);
  }
  const stored = store.get(path);
  if (method === 'GET' && stored) return send(res, 200, stored);
  if (method === 'PATCH' && stored) return send(res, 200, stored);
  if (method === 'DELETE' && stored) {
    store.delete(path);
    return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
  }
  notFound(res, path);
}

function runKubectl(args: string[], home: string, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/kubectl', args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: join(home, 'config') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** apiVersion strings of every group version the resource table serves. */
export function servedApiVersions(): string[] {
  return [...new Set(resources.map(apiVersionOf))];
}
