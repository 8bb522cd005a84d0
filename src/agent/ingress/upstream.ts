/**
 * The ingress proxy's HTTP/1.1 client to pods: a pool of keep-alive
 * connections per endpoint and a small response parser, in place of
 * node:http's ClientRequest + Agent.
 *
 * Why: profiled under wrk (bench/ingress.ts), forwarding one small request
 * through http.request + Agent + IncomingMessage + pipe() cost ~200 µs of
 * CPU on the 2-vCPU bench VM, ~8× what node:http's server side costs for
 * the same request; most of it is generic stream/event machinery (listeners
 * added and removed per request, pipe/unpipe, megamorphic property access),
 * not syscalls (one write and one read per request either way). This client
 * writes the request head as one string, parses the response head itself
 * (status line, Content-Length, Transfer-Encoding, Connection), decodes
 * chunked bodies, and hands the body to the ServerResponse as it arrives,
 * with backpressure both ways.
 *
 * What it does not do, because the proxy does not need it: trailers (dropped,
 * as ingress-nginx does by default), pipelining (one exchange per
 * connection at a time), upgrades (proxy.ts tunnels those itself).
 */
import net from 'node:net';

/** What a response head says, for the caller to relay. */
export interface ResponseHead {
  status: number;
  reason: string;
  /** Flat [name, value, name, value, …], hop-by-hop headers already removed. */
  headers: string[];
  /** Content-Length when the response has one (and a body). */
  contentLength?: number;
  /** The response has no body whatever its headers say (HEAD, 204, 304). */
  noBody?: boolean;
}

export interface ExchangeHandlers {
  /** The response head. */
  head(h: ResponseHead): void;
  /** A piece of the (de-chunked) body; returns false to ask for a pause until `resume()`. */
  data(chunk: Buffer): boolean;
  /** The body ended; `last` is its final piece, if it came with the end (one write for a small response). */
  end(last?: Buffer): void;
  /** The exchange failed; `beforeHead` says whether anything was relayed yet. */
  error(code: 'connect' | 'connect-timeout' | 'read-timeout' | 'reset' | 'protocol', beforeHead: boolean): void;
}

export interface Exchange {
  /** Sends a piece of the request body (only when the head declared one). */
  write(chunk: Buffer): boolean;
  /** The request body is complete. */
  finish(): void;
  /** Stops reading the response until `resume()` (the client is slow). */
  pause(): void;
  resume(): void;
  /** Gives up: the connection is closed, not returned to the pool. */
  abort(): void;
  /** Called once the upstream socket can take more body after `write` returned false. */
  onDrain(fn: () => void): void;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;
const BAD_HEAD = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;

/** Response headers that describe this hop only (RFC 9110 §7.6.1), never relayed. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** text[from, to) without surrounding whitespace (as String.trim, for the characters a head can still hold after BAD_HEAD). */
function trimmed(text: string, from: number, to: number): string {
  while (from < to && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++;
  while (to > from && (text.charCodeAt(to - 1) === 32 || text.charCodeAt(to - 1) === 9)) to--;
  return text.slice(from, to);
}

/** A Content-Length value: decimal digits only, else -1. */
function digits(v: string): number {
  if (!v.length) return -1;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  return Number(v);
}

type State = 'head' | 'fixed' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'eof' | 'done';

/** One request/response on one pooled connection. */
class Conn {
  readonly socket: net.Socket;
  readonly ip: string;
  readonly port: number;
  /** Did this connection already carry a complete exchange (so a failure may be a stale keep-alive)? */
  reused = false;
  private h: ExchangeHandlers | undefined;
  private state: State = 'head';
  private headBuf: Buffer | undefined;
  private remaining = 0;
  private noBody = false;
  private keepAlive = true;
  private gotBytes = false;
  private chunkedRequest = false;
  private readonly pool: UpstreamPool;
  /** The upstream still owes a request body / has not been sent it all. */
  private requestDone = true;
  private connecting = false;
  /**
   * Timeouts without a timer per request: `timeoutMs` (0 = none) counts from
   * `activeAt`, the last time the connection did something, and the pool's
   * one sweep (UpstreamPool.tick) expires it. socket.setTimeout allocated a
   * Timeout and a bound function and re-queued a timer list on every
   * begin/complete/idle switch and every read; this is a field store.
   */
  activeAt = 0;
  timeoutMs = 0;

  constructor(pool: UpstreamPool, ip: string, port: number, socket: net.Socket, connecting: boolean) {
    this.pool = pool;
    this.ip = ip;
    this.port = port;
    this.socket = socket;
    this.connecting = connecting;
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => this.fail('reset'));
    socket.on('close', () => this.onClose());
    if (connecting)
      socket.once('connect', () => {
        this.connecting = false;
        // Connected: from now on the read timeout applies.
        if (this.h) this.arm(this.pool.readTimeoutMs);
      });
  }

  begin(head: string, hasBody: boolean, chunked: boolean, noResponseBody: boolean, h: ExchangeHandlers): void {
    this.h = h;
    this.state = 'head';
    this.headBuf = undefined;
    this.noBody = noResponseBody;
    this.keepAlive = true;
    this.gotBytes = false;
    this.chunkedRequest = chunked;
    this.requestDone = !hasBody;
    this.arm(this.connecting ? this.pool.connectTimeoutMs : this.pool.readTimeoutMs);
    this.socket.write(head, 'latin1');
  }

  /** Starts (ms > 0) or stops (0) the inactivity timeout. */
  arm(ms: number): void {
    this.timeoutMs = ms;
    this.activeAt = Date.now();
  }

  write(chunk: Buffer): boolean {
    if (!chunk.length) return true;
    // Sending the body counts as activity, as it did for the socket's own timeout.
    this.activeAt = Date.now();
    if (this.chunkedRequest) this.socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    const ok = this.socket.write(chunk);
    return this.chunkedRequest ? this.socket.write('\r\n', 'latin1') && ok : ok;
  }

  finish(): void {
    if (this.chunkedRequest) this.socket.write('0\r\n\r\n', 'latin1');
    this.requestDone = true;
    if (this.state === 'done') this.release();
  }

  /** The inactivity timeout passed (called by the pool's sweep). */
  expire(): void {
    this.timeoutMs = 0;
    if (!this.h) {
      // Idle in the pool too long: close it rather than keep a pod's connection slot.
      this.socket.destroy();
      return;
    }
    this.fail(this.connecting ? 'connect-timeout' : 'read-timeout');
  }

  private onData(d: Buffer): void {
    if (!this.h) {
      // Bytes nobody asked for (a server that answers twice): not reusable.
      this.socket.destroy();
      return;
    }
    this.gotBytes = true;
    this.activeAt = Date.now();
    // A socket may leave the exchange (release, fail) inside parse: stop then.
    this.parse(d);
  }

  private parse(d: Buffer): void {
    let at = 0;
    while (at < d.length && this.h) {
      switch (this.state) {
        case 'head': {
          let buf = d.subarray(at);
          if (this.headBuf) buf = Buffer.concat([this.headBuf, buf]);
          const end = buf.indexOf(CRLF2);
          if (end < 0) {
            if (buf.length > MAX_HEAD) return this.fail('protocol');
            this.headBuf = buf;
            return;
          }
          const consumedFromD = end + 4 - (this.headBuf?.length ?? 0);
          this.headBuf = undefined;
          if (!this.onHead(buf.toString('latin1', 0, end), at + consumedFromD < d.length)) return;
          at += consumedFromD;
          break;
        }
        case 'fixed': {
          const n = Math.min(this.remaining, d.length - at);
          const piece = d.subarray(at, at + n);
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = 'done';
            if (at < d.length) this.keepAlive = false;
            this.complete(piece);
            return;
          }
          this.deliver(piece);
          break;
        }
        case 'chunk-size': {
          const nl = d.indexOf(10, at);
          const line = (this.headBuf ? this.headBuf.toString('latin1') : '') + d.toString('latin1', at, nl < 0 ? d.length : nl);
          if (nl < 0) {
            if (line.length > 1024) return this.fail('protocol');
            this.headBuf = Buffer.from(line, 'latin1');
            return;
          }
          this.headBuf = undefined;
          at = nl + 1;
          const size = parseInt(line, 16);
          if (!Number.isFinite(size) || size < 0) return this.fail('protocol');
          if (size === 0) this.state = 'trailers';
          else {
            this.remaining = size;
            this.state = 'chunk-data';
          }
          break;
        }
        case 'chunk-data': {
          const n = Math.min(this.remaining, d.length - at);
          const piece = d.subarray(at, at + n);
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'chunk-crlf';
          this.deliver(piece);
          break;
        }
        case 'chunk-crlf': {
          // The CRLF after a chunk's data: skip it byte by byte (it may be split across reads).
          const c = d[at++];
          if (c === 10) this.state = 'chunk-size';
          else if (c !== 13) return this.fail('protocol');
          break;
        }
        case 'trailers': {
          // Trailer lines until an empty one; dropped.
          const nl = d.indexOf(10, at);
          if (nl < 0) {
            this.headBuf = Buffer.concat([this.headBuf ?? Buffer.alloc(0), d.subarray(at)]);
            if (this.headBuf.length > MAX_HEAD) return this.fail('protocol');
            return;
          }
          const line = (this.headBuf ? this.headBuf.toString('latin1') : '') + d.toString('latin1', at, nl);
          this.headBuf = undefined;
          at = nl + 1;
          if (line === '' || line === '\r') {
            this.state = 'done';
            if (at < d.length) this.keepAlive = false;
            this.complete(undefined);
            return;
          }
          break;
        }
        case 'eof':
          this.deliver(at === 0 ? d : d.subarray(at));
          return;
        case 'done':
          this.keepAlive = false;
          return;
      }
    }
  }

  /** Parses a response head; false if it ended the exchange. */
  private onHead(text: string, more: boolean): boolean {
    // Control characters other than the CRLF line ends (bare CR or LF, NUL…) would reach the client as they are: refuse.
    if (BAD_HEAD.test(text)) {
      this.fail('protocol');
      return false;
    }
    // Parsed with indexOf/charCodeAt, not split + regex per line: this runs once per forwarded response.
    // Status line: exactly "HTTP/1.0" or "HTTP/1.1", SP, three digits, then nothing or SP and a reason.
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const minor = text.charCodeAt(7);
    const d0 = text.charCodeAt(9) - 48;
    const d1 = text.charCodeAt(10) - 48;
    const d2 = text.charCodeAt(11) - 48;
    if (
      eol < 12 ||
      !text.startsWith('HTTP/1.') ||
      (minor !== 48 && minor !== 49) ||
      text.charCodeAt(8) !== 32 ||
      !(d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) ||
      (eol > 12 && text.charCodeAt(12) !== 32)
    ) {
      this.fail('protocol');
      return false;
    }
    const status = d0 * 100 + d1 * 10 + d2;
    const http10 = minor === 48;
    const reason = eol > 13 ? text.slice(13, eol) : '';
    let contentLength: number | undefined;
    let chunked = false;
    let connection = '';
    const headers: string[] = [];
    for (let at = eol + 2; at < text.length; ) {
      let end = text.indexOf('\r\n', at);
      if (end < 0) end = text.length;
      const colon = text.indexOf(':', at);
      if (colon > at && colon < end) {
        const name = trimmed(text, at, colon);
        const value = trimmed(text, colon + 1, end);
        // Only names starting with c, k, p, t or u can be hop-by-hop or Content-Length: lower-case just those.
        const c = name.charCodeAt(0) | 0x20;
        if (c === 0x63 || c === 0x6b || c === 0x70 || c === 0x74 || c === 0x75) {
          const lower = name.toLowerCase();
          if (lower === 'content-length') {
            const n = digits(value);
            if (n < 0 || (contentLength !== undefined && contentLength !== n)) {
              this.fail('protocol');
              return false;
            }
            contentLength = n;
          } else if (lower === 'transfer-encoding') chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
          else if (lower === 'connection') connection += `,${value.toLowerCase()}`;
          if (HOP.has(lower)) {
            at = end + 2;
            continue;
          }
        }
        headers.push(name, value);
      }
      at = end + 2;
    }
    // Interim responses (100 Continue, 103 Early Hints): wait for the real one.
    if (status >= 100 && status < 200) {
      if (status === 101) {
        this.fail('protocol');
        return false;
      }
      return true;
    }
    // Headers named in Connection are this hop's too.
    if (connection) {
      const named = new Set(connection.split(',').map((s) => s.trim()).filter(Boolean));
      if (named.has('close')) this.keepAlive = false;
      if (http10 && !named.has('keep-alive')) this.keepAlive = false;
      named.delete('close');
      named.delete('keep-alive');
      if (named.size) for (let i = headers.length - 2; i >= 0; i -= 2) if (named.has(headers[i]!.toLowerCase())) headers.splice(i, 2);
    } else if (http10) this.keepAlive = false;
    const noBody = this.noBody || status === 204 || status === 304;
    const h = this.h!;
    if (noBody) {
      // Bytes after a response without a body: the connection is out of step.
      if (more) this.keepAlive = false;
      h.head({ status, reason, headers, noBody: true });
      this.state = 'done';
      this.complete(undefined);
      return false;
    }
    if (chunked) {
      // Relayed de-chunked; the client side frames it again.
      this.state = 'chunk-size';
      for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i]!.toLowerCase() === 'content-length') headers.splice(i, 2);
      h.head({ status, reason, headers });
    } else if (contentLength !== undefined) {
      h.head({ status, reason, headers, contentLength });
      if (contentLength === 0) {
        if (more) this.keepAlive = false;
        this.state = 'done';
        this.complete(undefined);
        return false;
      }
      this.state = 'fixed';
      this.remaining = contentLength;
    } else {
      // Delimited by the connection closing.
      this.keepAlive = false;
      this.state = 'eof';
      h.head({ status, reason, headers });
    }
    return true;
  }

  private deliver(piece: Buffer): void {
    if (piece.length && !this.h!.data(piece)) this.socket.pause();
  }

  /** The response is complete; `last` is its final piece of body, if any. */
  private complete(last: Buffer | undefined): void {
    const h = this.h!;
    this.timeoutMs = 0;
    this.state = 'done';
    this.release();
    h.end(last?.length ? last : undefined);
  }

  /** Back to the pool once both directions are done; closed if not reusable. */
  private release(): void {
    if (!this.requestDone || !this.h) return;
    this.h = undefined;
    this.socket.resume();
    if (this.keepAlive && !this.socket.destroyed) this.pool.putIdle(this);
    else this.socket.destroy();
  }

  private onEnd(): void {
    if (this.h && this.state === 'eof') {
      const h = this.h;
      this.h = undefined;
      this.timeoutMs = 0;
      h.end();
      this.socket.end();
      return;
    }
    if (this.h) this.fail('reset');
    else this.socket.end();
  }

  private onClose(): void {
    this.pool.dropIdle(this);
    if (this.h) this.fail('reset');
  }

  fail(code: Parameters<ExchangeHandlers['error']>[0]): void {
    const h = this.h;
    this.h = undefined;
    this.socket.destroy();
    if (!h) return;
    h.error(this.connecting ? (code === 'reset' ? 'connect' : code) : code, this.state === 'head');
  }

  /** An exchange is using this connection (not idle in the pool). */
  busy(): boolean {
    return this.h !== undefined;
  }

  stale(): boolean {
    return this.reused && !this.gotBytes && this.state === 'head';
  }

  abort(): void {
    this.h = undefined;
    this.socket.destroy();
  }

  pauseResponse(): void {
    this.socket.pause();
  }
  resumeResponse(): void {
    this.socket.resume();
  }
}

/**
 * One request: the caller's Exchange and the Conn's handlers in one object
 * with prototype methods, where closures per request (six for the Exchange,
 * one for the retry) used to be allocated.
 */
class PooledExchange implements Exchange, ExchangeHandlers {
  conn: Conn;
  private readonly pool: UpstreamPool;
  private readonly ip: string;
  private readonly port: number;
  private readonly headText: string;
  private readonly opts: { hasBody: boolean; chunked: boolean; noResponseBody: boolean };
  private readonly h: ExchangeHandlers;
  private retried = false;
  private drainFns: (() => void)[] | undefined;

  constructor(pool: UpstreamPool, ip: string, port: number, head: string, opts: { hasBody: boolean; chunked: boolean; noResponseBody: boolean }, h: ExchangeHandlers) {
    this.pool = pool;
    this.ip = ip;
    this.port = port;
    this.headText = head;
    this.opts = opts;
    this.h = h;
    this.conn = pool.take(ip, port) ?? pool.open(ip, port);
  }

  head(r: ResponseHead): void {
    this.h.head(r);
  }
  data(chunk: Buffer): boolean {
    return this.h.data(chunk);
  }
  end(last?: Buffer): void {
    this.h.end(last);
  }
  error(code: Parameters<ExchangeHandlers['error']>[0], beforeHead: boolean): void {
    if (code === 'reset' && !this.retried && !this.opts.hasBody && this.conn.stale()) {
      this.retried = true;
      this.conn = this.pool.open(this.ip, this.port);
      this.conn.begin(this.headText, false, false, this.opts.noResponseBody, this);
      return;
    }
    this.h.error(code, beforeHead);
  }

  write(c: Buffer): boolean {
    return this.conn.write(c);
  }
  finish(): void {
    this.conn.finish();
  }
  pause(): void {
    this.conn.pauseResponse();
  }
  resume(): void {
    this.conn.resumeResponse();
  }
  abort(): void {
    this.conn.abort();
  }
  onDrain(fn: () => void): void {
    (this.drainFns ??= []).push(fn);
    this.conn.socket.once('drain', () => this.drainFns!.splice(0).forEach((f) => f()));
  }
}

export interface UpstreamPoolOptions {
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** Idle connections kept per endpoint. */
  maxIdlePerEndpoint?: number;
  /** How long an idle connection is kept (ms); pods' servers often close at 5 s, node's default. */
  idleTimeoutMs?: number;
}

export class UpstreamPool {
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  private readonly maxIdle: number;
  private readonly idleTimeoutMs: number;
  /** Idle connections by endpoint IP, then port (two lookups on strings and numbers the caller already has, no key string built per request). */
  private readonly idle = new Map<string, Map<number, Conn[]>>();
  /** Every open connection, busy or idle: what the sweep looks at and destroy() closes. */
  private readonly live = new Set<Conn>();
  /** How often the sweep runs: a quarter of the shortest timeout, at most 1 s. */
  private readonly tickMs: number;
  private ticker: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(o: UpstreamPoolOptions) {
    this.connectTimeoutMs = o.connectTimeoutMs;
    this.readTimeoutMs = o.readTimeoutMs;
    this.maxIdle = o.maxIdlePerEndpoint ?? 64;
    this.idleTimeoutMs = o.idleTimeoutMs ?? 4_000;
    this.tickMs = Math.max(5, Math.min(1_000, Math.floor(Math.min(this.connectTimeoutMs, this.readTimeoutMs, this.idleTimeoutMs) / 4)));
  }

  /**
   * Expires connections whose timeout has passed. Exchange timeouts fire up
   * to one tick late (60 s read → 60–61 s); the idle timeout fires up to one
   * tick early instead, so a connection is still closed before a pod's own
   * keep-alive timeout (often 5 s) can close it under a request.
   */
  private tick(): void {
    const now = Date.now();
    for (const c of this.live) {
      if (c.timeoutMs && now - c.activeAt >= (c.busy() ? c.timeoutMs : c.timeoutMs - this.tickMs)) c.expire();
    }
  }

  /**
   * Sends a request whose head is `head` (request line + headers + blank
   * line, framing headers included) to ip:port. `hasBody`: the caller will
   * `write` a body and then `finish`; `chunked`: frame it as chunks.
   * `noResponseBody`: a HEAD request (the response has no body whatever it
   * says). A request without a body that fails on a reused connection before
   * any response byte is sent again once on a new connection.
   */
  request(ip: string, port: number, head: string, opts: { hasBody: boolean; chunked: boolean; noResponseBody: boolean }, h: ExchangeHandlers): Exchange {
    const x = new PooledExchange(this, ip, port, head, opts, h);
    x.conn.begin(head, opts.hasBody, opts.chunked, opts.noResponseBody, x);
    return x;
  }

  take(ip: string, port: number): Conn | undefined {
    const list = this.idle.get(ip)?.get(port);
    // Most recently used first: it is the least likely to have been closed by the pod.
    let c = list?.pop();
    while (c && (c.socket.destroyed || !c.socket.writable)) c = list?.pop();
    if (c) c.timeoutMs = 0;
    return c;
  }

  open(ip: string, port: number): Conn {
    const socket = net.connect({ host: ip, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 });
    const c = new Conn(this, ip, port, socket, true);
    this.live.add(c);
    // Unref'd: an idle pool does not keep the process alive; stopped when the last connection closes.
    this.ticker ??= setInterval(() => this.tick(), this.tickMs).unref();
    socket.once('close', () => {
      this.live.delete(c);
      if (!this.live.size && this.ticker) {
        clearInterval(this.ticker);
        this.ticker = undefined;
      }
    });
    if (this.closed) socket.destroy();
    return c;
  }

  putIdle(c: Conn): void {
    c.reused = true;
    let byPort = this.idle.get(c.ip);
    if (!byPort) this.idle.set(c.ip, (byPort = new Map()));
    let list = byPort.get(c.port);
    if (!list) byPort.set(c.port, (list = []));
    if (this.closed || list.length >= this.maxIdle) {
      c.socket.destroy();
      return;
    }
    c.arm(this.idleTimeoutMs);
    list.push(c);
  }

  dropIdle(c: Conn): void {
    const byPort = this.idle.get(c.ip);
    const list = byPort?.get(c.port);
    if (!byPort || !list) return;
    const i = list.indexOf(c);
    if (i >= 0) list.splice(i, 1);
    if (list.length) return;
    byPort.delete(c.port);
    if (!byPort.size) this.idle.delete(c.ip);
  }

  destroy(): void {
    this.closed = true;
    for (const c of this.live) c.socket.destroy();
    this.idle.clear();
  }
}
