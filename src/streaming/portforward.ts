/**
 * Port-forward over SPDY (`portforward.k8s.io`): each forwarded connection
 * is a pair of client-opened streams, `streamtype=error` and
 * `streamtype=data`, sharing `port` and `requestid`. The same session
 * shape serves kubectl (plain SPDY, or SPDY tunnelled in the WebSocket
 * `SPDY/3.1+portforward.k8s.io`) and dials the runtime's streaming server.
 */
import type { Duplex, Readable } from 'node:stream';
import { logger } from '../util/log.ts';
import { StreamError } from './errors.ts';
import { SpdySession, type SpdyStream } from './spdy.ts';
import { dialUpgrade, type DialOptions } from './upgrade.ts';

const log = logger('portforward');

export const PORTFORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORTFORWARD_WS_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

/** A connection to a pod port: bytes in `data`, a failure message (if any) on `error`. */
export interface ForwardedConnection {
  data: Duplex;
  error: Readable;
}

export type PortConnector = (port: number) => Promise<ForwardedConnection>;

/**
 * Serves port-forward requests arriving on `session` (we are the SPDY
 * server): replies to each stream and, once a request's pair is complete,
 * connects to the pod port and pipes bytes both ways.
 */
export function servePortForward(session: SpdySession, connect: PortConnector): void {
  const pending = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
  session.on('stream', (s) => {
    s.on('error', () => {});
    const type = s.headers['streamtype'];
    const id = s.headers['requestid'] ?? '';
    const port = Number(s.headers['port']);
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
      s.destroy();
      return;
    }
    s.reply({});
    const pair = pending.get(id) ?? {};
    pair[type] = s;
    pending.set(id, pair);
    if (!pair.error || !pair.data) return;
    pending.delete(id);
    void forward(port, pair.error, pair.data, connect);
  });
}

async function forward(port: number, errorStream: SpdyStream, data: SpdyStream, connect: PortConnector): Promise<void> {
  // The client never writes on the error stream; drain its FIN.
  errorStream.resume();
  let conn: ForwardedConnection;
  try {
    conn = await connect(port);
  } catch (e) {
    const msg = `error forwarding port ${port} to pod: ${(e as Error).message}`;
    log.debug('port-forward failed', { port, err: e });
    errorStream.end(msg);
    data.end();
    return;
  }
  conn.error.on('data', (b: Buffer) => errorStream.write(b));
  conn.error.on('end', () => errorStream.end());
  conn.error.on('error', () => errorStream.end());
  conn.data.on('error', () => data.destroy());
  data.pipe(conn.data);
  conn.data.pipe(data);
}

/** A SPDY port-forward session to a runtime's streaming URL. */
export class RuntimePortForward {
  private readonly session: SpdySession;
  private nextRequest = 0;

  private constructor(session: SpdySession) {
    this.session = session;
  }

  static async dial(url: string, extra: Partial<DialOptions> = {}): Promise<RuntimePortForward> {
    const up = await dialUpgrade({ ...extra, url: new URL(url), method: 'POST', headers: { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': PORTFORWARD_PROTOCOL } });
    if (String(up.headers['x-stream-protocol-version'] ?? '') !== PORTFORWARD_PROTOCOL) {
      up.socket.destroy();
      throw new StreamError('SpdyHandshake', `runtime did not agree to ${PORTFORWARD_PROTOCOL}`);
    }
    const session = new SpdySession(up.socket, 'client', up.head);
    session.on('error', () => {});
    return new RuntimePortForward(session);
  }

  get closed(): boolean {
    return this.session.isClosed;
  }

  async connect(port: number): Promise<ForwardedConnection> {
    const requestid = String(this.nextRequest++);
    const headers = { port: String(port), requestid };
    const error = this.session.openStream({ ...headers, streamtype: 'error' });
    error.on('error', () => {});
    error.end();
    const data = this.session.openStream({ ...headers, streamtype: 'data' });
    data.on('error', () => {});
    await Promise.all([error.replied, data.replied]);
    return { data, error };
  }

  close(): void {
    this.session.close();
  }
}
