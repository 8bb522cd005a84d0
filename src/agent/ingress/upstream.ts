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

type State = 'head' | 'fixed' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'eof' | 'done';

/** One request/response on one pooled connection. */
class Conn {
  readonly socket: net.Socket;
  readonly key: string;
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

  constructor(pool: UpstreamPool, key: string, socket: net.Socket, connecting: boolean) {
    this.pool = pool;
    this.key = key;
    this.socket = socket;
    this.connecting = connecting;
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => this.fail('reset'));
    socket.on('close', () => this.onClose());
    socket.on('timeout', () => this.onTimeout());
    if (connecting)
      socket.once('connect', () => {
        this.connecting = false;
        // Connected: from now on the read timeout applies.
        if (this.h) socket.setTimeout(this.pool.readTimeoutMs);
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
    this.socket.setTimeout(this.connecting ? this.pool.connectTimeoutMs : this.pool.readTimeoutMs);
    this.socket.write(head, 'latin1');
  }

  write(chunk: Buffer): boolean {
    if (!chunk.length) return true;
    if (this.chunkedRequest) this.socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    const ok = this.socket.write(chunk);
    return this.chunkedRequest ? this.socket.write('\r\n', 'latin1') && ok : ok;
  }

  finish(): void {
    if (this.chunkedRequest) this.socket.write('0\r\n\r\n', 'latin1');
    this.requestDone = true;
    if (this.state === 'done') this.release();
  }

  private onTimeout(): void {
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
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!m) {
      this.fail('protocol');
      return false;
    }
    const status = Number(m[2]);
    const http10 = m[1] === '0';
    let contentLength: number | undefined;
    let chunked = false;
    let connection = '';
    const headers: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        const n = Number(value);
        if (!/^\d+$/.test(value) || (contentLength !== undefined && contentLength !== n)) {
          this.fail('protocol');
          return false;
        }
        contentLength = n;
      } else if (lower === 'transfer-encoding') chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
      else if (lower === 'connection') connection += `,${value.toLowerCase()}`;
      if (HOP.has(lower)) continue;
      headers.push(name, value);
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
      h.head({ status, reason: m[3] ?? '', headers, noBody: true });
      this.state = 'done';
      this.complete(undefined);
      return false;
    }
    if (chunked) {
      // Relayed de-chunked; the client side frames it again.
      this.state = 'chunk-size';
      for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i]!.toLowerCase() === 'content-length') headers.splice(i, 2);
      h.head({ status, reason: m[3] ?? '', headers });
    } else if (contentLength !== undefined) {
      h.head({ status, reason: m[3] ?? '', headers, contentLength });
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
      h.head({ status, reason: m[3] ?? '', headers });
    }
    return true;
  }

  private deliver(piece: Buffer): void {
    if (piece.length && !this.h!.data(piece)) this.socket.pause();
  }

  /** The response is complete; `last` is its final piece of body, if any. */
  private complete(last: Buffer | undefined): void {
    const h = this.h!;
    this.socket.setTimeout(0);
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
      this.socket.setTimeout(0);
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
  private readonly idle = new Map<string, Conn[]>();
  private readonly all = new Set<net.Socket>();
  private closed = false;

  constructor(o: UpstreamPoolOptions) {
    this.connectTimeoutMs = o.connectTimeoutMs;
    this.readTimeoutMs = o.readTimeoutMs;
    this.maxIdle = o.maxIdlePerEndpoint ?? 64;
    this.idleTimeoutMs = o.idleTimeoutMs ?? 4_000;
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
    const key = `${ip}:${port}`;
    let conn = this.take(key) ?? this.open(key, ip, port);
    let retried = false;
    const drainFns: (() => void)[] = [];
    const handlers: ExchangeHandlers = {
      head: h.head,
      data: h.data,
      end: h.end,
      error: (code, beforeHead) => {
        if (code === 'reset' && !retried && !opts.hasBody && conn.stale()) {
          retried = true;
          conn = this.open(key, ip, port);
          conn.begin(head, false, false, opts.noResponseBody, handlers);
          return;
        }
        h.error(code, beforeHead);
      },
    };
    conn.begin(head, opts.hasBody, opts.chunked, opts.noResponseBody, handlers);
    return {
      write: (c) => conn.write(c),
      finish: () => conn.finish(),
      pause: () => conn.pauseResponse(),
      resume: () => conn.resumeResponse(),
      abort: () => conn.abort(),
      onDrain: (fn) => {
        drainFns.push(fn);
        conn.socket.once('drain', () => drainFns.splice(0).forEach((f) => f()));
      },
    };
  }

  private take(key: string): Conn | undefined {
    const list = this.idle.get(key);
    // Most recently used first: it is the least likely to have been closed by the pod.
    let c = list?.pop();
    while (c && (c.socket.destroyed || !c.socket.writable)) c = list?.pop();
    if (c) c.socket.setTimeout(0);
    return c;
  }

  private open(key: string, ip: string, port: number): Conn {
    const socket = net.connect({ host: ip, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 });
    this.all.add(socket);
    socket.once('close', () => this.all.delete(socket));
    if (this.closed) socket.destroy();
    return new Conn(this, key, socket, true);
  }

  putIdle(c: Conn): void {
    c.reused = true;
    let list = this.idle.get(c.key);
    if (!list) this.idle.set(c.key, (list = []));
    if (this.closed || list.length >= this.maxIdle) {
      c.socket.destroy();
      return;
    }
    c.socket.setTimeout(this.idleTimeoutMs);
    list.push(c);
  }

  dropIdle(c: Conn): void {
    const list = this.idle.get(c.key);
    if (!list) return;
    const i = list.indexOf(c);
    if (i >= 0) list.splice(i, 1);
    if (!list.length) this.idle.delete(c.key);
  }

  destroy(): void {
    this.closed = true;
    for (const s of this.all) s.destroy();
    this.idle.clear();
  }
}
