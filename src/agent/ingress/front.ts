/**
 * The client side of the ingress proxy's hot path: plain HTTP/1.1 requests
 * without a body (GET, HEAD, …: nearly all ingress traffic) are parsed and
 * answered straight on the socket; anything else — a body, an upgrade,
 * Expect, HTTP/1.0, absolute-form targets, obs-fold, bare LF, oversized
 * heads, anything this parser is not sure about — hands the connection,
 * with the bytes read so far put back (`socket.unshift`), to a node:http
 * server for the rest of its life. node:http stays the reference
 * implementation; this only skips its per-request objects (IncomingMessage,
 * ServerResponse, header objects, events), which cost more CPU than the
 * forwarding itself once upstream.ts replaced the client side.
 *
 * One request at a time per connection: pipelined requests wait in the
 * buffer until the response before them is complete, so a hand-over never
 * happens with a response in flight.
 */
import type http from 'node:http';
import type net from 'node:net';

const CRLF2 = Buffer.from('\r\n\r\n');
/** node:http's default maxHeaderSize; beyond it node:http answers 431. */
const MAX_HEAD = 16 * 1024;
/** As node:http's headersTimeout: a request head must be complete within this. */
const HEAD_TIMEOUT_MS = 60_000;
/** Bodies up to this size are copied behind the head for a single write; bigger ones go as two buffers (corked). */
const ONE_WRITE_MAX = 16 * 1024;

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\/[^\x00-\x20\x7f]*) HTTP\/1\.1$/;
/** name ":" value with no control characters but HTAB (CR and LF are the line ends already split on). */
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):([^\x00-\x08\x0a-\x1f\x7f]*)$/;

export interface FrontRequest {
  method: string;
  url: string;
  /** Flat [name, value, …] as received (values without surrounding whitespace). */
  rawHeaders: string[];
  host: string | undefined;
  /** Earlier X-Forwarded-For values, joined. */
  xff: string | undefined;
  /** Header names listed in Connection (beyond keep-alive/close). */
  named: Set<string> | undefined;
  /** The client asked to close after this response. */
  close: boolean;
}

/** Trims optional whitespace (SP, HTAB) only, as HTTP does; String.trim would also eat NBSP and friends. */
function ows(v: string): string {
  let a = 0;
  let b = v.length;
  while (a < b && (v.charCodeAt(a) === 32 || v.charCodeAt(a) === 9)) a++;
  while (b > a && (v.charCodeAt(b - 1) === 32 || v.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === v.length ? v : v.slice(a, b);
}

/** A request head this path serves, or undefined for node:http to handle. */
export function parseHead(text: string): FrontRequest | undefined {
  const lines = text.split('\r\n');
  const m = REQUEST_LINE.exec(lines[0]!);
  if (!m) return undefined;
  const r: FrontRequest = { method: m[1]!, url: m[2]!, rawHeaders: [], host: undefined, xff: undefined, named: undefined, close: false };
  for (let i = 1; i < lines.length; i++) {
    const h = HEADER_LINE.exec(lines[i]!);
    if (!h) return undefined;
    const name = h[1]!;
    const value = ows(h[2]!);
    r.rawHeaders.push(name, value);
    const c = name.charCodeAt(0) | 0x20;
    // Only names starting with c, e, h, t, u, x matter here.
    if (c !== 0x63 && c !== 0x65 && c !== 0x68 && c !== 0x74 && c !== 0x75 && c !== 0x78) continue;
    const lower = name.toLowerCase();
    if (lower === 'host') {
      if (r.host !== undefined) return undefined; // two Hosts: node:http's answer (400)
      r.host = value;
    } else if (lower === 'x-forwarded-for') r.xff = r.xff === undefined ? value : `${r.xff}, ${value}`;
    else if (lower === 'content-length') {
      if (value !== '0') return undefined;
    } else if (lower === 'transfer-encoding' || lower === 'upgrade' || lower === 'expect') return undefined;
    else if (lower === 'connection') {
      for (const t of value.split(',')) {
        const n = ows(t).toLowerCase();
        if (n === 'close') r.close = true;
        else if (n === 'upgrade') return undefined;
        else if (n && n !== 'keep-alive') (r.named ??= new Set()).add(n);
      }
    }
  }
  return r;
}

export interface FrontOptions {
  /** Serves one request; must end with exactly one `end()`/`plain()`/`destroy()` on the connection. */
  serve(c: FrontConn, r: FrontRequest): void;
  /** Where connections go that this path does not handle (never listening itself). */
  fallback: http.Server;
  /** Idle keep-alive connections are closed after this (node:http's keepAliveTimeout is 5 s). */
  keepAliveTimeoutMs: number;
}

/**
 * Idle keep-alive connections are closed by one sweep per second over all
 * of them, not by socket.setTimeout: a socket timeout is re-queued on every
 * read and write (two timer-list moves and a libuv clock read per request),
 * while a sweep costs a field store per request. Idle closing happens
 * between keepAliveTimeoutMs and one second later.
 */
const SWEEP_MS = 1_000;
const live = new Set<FrontConn>();
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  for (const c of live) c.expireIfIdle(now);
}

export class FrontConn {
  readonly socket: net.Socket;
  private readonly o: FrontOptions;
  private buf: Buffer | undefined;
  private headSince = 0;
  private busy = false;
  private closeAfter = false;
  private chunked = false;
  private noBody = false;
  private pendingHead: string | undefined;
  /** Last read or completed response (Date.now()); see `sweep`. */
  private activeAt = Date.now();
  /** Whatever the serve function keeps per connection (proxy.ts: its reused response handlers). */
  state: unknown = undefined;
  /** Aborts the current exchange if the client goes away. */
  onAbort: (() => void) | undefined;
  private readonly onData = (d: Buffer) => this.received(d);
  /** The client half-closed (servers listen with allowHalfOpen, as node:http does): answer what is in flight, then close. */
  private readonly onEnd = () => {
    if (this.busy) this.closeAfter = true;
    else this.socket.end();
  };
  private readonly onClose = () => {
    this.unwatch();
    const abort = this.onAbort;
    this.onAbort = undefined;
    abort?.();
  };

  constructor(socket: net.Socket, o: FrontOptions) {
    this.socket = socket;
    this.o = o;
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', noop);
    live.add(this);
    // Unref'd: open client connections alone do not keep the process alive (as a socket timeout does not).
    sweeper ??= setInterval(sweep, SWEEP_MS).unref();
  }

  /** Idle between requests (or a head that never completes) for too long: close. A slow answer is the upstream timeout's business. */
  expireIfIdle(now: number): void {
    if (!this.busy && now - this.activeAt >= this.o.keepAliveTimeoutMs) {
      this.unwatch();
      this.socket.destroy();
    }
  }

  private unwatch(): void {
    if (!live.delete(this) || live.size || !sweeper) return;
    clearInterval(sweeper);
    sweeper = undefined;
  }

  private received(d: Buffer): void {
    this.activeAt = Date.now();
    if (this.buf) this.buf = Buffer.concat([this.buf, d]);
    else {
      this.buf = d;
      this.headSince = 0;
    }
    // Pipelined bytes wait for the response in flight; stop reading if they pile up.
    if (this.busy) {
      if (this.buf.length > MAX_HEAD) this.socket.pause();
      return;
    }
    this.next();
  }

  /** Serves buffered requests until one is incomplete, in flight, or not ours. */
  private next(): void {
    while (!this.busy && this.buf) {
      const buf = this.buf;
      const end = buf.indexOf(CRLF2);
      if (end < 0) {
        if (buf.length > MAX_HEAD) return this.handOver();
        const now = Date.now();
        if (!this.headSince) this.headSince = now;
        else if (now - this.headSince > HEAD_TIMEOUT_MS) return void this.socket.destroy();
        return;
      }
      const r = parseHead(buf.toString('latin1', 0, end));
      if (!r) return this.handOver();
      this.buf = end + 4 < buf.length ? buf.subarray(end + 4) : undefined;
      this.headSince = 0;
      this.busy = true;
      this.closeAfter = r.close;
      this.o.serve(this, r);
    }
  }

  /** node:http takes the connection from here on, bytes not yet parsed included. */
  private handOver(): void {
    const s = this.socket;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onClose);
    s.off('error', noop);
    this.unwatch();
    if (this.buf) s.unshift(this.buf);
    this.buf = undefined;
    this.o.fallback.emit('connection', s);
    s.resume();
  }

  /**
   * The response head (`headers` flat, hop-by-hop already removed). Without
   * `contentLength` (and with a body) the body is sent chunked. A head for a
   * sized body waits to go out with its first piece of body (one write).
   */
  head(status: number, reason: string, headers: string[], contentLength: number | undefined, noBody: boolean): void {
    let head = `HTTP/1.1 ${status} ${reason}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    this.noBody = noBody;
    this.chunked = !noBody && contentLength === undefined;
    if (this.chunked) head += 'transfer-encoding: chunked\r\n';
    if (this.closeAfter) head += 'connection: close\r\n';
    head += '\r\n';
    if (this.chunked) this.socket.write(head, 'latin1'); // streaming: the head goes out now
    else this.pendingHead = head;
  }

  /** A piece of body; false when the client is slow (wait for `onDrain`). */
  write(chunk: Buffer): boolean {
    const s = this.socket;
    if (this.noBody || !chunk.length) return true;
    s.cork();
    if (this.pendingHead !== undefined) {
      s.write(this.pendingHead, 'latin1');
      this.pendingHead = undefined;
    }
    if (this.chunked) s.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    let ok = s.write(chunk);
    if (this.chunked) ok = s.write('\r\n', 'latin1');
    s.uncork();
    return ok;
  }

  onDrain(fn: () => void): void {
    this.socket.once('drain', fn);
  }

  /** The response is complete. */
  end(last?: Buffer): void {
    const s = this.socket;
    const head = this.pendingHead;
    if (head !== undefined && !this.chunked) {
      // The usual small sized response: head and body in one buffer, one write (no cork/writev bookkeeping).
      this.pendingHead = undefined;
      if (!last?.length || this.noBody) s.write(head, 'latin1');
      else if (last.length > ONE_WRITE_MAX) {
        s.cork();
        s.write(head, 'latin1');
        s.write(last);
        s.uncork();
      } else {
        const out = Buffer.allocUnsafe(head.length + last.length);
        out.write(head, 0, 'latin1');
        last.copy(out, head.length);
        s.write(out);
      }
      return this.done();
    }
    s.cork();
    if (this.pendingHead !== undefined) s.write(this.pendingHead, 'latin1');
    this.pendingHead = undefined;
    if (last?.length && !this.noBody) {
      if (this.chunked) s.write(`${last.length.toString(16)}\r\n`, 'latin1');
      s.write(last);
      if (this.chunked) s.write('\r\n', 'latin1');
    }
    if (this.chunked) s.write('0\r\n\r\n', 'latin1');
    s.uncork();
    this.done();
  }

  /** A short text answer of the proxy's own (404, 502, …). */
  plain(status: number, text: string): void {
    const body = `${status} ${text}\n`;
    this.socket.write(`HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n${this.closeAfter ? 'connection: close\r\n' : ''}\r\n${body}`, 'latin1');
    this.done();
  }

  /** The response cannot be completed (the pod failed mid-body): the client sees the connection close. */
  destroy(): void {
    this.onAbort = undefined;
    this.socket.destroy();
  }

  private done(): void {
    this.activeAt = Date.now();
    this.onAbort = undefined;
    this.busy = false;
    this.chunked = false;
    this.noBody = false;
    if (this.closeAfter) {
      this.socket.end();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    // Pipelined requests already read: serve the next now (not recursively from inside the upstream's callback stack).
    if (this.buf) queueMicrotask(() => this.next());
  }
}

function noop(): void {}
