/**
 * A SPDY/3.1 session over any byte stream (a TCP/TLS socket after a 101,
 * or the byte stream carried inside a WebSocket): what kubectl's
 * `Upgrade: SPDY/3.1` speaks for exec/attach/port-forward, and what the
 * runtime's (containerd's) streaming server speaks to the agent.
 *
 * Frames (8-byte headers): SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS,
 * PING, GOAWAY, HEADERS, WINDOW_UPDATE and DATA. Header blocks use one
 * zlib stream per direction primed with the SPDY/3 dictionary and
 * sync-flushed per block. Both roles: clients open odd stream ids, servers
 * even. Flow-control windows are not enforced in either direction (the Go
 * peers, spdystream, do not enforce them either); we still acknowledge
 * received data with WINDOW_UPDATE so a peer that does enforce keeps going.
 *
 * zlib in Node is asynchronous, so every outgoing frame goes through one
 * ordered queue (a DATA frame never overtakes its SYN_STREAM) and incoming
 * frames are handled one at a time.
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { logger } from '../util/log.ts';
import { StreamError } from './errors.ts';
import { SPDY3_DICTIONARY } from './spdy-dictionary.ts';

const log = logger('spdy');

const VERSION = 3;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
/** Received bytes acknowledged by one WINDOW_UPDATE: half of SPDY/3.1's initial 64 KiB stream window. */
const WINDOW_BATCH = 32 * 1024;
const SETTINGS = 4;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const WINDOW_UPDATE = 9;
const FLAG_FIN = 0x01;
/** RST_STREAM status: the stream is no longer needed. */
const RST_CANCEL = 5;
const RST_INVALID_STREAM = 2;
const MAX_DATA_FRAME = 32 * 1024;

export type SpdyHeaders = Record<string, string>;
export type SpdyRole = 'server' | 'client';

/** Runs zlib over one block, sync-flushed, on a long-lived (de)compressor. */
function zlibBlock(z: zlib.Deflate | zlib.Inflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    const onError = (e: Error) => {
      z.off('data', onData);
      reject(new StreamError('SpdyProtocol', `header block: ${e.message}`, { cause: e }));
    };
    z.on('data', onData);
    z.once('error', onError);
    z.write(input);
    z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      z.off('data', onData);
      z.off('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

function encodeHeaderBlock(h: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  const entries = Object.entries(h);
  count.writeUInt32BE(entries.length, 0);
  parts.push(count);
  for (const [k, v] of entries) {
    for (const s of [k.toLowerCase(), v]) {
      const b = Buffer.from(s);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length, 0);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}

function decodeHeaderBlock(b: Buffer): SpdyHeaders {
  const out: SpdyHeaders = {};
  if (b.length < 4) throw new StreamError('SpdyProtocol', 'short header block');
  const n = b.readUInt32BE(0);
  let off = 4;
  const str = () => {
    if (off + 4 > b.length) throw new StreamError('SpdyProtocol', 'truncated header block');
    const len = b.readUInt32BE(off);
    off += 4;
    if (off + len > b.length) throw new StreamError('SpdyProtocol', 'truncated header block');
    const s = b.subarray(off, off + len).toString();
    off += len;
    return s;
  };
  for (let i = 0; i < n; i++) {
    const k = str();
    // Several values of one name are joined with NUL; callers want the first.
    out[k.toLowerCase()] = str().split('\0')[0]!;
  }
  return out;
}

function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE((((flags & 0xff) << 24) | body.length) >>> 0, 4);
  return Buffer.concat([h, body]);
}

function dataFrame(id: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id & 0x7fffffff, 0);
  h.writeUInt32BE((((flags & 0xff) << 24) | data.length) >>> 0, 4);
  return Buffer.concat([h, data]);
}

export interface SpdySessionEvents {
  stream: [stream: SpdyStream];
  close: [];
  error: [err: Error];
}

export class SpdySession extends EventEmitter<SpdySessionEvents> {
  readonly role: SpdyRole;
  private readonly transport: Duplex;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  private readonly inflate = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private nextId: number;
  private buf: Buffer = Buffer.alloc(0);
  private pumping = false;
  private pumped: Promise<void> = Promise.resolve();
  private outq: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(transport: Duplex, role: SpdyRole, head?: Buffer) {
    super();
    this.transport = transport;
    this.role = role;
    this.nextId = role === 'client' ? 1 : 2;
    transport.on('data', (c: Buffer) => this.onData(c));
    transport.on('error', (e) => this.emit('error', e));
    // Frames already received are parsed before the streams end: the peer often sends its last
    // data (an exec's exit Status) and closes at once, while an earlier header block is still
    // being inflated.
    transport.on('close', () => void this.drained().then(() => this.shutdown()));
    transport.on('end', () => void this.drained().then(() => this.shutdown()));
    if (head && head.length > 0) queueMicrotask(() => this.onData(head));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens a stream (SYN_STREAM); `stream.replied` resolves with the peer's SYN_REPLY headers. */
  openStream(headers: SpdyHeaders, opts: { fin?: boolean } = {}): SpdyStream {
    if (this.closed) throw new StreamError('Closed', 'SPDY session is closed');
    const id = this.nextId;
    this.nextId += 2;
    const stream = new SpdyStream(this, id, headers, true);
    this.streams.set(id, stream);
    this.enqueue(async () => {
      const block = await zlibBlock(this.deflate, encodeHeaderBlock(headers));
      const body = Buffer.alloc(10);
      body.writeUInt32BE(id, 0);
      body.writeUInt32BE(0, 4);
      body.writeUInt16BE(0, 8);
      return controlFrame(SYN_STREAM, opts.fin ? FLAG_FIN : 0, Buffer.concat([body, block]));
    });
    if (opts.fin) stream.end();
    return stream;
  }

  /** Ends the session: GOAWAY, then the transport. */
  close(): void {
    if (this.closed) return;
    const body = Buffer.alloc(8);
    body.writeUInt32BE(0, 0);
    body.writeUInt32BE(0, 4);
    this.enqueue(() => controlFrame(GOAWAY, 0, body));
    void this.outq.then(() => this.transport.end());
    this.shutdown();
  }

  destroy(): void {
    this.transport.destroy();
    this.shutdown();
  }

  /** @internal */
  sendReply(id: number, headers: SpdyHeaders): void {
    this.enqueue(async () => {
      const block = await zlibBlock(this.deflate, encodeHeaderBlock(headers));
      const body = Buffer.alloc(4);
      body.writeUInt32BE(id, 0);
      return controlFrame(SYN_REPLY, 0, Buffer.concat([body, block]));
    });
  }

  /** @internal Resolves once the frame(s) are handed to the transport. */
  sendData(id: number, data: Buffer, fin: boolean): Promise<void> {
    let p: Promise<void> = Promise.resolve();
    if (data.length === 0) return this.enqueue(() => dataFrame(id, fin ? FLAG_FIN : 0, data));
    for (let off = 0; off < data.length; off += MAX_DATA_FRAME) {
      const last = off + MAX_DATA_FRAME >= data.length;
      const chunk = data.subarray(off, off + MAX_DATA_FRAME);
      p = this.enqueue(() => dataFrame(id, last && fin ? FLAG_FIN : 0, chunk));
    }
    return p;
  }

  /** @internal */
  sendReset(id: number, status = RST_CANCEL): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(id, 0);
    body.writeUInt32BE(status, 4);
    this.enqueue(() => controlFrame(RST_STREAM, 0, body));
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }

  private enqueue(make: () => Buffer | Promise<Buffer>): Promise<void> {
    const next = this.outq.then(async () => {
      if (this.transport.destroyed) return;
      const frame = await make();
      if (this.transport.destroyed || !this.transport.writable) return;
      if (!this.transport.write(frame)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            this.transport.off('drain', done);
            this.transport.off('close', done);
            resolve();
          };
          this.transport.once('drain', done);
          this.transport.once('close', done);
        });
      }
    });
    this.outq = next.catch((e) => {
      log.debug('SPDY write failed', { err: e });
      this.destroy();
    });
    return this.outq;
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (!this.pumping) this.pumped = this.pump();
  }

  /** Resolves once every complete frame received so far has been handled. */
  private async drained(): Promise<void> {
    while (this.pumping) await this.pumped;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.buf.length >= 8) {
        const len = this.buf.readUInt32BE(4) & 0xffffff;
        if (this.buf.length < 8 + len) break;
        const frame = this.buf.subarray(0, 8 + len);
        this.buf = this.buf.subarray(8 + len);
        await this.onFrame(frame);
      }
    } catch (e) {
      this.emit('error', e as Error);
      this.destroy();
    } finally {
      this.pumping = false;
    }
  }

  private async onFrame(f: Buffer): Promise<void> {
    const flags = f[4]!;
    const body = f.subarray(8);
    if ((f[0]! & 0x80) === 0) {
      const id = f.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      if (!s) {
        if (body.length > 0) this.sendReset(id, RST_INVALID_STREAM);
        return;
      }
      if (body.length > 0) {
        s.pushRemote(Buffer.from(body));
        // Window updates in batches of half the initial 64 KiB window (as HTTP/2 stacks do), not
        // per frame: a peer that closes with our updates still unread resets the connection
        // (RST instead of FIN), and the kernel then drops what it had not yet sent — such as an
        // exec's exit Status written just before the close.
        s.unacked += body.length;
        if (s.unacked >= WINDOW_BATCH) {
          this.windowUpdate(id, s.unacked);
          s.unacked = 0;
        }
      }
      if (flags & FLAG_FIN) s.remoteEnd();
      return;
    }
    const version = f.readUInt16BE(0) & 0x7fff;
    if (version !== VERSION) throw new StreamError('SpdyProtocol', `unsupported SPDY version ${version}`);
    const type = f.readUInt16BE(2);
    switch (type) {
      case SYN_STREAM: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await zlibBlock(this.inflate, body.subarray(10)));
        const s = new SpdyStream(this, id, headers, false);
        this.streams.set(id, s);
        if (flags & FLAG_FIN) s.remoteEnd();
        this.emit('stream', s);
        return;
      }
      case SYN_REPLY:
      case HEADERS: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await zlibBlock(this.inflate, body.subarray(4)));
        const s = this.streams.get(id);
        if (s && type === SYN_REPLY) s.gotReply(headers);
        if (s && flags & FLAG_FIN) s.remoteEnd();
        return;
      }
      case RST_STREAM: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        this.streams.get(id)?.gotReset(body.readUInt32BE(4));
        return;
      }
      case PING: {
        const id = body.readUInt32BE(0);
        // Echo the peer's pings; ours come back with our own parity.
        if ((id % 2 === 1) !== (this.role === 'client')) this.enqueue(() => controlFrame(PING, 0, Buffer.from(body)));
        return;
      }
      case GOAWAY:
        this.shutdown();
        this.transport.end();
        return;
      case SETTINGS:
      case WINDOW_UPDATE:
        return;
      default:
        return; // unknown control frames are ignored, as the spec asks
    }
  }

  private windowUpdate(id: number, n: number): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(id, 0);
    body.writeUInt32BE(n, 4);
    this.enqueue(() => controlFrame(WINDOW_UPDATE, 0, body));
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    // Data already received stays readable: the peer may close the connection right after its last frames.
    const left = [...this.streams.values()];
    this.streams.clear();
    for (const s of left) s.remoteEnd();
    // Streams are released later, not at once: a consumer may attach to a stream's remaining
    // data only after a few more awaits (destroying would discard it).
    setTimeout(() => {
      for (const s of left) s.destroy();
    }, 5_000).unref();
    this.deflate.close();
    this.inflate.close();
    this.emit('close');
  }
}

/**
 * One SPDY stream as a Node Duplex: writes become DATA frames, `end()`
 * sends FIN, the peer's DATA arrives as readable data and its FIN as EOF.
 */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: SpdyHeaders;
  /** For streams we opened: the peer's SYN_REPLY headers. */
  readonly replied: Promise<SpdyHeaders>;
  private readonly session: SpdySession;
  private readonly local: boolean;
  private resolveReply!: (h: SpdyHeaders) => void;
  private rejectReply!: (e: Error) => void;
  private remoteDone = false;
  private localDone = false;

  constructor(session: SpdySession, id: number, headers: SpdyHeaders, local: boolean) {
    super({ allowHalfOpen: true });
    this.session = session;
    this.id = id;
    this.headers = headers;
    this.local = local;
    this.replied = new Promise((resolve, reject) => {
      this.resolveReply = resolve;
      this.rejectReply = reject;
    });
    this.replied.catch(() => {});
  }

  /** Accepts a stream the peer opened (SYN_REPLY). */
  reply(headers: SpdyHeaders = {}): void {
    if (!this.local) this.session.sendReply(this.id, headers);
  }

  /** Bytes received and not yet acknowledged by a WINDOW_UPDATE (the session batches them). */
  unacked = 0;

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false).then(() => cb(), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.localDone = true;
    this.session.sendData(this.id, Buffer.alloc(0), true).then(() => {
      this.maybeForget();
      cb();
    }, cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!(this.localDone && this.remoteDone) && !this.session.isClosed) this.session.sendReset(this.id);
    this.rejectReply(err ?? new StreamError('Closed', `stream ${this.id} closed before a reply`));
    this.session.forget(this.id);
    cb(err);
  }

  /** @internal */
  pushRemote(data: Buffer): void {
    if (!this.remoteDone) this.push(data);
  }

  /** @internal */
  remoteEnd(): void {
    if (this.remoteDone) return;
    this.remoteDone = true;
    this.push(null);
    this.maybeForget();
  }

  /** @internal */
  gotReply(h: SpdyHeaders): void {
    this.resolveReply(h);
  }

  /** @internal */
  gotReset(status: number): void {
    this.remoteDone = true;
    this.localDone = true;
    // Destroyed without an error event: a reset is an ordinary way for a peer to drop a stream.
    this.rejectReply(new StreamError('StreamReset', `stream ${this.id} reset by peer (status ${status})`));
    this.push(null);
    // Data the peer sent before its reset stays readable: a runtime may write an exec's exit
    // Status and reset the stream at once, before our reader has attached. Destroyed once read
    // (or with the session, which releases its streams a few seconds after it closes).
    if (this.readableLength === 0) this.destroy();
    else this.once('end', () => this.destroy());
  }

  private maybeForget(): void {
    if (this.localDone && this.remoteDone) this.session.forget(this.id);
  }
}
