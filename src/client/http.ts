/**
 * A Client over HTTPS (HTTP/2, one multiplexed session, reconnected when it
 * drops), authenticating with a client certificate. Agents and tests use
 * it; JSON both ways; Status replies become ApiErrors.
 */
import fs from 'node:fs';
import http2 from 'node:http2';
import { ApiError, errors, type Status, type StatusReason } from '../api/errors.ts';
import { yaml } from '../util/yaml.ts';
import type { ApiWatchEvent, Client, ClientWatch, DeleteOptions, ListOptions, ListResult, Obj, PatchType, ResourceId, WatchOptions, WriteOptions } from './types.ts';

export interface HttpCredentials {
  /** https://host:port */
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** TLS server name to verify (defaults to the host). */
  serverName?: string;
}

const patchTypes: Record<PatchType | 'apply', string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

function path(r: ResourceId, namespace: string, name = '', sub = ''): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (namespace && r.resource !== 'namespaces') p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.resource}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function writeQuery(o: WriteOptions = {}): Record<string, string | boolean | undefined> {
  return { dryRun: o.dryRun ? 'All' : undefined, fieldManager: o.fieldManager, fieldValidation: o.fieldValidation, force: o.force };
}

function toError(status: number, text: string): ApiError {
  try {
    const s = JSON.parse(text) as Status;
    if (s.kind === 'Status' && s.reason) return new ApiError(s.reason as StatusReason, s.message ?? '', s.details);
  } catch {
    /* not a Status */
  }
  return errors.internal(new Error(`HTTP ${status}: ${text.slice(0, 200)}`));
}

export class HttpClient implements Client {
  readonly userName: string;
  private readonly creds: HttpCredentials;
  private session?: http2.ClientHttp2Session;

  constructor(creds: HttpCredentials, userName = 'client') {
    this.creds = creds;
    this.userName = userName;
  }

  /** The server URL this client talks to. */
  get server(): string {
    return this.creds.server;
  }

  /** A client from a kubeconfig with embedded certificate data (as bramble writes). */
  static fromKubeconfig(file: string): HttpClient {
    const kc = yaml().parse(fs.readFileSync(file, 'utf8'));
    const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
    const cluster = kc.clusters[0].cluster;
    const user = kc.users[0].user;
    return new HttpClient(
      { server: cluster.server, caPem: b64(cluster['certificate-authority-data']), certPem: b64(user['client-certificate-data']), keyPem: b64(user['client-key-data']) },
      kc.users[0].name,
    );
  }

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const s = http2.connect(this.creds.server, {
      ca: this.creds.caPem,
      cert: this.creds.certPem,
      key: this.creds.keyPem,
      servername: this.creds.serverName ?? (new URL(this.creds.server).hostname.match(/^[\d.:]+$/) ? 'localhost' : undefined),
    });
    s.on('error', () => undefined);
    s.unref();
    this.session = s;
    return s;
  }

  /** One request; resolves with the parsed JSON body of a 2xx reply, throws the Status otherwise. */
  private request(method: string, p: string, body?: unknown, contentType = 'application/json'): Promise<Obj> {
    return new Promise((resolve, reject) => {
      const headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': p, accept: 'application/json' };
      const payload = body === undefined ? undefined : JSON.stringify(body);
      if (payload !== undefined) headers['content-type'] = contentType;
      let req: http2.ClientHttp2Stream;
      try {
        // Node ends DELETE requests at once unless told otherwise; DeleteOptions travel in the body.
        req = this.connect().request(headers, { endStream: payload === undefined });
      } catch (e) {
        reject(errors.serviceUnavailable(`cannot reach ${this.creds.server}: ${(e as Error).message}`));
        return;
      }
      let status = 0;
      const chunks: Buffer[] = [];
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', (e) => reject(errors.serviceUnavailable(`request to ${this.creds.server} failed: ${e.message}`)));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (status >= 200 && status < 300) {
          try {
            resolve(text ? JSON.parse(text) : {});
          } catch (e) {
            reject(errors.internal(e));
          }
        } else reject(toError(status, text));
      });
      req.end(payload);
    });
  }

  get(r: ResourceId, namespace: string, name: string, opts: { resourceVersion?: string } = {}): Promise<Obj> {
    return this.request('GET', path(r, namespace, name) + query({ resourceVersion: opts.resourceVersion }));
  }

  async list(r: ResourceId, namespace: string, opts: ListOptions = {}): Promise<ListResult> {
    const l = await this.request('GET', path(r, namespace) + query({ ...opts }));
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    const kind = String(l['kind'] ?? '').replace(/List$/, '');
    // List items carry no apiVersion/kind on the wire; restore them as client-go's decoder does.
    const items = (l['items'] ?? []).map((i: Obj) => ({ apiVersion, kind, ...i }));
    return { items, resourceVersion: l['metadata']?.resourceVersion ?? '', continue: l['metadata']?.continue || undefined };
  }

  async watch(r: ResourceId, namespace: string, opts: WatchOptions & { timeoutSeconds?: number }, signal: AbortSignal): Promise<ClientWatch> {
    const req = this.connect().request({
      ':method': 'GET',
      ':path': path(r, namespace) + query({ ...opts, watch: 1 }),
      accept: 'application/json',
    });
    const status = await new Promise<number>((resolve, reject) => {
      req.once('response', (h) => resolve(Number(h[':status'])));
      req.once('error', (e) => reject(errors.serviceUnavailable(`watch failed: ${e.message}`)));
    });
    if (status !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      throw toError(status, Buffer.concat(chunks).toString('utf8'));
    }
    return {
      pump: (onEvents) =>
        new Promise<void>((resolve) => {
          let rest = '';
          const stop = () => req.close();
          signal.addEventListener('abort', stop, { once: true });
          req.setEncoding('utf8');
          req.on('data', (chunk: string) => {
            const text = rest + chunk;
            const lines = text.split('\n');
            rest = lines.pop() ?? '';
            const events: ApiWatchEvent[] = [];
            for (const line of lines) if (line) events.push(JSON.parse(line) as ApiWatchEvent);
            if (events.length) onEvents(events);
          });
          const done = () => {
            signal.removeEventListener('abort', stop);
            resolve();
          };
          req.on('end', done);
          req.on('close', done);
          req.on('error', done);
        }),
    };
  }

  create(r: ResourceId, namespace: string, obj: Obj, opts?: WriteOptions): Promise<Obj> {
    return this.request('POST', path(r, namespace) + query(writeQuery(opts)), obj);
  }

  update(r: ResourceId, namespace: string, obj: Obj, opts: WriteOptions & { subresource?: string } = {}): Promise<Obj> {
    return this.request('PUT', path(r, namespace, obj['metadata']?.name, opts.subresource) + query(writeQuery(opts)), obj);
  }

  patch(r: ResourceId, namespace: string, name: string, type: PatchType | 'apply', body: unknown, opts: WriteOptions & { subresource?: string } = {}): Promise<Obj> {
    return this.request('PATCH', path(r, namespace, name, opts.subresource) + query(writeQuery(opts)), body, patchTypes[type]);
  }

  async delete(r: ResourceId, namespace: string, name: string, opts: DeleteOptions = {}): Promise<void> {
    await this.request('DELETE', path(r, namespace, name) + query({ dryRun: opts.dryRun ? 'All' : undefined }), {
      ...opts,
      dryRun: undefined,
    });
  }

  async createSubresource(r: ResourceId, namespace: string, name: string, subresource: string, body: Obj): Promise<void> {
    await this.request('POST', path(r, namespace, name, subresource), body);
  }

  close(): void {
    this.session?.close();
  }
}
