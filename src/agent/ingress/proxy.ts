/**
 * The ingress controller's HTTP(S) reverse proxy: plain HTTP and HTTPS (SNI)
 * listeners in front of one routing table (routes.ts), forwarding to pod IPs
 * over keep-alive connections (upstream.ts: a pool and a small HTTP/1.1
 * client, because node:http's client machinery cost ~8× the server side per
 * request; see that file).
 *
 * As ingress-nginx: Host is kept; X-Forwarded-For (appended), -Proto, -Host,
 * -Port and X-Real-IP are set; hop-by-hop headers are dropped both ways; no
 * route → 404, a route without ready endpoints → 503, a backend that cannot
 * be reached → 502, one that does not answer in time → 504 (connect timeout
 * 5 s, read timeout 60 s, as proxy-connect-timeout and proxy-read-timeout).
 * Bodies are streamed both ways; WebSocket (and any other) upgrades are
 * forwarded and then piped byte for byte.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { logger } from '../../util/log.ts';
import type { Backend, Endpoint, RoutingTable } from './routes.ts';
import { UpstreamPool, type Exchange, type ExchangeHandlers, type ResponseHead } from './upstream.ts';
import { FrontConn, type FrontRequest } from './front.ts';

const log = logger('ingress');

export interface Listen {
  host: string;
  port: number;
}

export interface IngressProxyOptions {
  /** The current routing table (swapped as the cluster changes). */
  table(): RoutingTable;
  /** The TLS context for a server name, from the Ingress's Secret; undefined → the default certificate. */
  contextFor?(serverName: string): tls.SecureContext | undefined;
  /** The certificate served when no Secret matches (self-signed). */
  defaultCert: { certPem: string; keyPem: string };
  http: Listen[];
  https: Listen[];
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
}

export interface RunningIngressProxy {
  httpPorts: number[];
  httpsPorts: number[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Headers without hop-by-hop ones (and those named in Connection). */
function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(
    String(headers['connection'] ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  return out;
}

function forwardedHeaders(req: http.IncomingMessage, proto: 'http' | 'https', localPort: number): http.OutgoingHttpHeaders {
  const h = endToEnd(req.headers);
  const remote = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const prior = req.headers['x-forwarded-for'];
  h['x-forwarded-for'] = prior ? `${prior}, ${remote}` : remote;
  h['x-real-ip'] = remote;
  h['x-forwarded-proto'] = proto;
  h['x-forwarded-host'] = req.headers.host ?? '';
  h['x-forwarded-port'] = String(localPort);
  return h;
}

/** Request headers that forwardedHead sets itself, or that describe the client's hop only. */
const SET_HERE = new Set(['x-forwarded-for', 'x-real-ip', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'host', 'content-length', 'transfer-encoding']);

/** What the proxy needs from a request's headers, read once from rawHeaders (req.headers is built lazily; not touching it saves an object per request). */
interface RequestFacts {
  host: string | undefined;
  /** Earlier X-Forwarded-For values, joined. */
  xff: string | undefined;
  contentLength: string | undefined;
  chunked: boolean;
  /** Header names listed in Connection (beyond keep-alive/close): this hop's, not forwarded. */
  named: Set<string> | undefined;
}

function requestFacts(raw: string[]): RequestFacts {
  const f: RequestFacts = { host: undefined, xff: undefined, contentLength: undefined, chunked: false, named: undefined };
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Cheap first-letter filter: most headers start with none of c, h, t, x.
    const c = name.charCodeAt(0) | 0x20;
    if (c !== 0x63 && c !== 0x68 && c !== 0x74 && c !== 0x78) continue;
    const lower = name.toLowerCase();
    const v = raw[i + 1]!;
    if (lower === 'host') f.host ??= v;
    else if (lower === 'x-forwarded-for') f.xff = f.xff === undefined ? v : `${f.xff}, ${v}`;
    else if (lower === 'content-length') f.contentLength = v;
    else if (lower === 'transfer-encoding') f.chunked = true;
    else if (lower === 'connection') {
      for (const t of v.split(',')) {
        const n = t.trim().toLowerCase();
        if (n && n !== 'keep-alive' && n !== 'close') (f.named ??= new Set()).add(n);
      }
    }
  }
  return f;
}

/** The request head for the pod: end-to-end headers in the client's order and spelling, then the forwarded ones. */
function forwardedHead(method: string, url: string, raw: string[], f: RequestFacts, ep: Endpoint, proto: 'http' | 'https', socket: net.Socket): string {
  let head = `${method} ${url} HTTP/1.1\r\nhost: ${f.host ?? `${ep.ip}:${ep.port}`}\r\n`;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Only names starting with c, h, k, p, t, u or x can be in HOP_BY_HOP or SET_HERE: the others skip
    // the lower-casing and set lookups unless Connection named headers of the client's own.
    const c = name.charCodeAt(0) | 0x20;
    if (f.named || c === 0x63 || c === 0x68 || c === 0x6b || c === 0x70 || c === 0x74 || c === 0x75 || c === 0x78) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower) || SET_HERE.has(lower) || f.named?.has(lower)) continue;
    }
    head += `${name}: ${raw[i + 1]}\r\n`;
  }
  const ra = socket.remoteAddress ?? '';
  const remote = ra.startsWith('::ffff:') ? ra.slice(7) : ra;
  head += `x-forwarded-for: ${f.xff ? `${f.xff}, ${remote}` : remote}\r\nx-real-ip: ${remote}\r\nx-forwarded-proto: ${proto}\r\nx-forwarded-host: ${f.host ?? ''}\r\nx-forwarded-port: ${socket.localPort ?? 0}\r\n`;
  // Framing: the server side de-chunked the body, so a chunked one is chunked again; a sized one keeps its size.
  if (f.chunked) head += 'transfer-encoding: chunked\r\n';
  else if (f.contentLength !== undefined) head += `content-length: ${f.contentLength}\r\n`;
  return head + '\r\n';
}

function requestPath(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  const p = q >= 0 ? u.slice(0, q) : u;
  // Absolute-form (a proxy request line): keep only the path.
  if (/^https?:\/\//i.test(p)) {
    try {
      return new URL(p).pathname;
    } catch {
      return '/';
    }
  }
  return p || '/';
}

function plain(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${status} ${text}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const GET_OPTS = { hasBody: false, chunked: false, noResponseBody: false };
const HEAD_OPTS = { hasBody: false, chunked: false, noResponseBody: true };

/**
 * The fast path's response handlers, one per client connection and reused by
 * its requests (front.ts serves one at a time), instead of five closures and
 * an object per request.
 */
class FastExchange implements ExchangeHandlers {
  private readonly c: FrontConn;
  ep: Endpoint | undefined;
  isHead = false;
  x: Exchange | undefined;
  /** The client drained: read the pod's response again. */
  readonly resume = (): void => this.x?.resume();
  /** The client went away mid-exchange. */
  readonly abort = (): void => this.x?.abort();

  constructor(c: FrontConn) {
    this.c = c;
  }

  head(h: ResponseHead): void {
    this.c.head(h.status, h.reason, h.headers, h.contentLength, !!h.noBody || this.isHead);
  }
  data(chunk: Buffer): boolean {
    if (this.c.write(chunk)) return true;
    this.c.onDrain(this.resume);
    return false;
  }
  end(last?: Buffer): void {
    this.c.end(last);
  }
  error(code: Parameters<ExchangeHandlers['error']>[0], beforeHead: boolean): void {
    log.debug('backend request failed', { backend: `${this.ep?.ip}:${this.ep?.port}`, err: code });
    if (!beforeHead) return this.c.destroy();
    const timeout = code === 'connect-timeout' || code === 'read-timeout';
    this.c.plain(timeout ? 504 : 502, timeout ? 'Gateway Timeout' : 'Bad Gateway');
  }
}

export async function startIngressProxy(opts: IngressProxyOptions): Promise<RunningIngressProxy> {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
  const readTimeoutMs = opts.readTimeoutMs ?? 60_000;
  const pool = new UpstreamPool({ connectTimeoutMs, readTimeoutMs });
  const next = new Map<string, number>();
  /**
   * Each Backend's round-robin key, built once per routing table rather than
   * per request (a new string is hashed again on every Map lookup). The
   * counters stay keyed by name so a table rebuild does not reset them.
   */
  const keys = new WeakMap<Backend, string>();

  /** Round robin over a backend's endpoints. */
  function pick(b: Backend): Endpoint | undefined {
    if (!b.endpoints.length) return undefined;
    let key = keys.get(b);
    if (key === undefined) keys.set(b, (key = `${b.namespace}/${b.service}:${b.port}`));
    const i = (next.get(key) ?? 0) % b.endpoints.length;
    next.set(key, i + 1);
    return b.endpoints[i];
  }

  function route(host: string | undefined, url: string | undefined): { ep?: Endpoint; status?: number; text?: string } {
    const m = opts.table().match(host, requestPath(url));
    if (!m) return { status: 404, text: 'Not Found' };
    const ep = pick(m.backend);
    if (!ep) return { status: 503, text: 'Service Temporarily Unavailable' };
    return { ep };
  }

  function onConnectTimeout(preq: http.ClientRequest): void {
    preq.once('socket', (s: net.Socket) => {
      if (!s.connecting) return;
      const t = setTimeout(() => preq.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECTTIMEOUT' })), connectTimeoutMs);
      s.once('connect', () => clearTimeout(t));
      s.once('close', () => clearTimeout(t));
    });
  }

  function handler(proto: 'http' | 'https') {
    return (req: http.IncomingMessage, res: http.ServerResponse) => {
      const f = requestFacts(req.rawHeaders);
      const r = route(f.host, req.url);
      if (!r.ep) return plain(res, r.status!, r.text!);
      const ep = r.ep;
      const hasBody = f.chunked || (f.contentLength !== undefined && f.contentLength !== '0');
      const resume = () => x.resume();
      const x = pool.request(ep.ip, ep.port, forwardedHead(req.method ?? 'GET', req.url ?? '/', req.rawHeaders, f, ep, proto, req.socket), { hasBody, chunked: f.chunked, noResponseBody: req.method === 'HEAD' }, {
        head(h) {
          try {
            res.writeHead(h.status, h.reason, h.headers);
          } catch {
            // A header node refuses to send (invalid characters): the pod's answer is unusable.
            x.abort();
            return plain(res, 502, 'Bad Gateway');
          }
          // Streaming responses (server-sent events, chunked logs): headers go out at once, not with the first chunk.
          if (h.contentLength === undefined) res.flushHeaders();
        },
        data(chunk) {
          if (res.write(chunk)) return true;
          res.once('drain', resume);
          return false;
        },
        end(last) {
          res.end(last);
        },
        error(code, beforeHead) {
          log.debug('backend request failed', { backend: `${ep.ip}:${ep.port}`, err: code });
          if (!beforeHead) return void res.destroy();
          const timeout = code === 'connect-timeout' || code === 'read-timeout';
          plain(res, timeout ? 504 : 502, timeout ? 'Gateway Timeout' : 'Bad Gateway');
        },
      });
      // The client went away before the backend answered: stop the backend request too.
      res.once('close', () => {
        if (!res.writableFinished) x.abort();
      });
      if (hasBody) {
        req.on('data', (c: Buffer) => {
          if (!x.write(c)) {
            req.pause();
            x.onDrain(() => req.resume());
          }
        });
        req.on('end', () => x.finish());
      }
    };
  }

  /** The hot path (front.ts): a bodiless request parsed off the socket, forwarded without node:http objects. */
  function serveFast(proto: 'http' | 'https') {
    return (c: FrontConn, r: FrontRequest) => {
      const rt = route(r.host, r.url);
      if (!rt.ep) return c.plain(rt.status!, rt.text!);
      const ep = rt.ep;
      const head = forwardedHead(r.method, r.url, r.rawHeaders, { host: r.host, xff: r.xff, contentLength: undefined, chunked: false, named: r.named }, ep, proto, c.socket);
      const isHead = r.method === 'HEAD';
      let fx = c.state as FastExchange | undefined;
      if (!fx) c.state = fx = new FastExchange(c);
      fx.ep = ep;
      fx.isHead = isHead;
      fx.x = pool.request(ep.ip, ep.port, head, isHead ? HEAD_OPTS : GET_OPTS, fx);
      c.onAbort = fx.abort;
    };
  }

  function upgrade(proto: 'http' | 'https') {
    return (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      const r = route(req.headers.host, req.url);
      if (!r.ep) {
        socket.end(`HTTP/1.1 ${r.status} ${r.text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        return;
      }
      const headers = forwardedHeaders(req, proto, req.socket.localPort ?? 0);
      headers['connection'] = 'Upgrade';
      headers['upgrade'] = req.headers.upgrade ?? '';
      // A fresh connection (no agent): it becomes the tunnel.
      const preq = http.request({ host: r.ep.ip, port: r.ep.port, method: req.method, path: req.url, headers, agent: false });
      onConnectTimeout(preq);
      preq.on('upgrade', (pres, psock, phead) => {
        let head101 = `HTTP/1.1 ${pres.statusCode} ${pres.statusMessage}\r\n`;
        for (let i = 0; i < pres.rawHeaders.length; i += 2) head101 += `${pres.rawHeaders[i]}: ${pres.rawHeaders[i + 1]}\r\n`;
        socket.write(head101 + '\r\n');
        if (phead.length) socket.write(phead);
        if (head.length) psock.write(head);
        tunnels.add(psock);
        psock.on('close', () => (tunnels.delete(psock), socket.destroy()));
        socket.on('close', () => psock.destroy());
        psock.on('error', () => socket.destroy());
        socket.on('error', () => psock.destroy());
        psock.pipe(socket);
        socket.pipe(psock);
      });
      preq.on('response', (pres) => {
        // The backend declined the upgrade: relay its answer and close.
        let out = `HTTP/1.1 ${pres.statusCode} ${pres.statusMessage}\r\n`;
        const h = endToEnd(pres.headers);
        delete h['content-length'];
        for (const [k, v] of Object.entries(h)) for (const one of Array.isArray(v) ? v : [v]) out += `${k}: ${one}\r\n`;
        const chunks: Buffer[] = [];
        pres.on('data', (c: Buffer) => chunks.push(c));
        pres.on('end', () => {
          const body = Buffer.concat(chunks);
          socket.end(Buffer.concat([Buffer.from(`${out}content-length: ${body.length}\r\nconnection: close\r\n\r\n`), body]));
        });
      });
      preq.on('error', () => socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
      preq.end();
    };
  }

  const defaultCtx = tls.createSecureContext({ cert: opts.defaultCert.certPem, key: opts.defaultCert.keyPem });
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  /** Backend ends of upgraded connections. */
  const tunnels = new Set<Duplex>();
  const listen = async (srv: net.Server, l: Listen): Promise<number> => {
    srv.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(l.port, l.host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    servers.push(srv);
    return (srv.address() as net.AddressInfo).port;
  };
  /** node:http for what front.ts hands over (bodies, upgrades, HTTP/1.0, odd heads); it never listens itself. */
  const fallback = (proto: 'http' | 'https'): http.Server => {
    const srv = http.createServer(handler(proto));
    srv.on('upgrade', upgrade(proto));
    srv.on('clientError', (_e, s: Duplex) => s.destroy());
    return srv;
  };
  const front = (proto: 'http' | 'https') => {
    const o = { serve: serveFast(proto), fallback: fallback(proto), keepAliveTimeoutMs: 5_000 };
    return (s: net.Socket) => void new FrontConn(s, o);
  };

  const running: RunningIngressProxy = {
    httpPorts: [],
    httpsPorts: [],
    async close() {
      const closed = servers.map((s) => new Promise((r) => s.close(() => r(undefined))));
      for (const s of sockets) s.destroy();
      for (const s of tunnels) s.destroy();
      pool.destroy();
      await Promise.all(closed);
    },
  };
  try {
    for (const l of opts.http) running.httpPorts.push(await listen(net.createServer({ allowHalfOpen: true }, front('http')), l));
    for (const l of opts.https) {
      const srv = tls.createServer({
        allowHalfOpen: true,
        cert: opts.defaultCert.certPem,
        key: opts.defaultCert.keyPem,
        ALPNProtocols: ['http/1.1'],
        SNICallback: (name, cb) => cb(null, opts.contextFor?.(name) ?? defaultCtx),
      });
      srv.on('secureConnection', front('https'));
      srv.on('tlsClientError', () => undefined);
      running.httpsPorts.push(await listen(srv, l));
    }
  } catch (e) {
    await running.close();
    throw e;
  }
  return running;
}
