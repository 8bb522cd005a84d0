/**
 * The API server's listener: one TLS socket per client, dispatched by ALPN
 * to an HTTP/2 or HTTP/1.1 server (kubectl speaks h2; WebSocket upgrades
 * for exec arrive over HTTP/1.1). The client certificate is verified by the
 * TLS layer against the client CA and read once per connection.
 */
import http2 from 'node:http2';
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { logger } from '../util/log.ts';
import { userFromSocket } from './auth.ts';
import type { Handler } from './handler.ts';
import type { HttpRequest, HttpResponse, UserInfo } from './http.ts';

const log = logger('apiserver');

// Importing node:http as an ES module builds a namespace that touches its
// lazy WebSocket export, which loads Node's bundled undici (~13 MB RSS).
// The CommonJS exports give us the same functions without that cost.
const http = process.getBuiltinModule('node:http');
const userKey = Symbol('bramble.user');

export interface ListenOptions {
  host: string;
  port: number;
  cert: string;
  key: string;
  clientCA: string;
}

export interface RunningServer {
  address: AddressInfo;
  close(): Promise<void>;
}

/** HTTP/1.1 upgrade requests (exec, attach, port-forward), with the connection's verified user. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo | undefined) => void;

export async function listen(opts: ListenOptions, handler: Handler, upgrade?: UpgradeHandler): Promise<RunningServer> {
  const serve = (req: HttpRequest & { socket?: unknown }, res: HttpResponse) => {
    const user = (req.socket as Record<symbol, UserInfo> | undefined)?.[userKey];
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    void handler(req, res, user, abort.signal);
  };
  const h1 = http.createServer({ keepAliveTimeout: 30_000 }, serve as unknown as RequestListener);
  h1.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const user = (req.socket as unknown as Record<symbol, UserInfo> | undefined)?.[userKey];
    if (upgrade) upgrade(req, socket, head, user);
    else socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: 1000 } }, serve as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    {
      cert: opts.cert,
      key: opts.key,
      ca: opts.clientCA,
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2', 'http/1.1'],
      minVersion: 'TLSv1.2',
    },
    (socket) => {
      (socket as unknown as Record<symbol, UserInfo>)[userKey] = userFromSocket(socket);
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      if (socket.alpnProtocol === 'h2') h2.emit('connection', socket);
      else h1.emit('connection', socket);
    },
  );
  server.on('tlsClientError', (err) => log.debug('TLS handshake failed', { err }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        h1.closeAllConnections();
        for (const s of sockets) s.destroy();
      }),
  };
}
