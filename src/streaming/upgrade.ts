/**
 * HTTP/1.1 upgrades, both sides: answering a client's WebSocket or SPDY
 * upgrade with a 101, and dialling a server with one (the API server to an
 * agent, an agent to the runtime's streaming server).
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { StreamError } from './errors.ts';
import { acceptKey, newClientKey, WebSocket } from './websocket.ts';

export type UpgradeKind = 'websocket' | 'spdy' | 'none';

export function upgradeKind(headers: IncomingHttpHeaders): UpgradeKind {
  const u = String(headers.upgrade ?? '').toLowerCase();
  if (u === 'websocket') return 'websocket';
  if (u.startsWith('spdy/3.1')) return 'spdy';
  return 'none';
}

/** Values of a comma-separated header, in order. */
export function headerList(v: string | string[] | undefined): string[] {
  const all = Array.isArray(v) ? v.join(',') : (v ?? '');
  return all.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The first protocol the client offered that we support (client order wins, as upstream's negotiation). */
export function chooseProtocol(offered: string[], supported: readonly string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

/** Answers a WebSocket upgrade with 101 and the chosen subprotocol. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): WebSocket {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string') throw new StreamError('WsHandshake', 'missing Sec-WebSocket-Key');
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n` +
      (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
      '\r\n',
  );
  return new WebSocket(socket, 'server', protocol, head);
}

/** Answers a SPDY/3.1 upgrade with 101 and the chosen X-Stream-Protocol-Version (if any). */
export function acceptSpdyUpgrade(socket: Duplex, protocol: string): void {
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
      (protocol ? `X-Stream-Protocol-Version: ${protocol}\r\n` : '') +
      '\r\n',
  );
}

/** Writes a plain HTTP error reply on an upgrade socket and closes it. */
export function rejectUpgrade(socket: Duplex, code: number, body: string, contentType = 'application/json'): void {
  if (socket.destroyed) return;
  socket.end(
    `HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? 'Error'}\r\n` +
      `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n` +
      body,
  );
}

export interface DialOptions {
  url: URL;
  method?: string;
  headers?: Record<string, string>;
  /** TLS client material (for https: URLs). */
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean; servername?: string };
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Opens the transport instead of a TCP connection to the URL's host and
   * port; for a runtime whose streaming server is reachable only another
   * way (e.g. inside a network namespace).
   */
  connect?: (host: string, port: number) => Duplex;
}

export interface Upgraded {
  socket: Duplex;
  head: Buffer;
  headers: IncomingHttpHeaders;
}

/** A non-101 answer to an upgrade: status code and body, for relaying to the original client. */
export class UpgradeRefused extends StreamError {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
  constructor(status: number, body: string, contentType: string) {
    super('WsHandshake', `upgrade refused with ${status}: ${body.slice(0, 300)}`);
    this.status = status;
    this.body = body;
    this.contentType = contentType;
  }
}

/** Sends an upgrade request and resolves with the raw socket after 101. */
export function dialUpgrade(o: DialOptions): Promise<Upgraded> {
  return new Promise((resolve, reject) => {
    const mod = o.url.protocol === 'https:' || o.url.protocol === 'wss:' ? https : http;
    const req = mod.request({
      method: o.method ?? 'GET',
      hostname: o.url.hostname.replace(/^\[|\]$/g, ''),
      port: o.url.port || (mod === https ? 443 : 80),
      path: o.url.pathname + o.url.search,
      headers: { Connection: 'Upgrade', ...o.headers },
      // Node uses createConnection only when no agent is given; otherwise a one-off agent (no pooling of upgraded sockets).
      ...(o.connect ? { createConnection: () => o.connect!(o.url.hostname, Number(o.url.port || 80)) as never } : { agent: false }),
      ...(mod === https ? { ...o.tls, ALPNProtocols: ['http/1.1'] } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const timer = setTimeout(() => req.destroy(new StreamError('Closed', `no answer from ${o.url.host} within ${o.timeoutMs ?? 10_000} ms`)), o.timeoutMs ?? 10_000);
    req.on('upgrade', (res, socket, head) => {
      clearTimeout(timer);
      resolve({ socket, head, headers: res.headers });
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(new UpgradeRefused(res.statusCode ?? 0, Buffer.concat(chunks).toString(), String(res.headers['content-type'] ?? 'text/plain'))));
      res.on('error', reject);
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}

/** Dials a WebSocket offering `protocols`; the server must pick one of them. */
export async function dialWebSocket(o: DialOptions & { protocols: string[] }): Promise<WebSocket> {
  const key = newClientKey();
  const up = await dialUpgrade({
    ...o,
    headers: { ...o.headers, Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Protocol': o.protocols.join(', ') },
  });
  if (up.headers['sec-websocket-accept'] !== acceptKey(key)) {
    up.socket.destroy();
    throw new StreamError('WsHandshake', 'bad Sec-WebSocket-Accept from server');
  }
  const protocol = String(up.headers['sec-websocket-protocol'] ?? '');
  if (o.protocols.length > 0 && !o.protocols.includes(protocol)) {
    up.socket.destroy();
    throw new StreamError('WsHandshake', `server chose subprotocol "${protocol}", offered ${o.protocols.join(', ')}`);
  }
  return new WebSocket(up.socket, 'client', protocol, up.head);
}
