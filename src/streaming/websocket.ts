/**
 * RFC 6455 WebSocket on an already-upgraded byte stream (a node:http
 * upgrade socket, a TLS socket after a 101): framing, client masking,
 * fragmented messages, ping/pong and the close handshake.
 *
 * Both roles: the agent and API server accept connections (server role);
 * the API server dials the agent and the agent dials runtimes (client role).
 * Pings are answered here, always: kubectl pings every 5 s and gives up
 * after ~61 s without a pong.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { StreamError } from './errors.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Largest message we assemble; exec/port-forward traffic comes in far smaller frames. */
const MAX_MESSAGE = 64 * 1024 * 1024;

const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

export type WsRole = 'server' | 'client';

/** The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export function newClientKey(): string {
  return randomBytes(16).toString('base64');
}

export interface WebSocketEvents {
  message: [data: Buffer, binary: boolean];
  close: [code: number, reason: string];
  error: [err: Error];
  pong: [data: Buffer];
}

export class WebSocket extends EventEmitter<WebSocketEvents> {
  readonly socket: Duplex;
  readonly role: WsRole;
  /** The subprotocol agreed in the handshake. */
  readonly protocol: string;
  private buf: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOp = 0;
  private fragmentBytes = 0;
  private closeSent = false;
  private closed = false;

  constructor(socket: Duplex, role: WsRole, protocol: string, head?: Buffer) {
    super();
    this.socket = socket;
    this.role = role;
    this.protocol = protocol;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.emit('error', err));
    socket.on('close', () => this.finish(1006, 'connection closed'));
    socket.on('end', () => this.finish(1006, 'connection ended'));
    if (head && head.length > 0) queueMicrotask(() => this.onData(head));
  }

  get isOpen(): boolean {
    return !this.closed && !this.closeSent;
  }

  send(data: Buffer | Uint8Array | string, binary = typeof data !== 'string'): boolean {
    if (!this.isOpen) return false;
    return this.writeFrame(binary ? OP_BINARY : OP_TEXT, typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  ping(data: Buffer = Buffer.alloc(0)): void {
    if (this.isOpen) this.writeFrame(OP_PING, data);
  }

  /** Starts the close handshake; the socket ends when the peer answers (or at once if it already closed). */
  close(code = 1000, reason = ''): void {
    if (this.closeSent || this.closed) return;
    this.closeSent = true;
    const body = Buffer.alloc(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2);
    this.writeFrame(OP_CLOSE, body);
    // A peer that never answers the close must not hold the socket for ever.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  /** Tears the connection down without a handshake. */
  destroy(): void {
    this.socket.destroy();
  }

  /** Backpressure: resolves when the socket has drained. */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  private writeFrame(op: number, payload: Buffer): boolean {
    const mask = this.role === 'client';
    const len = payload.length;
    const extra = len < 126 ? 0 : len < 65536 ? 2 : 8;
    const header = Buffer.alloc(2 + extra + (mask ? 4 : 0));
    header[0] = 0x80 | op;
    header[1] = (mask ? 0x80 : 0) | (len < 126 ? len : len < 65536 ? 126 : 127);
    if (extra === 2) header.writeUInt16BE(len, 2);
    else if (extra === 8) header.writeBigUInt64BE(BigInt(len), 2);
    let body = payload;
    if (mask) {
      const key = randomBytes(4);
      key.copy(header, 2 + extra);
      body = Buffer.allocUnsafe(len);
      for (let i = 0; i < len; i++) body[i] = payload[i]! ^ key[i & 3]!;
    }
    if (this.socket.destroyed || !this.socket.writable) return false;
    this.socket.write(header);
    return this.socket.write(body);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    try {
      while (this.parseFrame());
    } catch (e) {
      this.emit('error', e as Error);
      this.close(1002, (e as Error).message.slice(0, 100));
      this.socket.destroy();
    }
  }

  /** Consumes one complete frame from the buffer; false when more bytes are needed. */
  private parseFrame(): boolean {
    const b = this.buf;
    if (b.length < 2) return false;
    const fin = (b[0]! & 0x80) !== 0;
    const op = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0;
    let len = b[1]! & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return false;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return false;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(MAX_MESSAGE)) throw new StreamError('WsProtocol', `frame of ${big} bytes is too large`);
      len = Number(big);
      off = 10;
    }
    if (masked !== (this.role === 'server')) throw new StreamError('WsProtocol', masked ? 'server sent a masked frame' : 'client sent an unmasked frame');
    const keyOff = off;
    if (masked) off += 4;
    if (b.length < off + len) return false;
    let payload = b.subarray(off, off + len);
    if (masked) {
      const copy = Buffer.allocUnsafe(len);
      for (let i = 0; i < len; i++) copy[i] = payload[i]! ^ b[keyOff + (i & 3)]!;
      payload = copy;
    } else payload = Buffer.from(payload);
    this.buf = b.subarray(off + len);
    this.onFrame(fin, op, payload);
    return true;
  }

  private onFrame(fin: boolean, op: number, payload: Buffer): void {
    switch (op) {
      case OP_PING:
        if (!this.closeSent) this.writeFrame(OP_PONG, payload);
        return;
      case OP_PONG:
        this.emit('pong', payload);
        return;
      case OP_CLOSE: {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        const reason = payload.subarray(2).toString();
        if (!this.closeSent) {
          this.closeSent = true;
          const echo = Buffer.alloc(2);
          echo.writeUInt16BE(code === 1005 ? 1000 : code, 0);
          this.writeFrame(OP_CLOSE, echo);
        }
        this.finish(code, reason);
        this.socket.end();
        return;
      }
      case OP_TEXT:
      case OP_BINARY:
        if (this.fragments.length > 0) throw new StreamError('WsProtocol', 'new message inside a fragmented one');
        if (fin) {
          if (!this.closed) this.emit('message', payload, op === OP_BINARY);
          return;
        }
        this.fragmentOp = op;
        this.fragments = [payload];
        this.fragmentBytes = payload.length;
        return;
      case OP_CONT: {
        if (this.fragments.length === 0) throw new StreamError('WsProtocol', 'continuation frame without a message');
        this.fragments.push(payload);
        this.fragmentBytes += payload.length;
        if (this.fragmentBytes > MAX_MESSAGE) throw new StreamError('WsProtocol', 'message too large');
        if (!fin) return;
        const whole = Buffer.concat(this.fragments);
        this.fragments = [];
        if (!this.closed) this.emit('message', whole, this.fragmentOp === OP_BINARY);
        return;
      }
      default:
        throw new StreamError('WsProtocol', `unknown opcode ${op}`);
    }
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', code, reason);
  }
}
