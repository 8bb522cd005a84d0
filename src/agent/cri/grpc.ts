/**
 * A small gRPC client over node:http2 to a unix socket (containerd) or a
 * TCP address (`http://` h2c, or `https://` with a CA and a client
 * certificate: etcd): unary, server-streaming and bidirectional calls,
 * per-call deadlines, status trailers turned into coded `GrpcError`s.
 * Enough for the CRI and etcd without @grpc/grpc-js and its footprint.
 *
 * One HTTP/2 session is shared by all calls (streams multiplex on it). It
 * is opened on first use and re-opened after the peer goes away, so a
 * containerd restart costs the calls in flight (UNAVAILABLE) and nothing
 * after. The idle session does not keep the process alive; a call in
 * flight does, through its deadline timer.
 */
import type * as Http2 from 'node:http2';
import * as net from 'node:net';
import { logger, type Logger } from '../../util/log.ts';
import { FrameError, FrameReader, frameMessage } from './grpc-frames.ts';
import { GrpcError, codeForHttpStatus, codeForRstStream, codeOf, decodeGrpcMessage, type GrpcCode } from './grpc-status.ts';

// Taken from the builtin loader rather than imported: an ES namespace of a
// builtin evaluates all of its lazy getters.
const http2 = process.getBuiltinModule('node:http2') as typeof Http2;

export interface GrpcClientOptions {
  /** The server's unix socket (one of `socketPath` and `url`). */
  socketPath?: string;
  /** Or the server's address: `http://host:port` (h2c) or `https://host:port` (TLS). */
  url?: string;
  /** For `https://`: trusted CA, and the client certificate and key (PEM). */
  tls?: { caPem: string; certPem?: string; keyPem?: string };
  /** Deadline of calls that do not give their own; default 2 minutes. */
  defaultTimeoutMs?: number;
  /**
   * While calls are in flight, ping the server this often and drop the
   * connection (calls fail UNAVAILABLE) when a ping is not answered within
   * the same time: a peer that vanished without closing TCP (host down,
   * partition) would otherwise hold a long-lived stream for ever. Default 0: off.
   */
  keepaliveMs?: number;
  /** Largest message accepted from the server; default 16 MiB (containerd's own limit). */
  maxMessageBytes?: number;
  log?: Logger;
}

export interface CallOptions {
  /** Milliseconds until DEADLINE_EXCEEDED; also sent as `grpc-timeout` so the server gives up too. */
  timeoutMs?: number;
  /** Aborting fails the call with CANCELLED and resets its stream. */
  signal?: AbortSignal;
}

/** A bidirectional call in progress: the request side stays open until `end()`. */
export interface BidiStream extends AsyncIterable<Uint8Array> {
  /** Sends one encoded message (ignored once the call has ended). */
  send(message: Uint8Array): void;
  /** Half-closes the request side; the server may still answer. */
  end(): void;
  /** Ends the call (the iterator then finishes without error). */
  cancel(): void;
}

/** A server-streaming call in progress. */
export interface ServerStream extends AsyncIterable<Uint8Array> {
  /** Ends the call (the iterator then finishes without error). */
  cancel(): void;
}

export class GrpcClient {
  private readonly socketPath: string | undefined;
  private readonly url: string | undefined;
  private readonly tls: GrpcClientOptions['tls'];
  /** For messages: the socket path or URL. */
  private readonly target: string;
  private readonly defaultTimeoutMs: number;
  private readonly maxMessageBytes: number;
  private readonly keepaliveMs: number;
  private readonly log: Logger;
  private session: Http2.ClientHttp2Session | undefined;
  /** Calls in flight per session: the session keeps the process alive only while it has some. */
  private readonly inFlight = new Map<Http2.ClientHttp2Session, number>();
  private closed = false;

  constructor(opts: GrpcClientOptions) {
    if ((opts.socketPath === undefined) === (opts.url === undefined)) throw new Error('GrpcClient needs exactly one of socketPath and url');
    this.socketPath = opts.socketPath;
    this.url = opts.url;
    this.tls = opts.tls;
    this.target = opts.socketPath ?? opts.url!;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 120_000;
    this.maxMessageBytes = opts.maxMessageBytes ?? 16 << 20;
    this.keepaliveMs = opts.keepaliveMs ?? 0;
    this.log = opts.log ?? logger('grpc');
  }

  /**
   * Calls a unary method (`/package.Service/Method`) with an encoded
   * request; resolves with the encoded response or rejects with a GrpcError.
   */
  unary(method: string, request: Uint8Array, opts: CallOptions = {}): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const messages: Uint8Array[] = [];
      this.start(method, request, opts, {
        onMessage: (m) => void messages.push(m),
        onEnd: (err) => {
          if (err) return reject(err);
          if (messages.length !== 1) return reject(new GrpcError('INTERNAL', `expected one response message, got ${messages.length}`, method));
          resolve(messages[0]);
        },
      });
    });
  }

  /**
   * Calls a server-streaming method. Messages are buffered until read;
   * the iterator throws the call's GrpcError if it fails.
   */
  serverStream(method: string, request: Uint8Array, opts: CallOptions = {}): ServerStream {
    const s = this.stream(method, request, opts);
    return { cancel: () => s.cancel(), [Symbol.asyncIterator]: () => s[Symbol.asyncIterator]() };
  }

  /**
   * Calls a bidirectional-streaming method: `send()` messages while reading
   * the responses; the request side stays open until `end()` or `cancel()`.
   * No deadline unless the caller sets one.
   */
  bidiStream(method: string, opts: CallOptions = {}): BidiStream {
    return this.stream(method, null, opts);
  }

  private stream(method: string, request: Uint8Array | null, opts: CallOptions): BidiStream {
    const queue: Uint8Array[] = [];
    let done = false;
    let failure: GrpcError | undefined;
    let wake: (() => void) | undefined;
    const controller = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, controller.signal]) : controller.signal;
    // Streams are long-lived (events): no deadline unless the caller sets one.
    const writer = this.start(method, request, { timeoutMs: opts.timeoutMs ?? 0, signal }, {
      onMessage: (m) => {
        queue.push(m);
        wake?.();
      },
      onEnd: (err) => {
        done = true;
        if (err && !(err.code === 'CANCELLED' && controller.signal.aborted)) failure = err;
        wake?.();
      },
    });
    return {
      send: (m: Uint8Array) => writer?.send(m),
      end: () => writer?.end(),
      cancel: () => controller.abort(),
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            if (queue.length) yield queue.shift()!;
            else if (done) break;
            else await new Promise<void>((r) => (wake = r));
          }
          if (failure) throw failure;
        } finally {
          controller.abort();
        }
      },
    };
  }

  /** Closes the connection; calls in flight fail with UNAVAILABLE or CANCELLED. */
  close(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    if (!s || s.closed || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      s.ref(); // an unref'd session would let the process exit before it has closed
      // Streams still open would hold close() for ever, and a session that failed while
      // connecting (a TLS alert) may never report closing: reset it and stop waiting.
      const timer = setTimeout(() => {
        s.destroy();
        resolve();
      }, 1000);
      s.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private connection(): Http2.ClientHttp2Session {
    const cur = this.session;
    if (cur && !cur.closed && !cur.destroyed) return cur;
    // gRPC servers announce small windows and raise them; start generous for image lists.
    const settings = { initialWindowSize: 1 << 20 };
    const socketPath = this.socketPath;
    const s =
      socketPath !== undefined
        ? http2.connect('http://localhost', { createConnection: () => net.connect(socketPath), settings })
        : http2.connect(this.url!, { settings, ...(this.tls ? { ca: this.tls.caPem, cert: this.tls.certPem, key: this.tls.keyPem } : {}) });
    s.unref();
    const forget = () => {
      if (this.session === s) this.session = undefined;
    };
    s.on('error', (err) => {
      this.log.debug('connection error', { target: this.target, err });
      forget();
    });
    s.on('goaway', forget);
    s.on('close', forget);
    if (this.keepaliveMs > 0) this.keepalive(s);
    this.session = s;
    return s;
  }

  private keepalive(s: Http2.ClientHttp2Session): void {
    const ms = this.keepaliveMs;
    let waiting: NodeJS.Timeout | undefined;
    const tick = setInterval(() => {
      if (s.destroyed) return;
      if (waiting || s.connecting || !this.inFlight.get(s)) return;
      const dead = () => {
        this.log.debug('keepalive ping not answered; dropping the connection', { target: this.target });
        s.destroy(new Error(`no answer to a keepalive ping within ${ms} ms`));
      };
      waiting = setTimeout(dead, ms);
      try {
        s.ping((err) => {
          clearTimeout(waiting);
          waiting = undefined;
          if (err && !s.destroyed) dead();
        });
      } catch {
        clearTimeout(waiting);
        waiting = undefined;
      }
    }, ms);
    tick.unref();
    s.once('close', () => {
      clearInterval(tick);
      clearTimeout(waiting);
    });
  }

  private hold(s: Http2.ClientHttp2Session): void {
    const n = this.inFlight.get(s) ?? 0;
    this.inFlight.set(s, n + 1);
    if (n === 0) s.ref();
  }

  private release(s: Http2.ClientHttp2Session): void {
    const n = (this.inFlight.get(s) ?? 1) - 1;
    if (n > 0) return void this.inFlight.set(s, n);
    this.inFlight.delete(s);
    if (!s.destroyed) s.unref();
  }

  /** Starts a call; with `request` null the request side stays open and the returned writer feeds it. */
  private start(
    method: string,
    request: Uint8Array | null,
    opts: CallOptions,
    sink: { onMessage(m: Uint8Array): void; onEnd(err?: GrpcError): void },
  ): { send(m: Uint8Array): void; end(): void } | undefined {
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    let stream: Http2.ClientHttp2Stream | undefined;
    let session: Http2.ClientHttp2Session | undefined;
    const finish = (err?: GrpcError) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      if (session) this.release(session);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err && stream && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      sink.onEnd(err);
    };
    const fail = (code: GrpcCode, message: string, cause?: unknown) => finish(new GrpcError(code, message, method, { cause }));
    const onAbort = () => fail('CANCELLED', 'call cancelled by the caller');

    if (this.closed) return void fail('UNAVAILABLE', 'client is closed');
    if (opts.signal?.aborted) return void onAbort();
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const headers: Http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': method,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'bramble-grpc/0.1',
    };
    if (timeoutMs > 0) {
      headers['grpc-timeout'] = grpcTimeout(timeoutMs);
      timer = setTimeout(() => fail('DEADLINE_EXCEEDED', `deadline of ${timeoutMs} ms exceeded`), timeoutMs);
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    try {
      session = this.connection();
      this.hold(session);
      stream = session.request(headers);
    } catch (e) {
      return void fail('UNAVAILABLE', `cannot open a stream to ${this.target}: ${(e as Error).message}`, e);
    }
    const reader = new FrameReader(this.maxMessageBytes);
    let status: number | undefined;
    let statusMessage = '';
    const takeStatus = (h: Http2.IncomingHttpHeaders) => {
      const s = h['grpc-status'];
      if (s === undefined) return;
      status = Number(s);
      statusMessage = decodeGrpcMessage(h['grpc-message']);
    };
    stream.on('response', (h) => {
      takeStatus(h); // a trailers-only response carries its status here
      if (status !== undefined) return;
      // Not a gRPC response at all (a proxy, a wrong socket): what gRPC clients report for it.
      const http = Number(h[':status']);
      if (http !== 200) return fail(codeForHttpStatus(http), `HTTP status ${http} without grpc-status`);
      const type = String(h['content-type'] ?? '');
      if (!type.startsWith('application/grpc')) fail('UNKNOWN', `unexpected content-type ${JSON.stringify(type)}`);
    });
    stream.on('trailers', takeStatus);
    stream.on('data', (chunk: Buffer) => {
      if (finished) return;
      try {
        for (const m of reader.push(chunk)) sink.onMessage(m);
      } catch (e) {
        const fe = e as FrameError;
        fail(fe.code === 'TOO_LARGE' ? 'RESOURCE_EXHAUSTED' : 'INTERNAL', fe.message, e);
      }
    });
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // Socket missing or refused, peer gone, session torn down: the call may not have reached the server.
      fail('UNAVAILABLE', `connection to ${this.target} failed: ${err.message}`, err);
    });
    stream.on('close', () => {
      if (finished) return;
      if (status !== undefined) {
        if (status !== 0) return fail(codeOf(status), statusMessage);
        if (reader.pending) return fail('INTERNAL', 'response ended inside a message');
        return finish();
      }
      if (stream!.rstCode) return fail(codeForRstStream(stream!.rstCode), `stream reset by the server (code ${stream!.rstCode})`);
      fail('UNAVAILABLE', 'stream ended without grpc-status');
    });
    if (request !== null) {
      stream.end(frameMessage(request));
      return undefined;
    }
    const st = stream;
    return {
      send: (m) => {
        if (!finished && st.writable) st.write(frameMessage(m));
      },
      end: () => {
        if (!finished && st.writable) st.end();
      },
    };
  }
}

/** gRPC's `grpc-timeout` header: at most eight digits and a unit. */
export function grpcTimeout(ms: number): string {
  const n = Math.ceil(ms);
  if (n < 1e8) return `${n}m`;
  const s = Math.ceil(n / 1000);
  return s < 1e8 ? `${s}S` : `${Math.min(Math.ceil(s / 3600), 99_999_999)}H`;
}
