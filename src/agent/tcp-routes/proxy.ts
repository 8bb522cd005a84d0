/**
 * The TCP side of the built-in ingress: one listener per routed port on the
 * node's address, each accepted connection spliced to a ready endpoint of
 * the route's Service (pod IP:targetPort, not the ClusterIP, so the choice
 * of pod is ours: client-IP affinity by rendezvous hashing, routes.ts).
 *
 * Device connections live for hours, so:
 * - no idle timeout unless asked (`idleTimeoutMs`), TCP keep-alive on both
 *   sockets so dead peers (a device that lost power, a node gone) are found;
 * - half-close is passed through (allowHalfOpen): a client that shuts its
 *   sending side still gets the rest of the answer;
 * - bytes move by pipe(), so a slow reader slows the writer (backpressure)
 *   instead of buffering in the agent;
 * - when a route's endpoint leaves the ready set, connections to it are
 *   closed at once so devices reconnect to a live pod instead of talking to
 *   one that is terminating (or gone, where only keep-alive would notice);
 * - `update()` opens and closes listeners for routes that come and go and
 *   leaves every other route's listener and connections alone.
 */
import net from 'node:net';
import { logger } from '../../util/log.ts';
import { endpointKey, rank, type Endpoint, type TcpRoute } from './routes.ts';

const log = logger('tcp-routes');

export interface TcpProxyOptions {
  /** The address to listen on (the node's InternalIP). */
  host: string;
  /** Give up connecting to an endpoint after this long (ms); the next one is tried. */
  connectTimeoutMs?: number;
  /** Close a connection idle this long (ms); 0 (default) = never. */
  idleTimeoutMs?: number;
  /** Delay of the first keep-alive probe (ms). */
  keepAliveMs?: number;
  /** How many endpoints a connection tries before giving up. */
  attempts?: number;
  /** A listener that could not open is retried after this long (ms). */
  retryListenMs?: number;
}

interface Conn {
  client: net.Socket;
  upstream?: net.Socket;
  endpoint?: string;
}

interface Listener {
  port: number;
  route: TcpRoute;
  server?: net.Server;
  conns: Set<Conn>;
  /** Open, or waiting to retry after a failed listen. */
  retry?: NodeJS.Timeout;
}

export class TcpRouteProxy {
  private readonly o: Required<TcpProxyOptions>;
  private readonly listeners = new Map<number, Listener>();
  private closed = false;

  constructor(o: TcpProxyOptions) {
    this.o = { connectTimeoutMs: 5_000, idleTimeoutMs: 0, keepAliveMs: 30_000, attempts: 3, retryListenMs: 10_000, ...o };
  }

  /** Ports with an open listener. */
  listening(): number[] {
    return [...this.listeners.values()].filter((l) => l.server?.listening).map((l) => l.port);
  }

  /** Open connections per port (tests, metrics). */
  connections(port: number): number {
    return this.listeners.get(port)?.conns.size ?? 0;
  }

  /**
   * Applies a new route table: listeners for new ports, none for ports gone
   * (their connections closed), and for every kept port the new endpoints;
   * connections to an endpoint no longer ready are closed. Resolves once
   * new listeners are open (or have failed and will be retried).
   */
  async update(routes: ReadonlyMap<number, TcpRoute>): Promise<void> {
    if (this.closed) return;
    for (const [port, l] of this.listeners) {
      if (!routes.has(port)) {
        log.info('TCP route removed; closing its listener', { port, service: `${l.route.namespace}/${l.route.service}` });
        this.drop(l);
      }
    }
    const opening: Promise<void>[] = [];
    for (const [port, route] of routes) {
      const l = this.listeners.get(port);
      if (!l) {
        const fresh: Listener = { port, route, conns: new Set() };
        this.listeners.set(port, fresh);
        opening.push(this.open(fresh));
        continue;
      }
      l.route = route;
      const ready = new Set(route.endpoints.map(endpointKey));
      for (const c of l.conns) {
        if (c.endpoint && !ready.has(c.endpoint)) {
          log.info('endpoint left the ready set; closing its connection', { port, endpoint: c.endpoint, client: c.client.remoteAddress });
          c.client.destroy();
          c.upstream?.destroy();
        }
      }
    }
    await Promise.all(opening);
  }

  async close(): Promise<void> {
    this.closed = true;
    const waits = [...this.listeners.values()].map((l) => this.drop(l));
    await Promise.all(waits);
  }

  private drop(l: Listener): Promise<void> {
    this.listeners.delete(l.port);
    if (l.retry) clearTimeout(l.retry);
    const server = l.server;
    for (const c of l.conns) {
      c.client.destroy();
      c.upstream?.destroy();
    }
    l.conns.clear();
    if (!server?.listening) return Promise.resolve();
    return new Promise((r) => server.close(() => r()));
  }

  private async open(l: Listener): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.accept(l, s));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.o.host, port: l.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      if (this.listeners.get(l.port) !== l) return;
      log.warn('cannot listen for a TCP route; retrying', { address: `${this.o.host}:${l.port}`, service: `${l.route.namespace}/${l.route.service}`, err: (e as Error).message });
      l.retry = setTimeout(() => {
        l.retry = undefined;
        if (this.listeners.get(l.port) === l && !this.closed) void this.open(l);
      }, this.o.retryListenMs);
      l.retry.unref();
      return;
    }
    // Dropped (or the proxy closed) while listen() was in flight.
    if (this.listeners.get(l.port) !== l || this.closed) {
      server.close();
      return;
    }
    server.on('error', (e) => log.warn('TCP route listener error', { port: l.port, err: e.message }));
    l.server = server;
    log.info('TCP route listening', { address: `${this.o.host}:${l.port}`, service: `${l.route.namespace}/${l.route.service}:${l.route.servicePort}` });
  }

  private tune(s: net.Socket): void {
    s.setKeepAlive(true, this.o.keepAliveMs);
    s.setNoDelay(true);
    if (this.o.idleTimeoutMs > 0) s.setTimeout(this.o.idleTimeoutMs, () => s.destroy());
  }

  private accept(l: Listener, client: net.Socket): void {
    const conn: Conn = { client };
    l.conns.add(conn);
    client.on('error', () => undefined);
    client.on('close', (hadError) => {
      l.conns.delete(conn);
      // A clean close (FIN both ways) already ended the upstream through pipe and may leave bytes to flush there.
      if (hadError || !client.readableEnded) conn.upstream?.destroy();
    });
    this.tune(client);
    const clientIP = (client.remoteAddress ?? '').replace(/^::ffff:/, '');
    const order = rank(clientIP, l.route.endpoints).slice(0, this.o.attempts);
    if (!order.length) {
      log.debug('TCP route has no ready endpoint; closing the connection', { port: l.port, service: `${l.route.namespace}/${l.route.service}` });
      client.destroy();
      return;
    }
    this.dial(l, conn, order, 0);
  }

  /** Connects to `order[i]`, falling through to the next endpoint if it cannot be reached. */
  private dial(l: Listener, conn: Conn, order: Endpoint[], i: number): void {
    const ep = order[i];
    if (!ep || conn.client.destroyed) {
      conn.client.destroy();
      return;
    }
    const key = endpointKey(ep);
    const up = net.connect({ host: ep.ip, port: ep.port, allowHalfOpen: true });
    conn.upstream = up;
    conn.endpoint = key;
    const timer = setTimeout(() => up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), this.o.connectTimeoutMs);
    const failed = (e: Error) => {
      clearTimeout(timer);
      log.debug('TCP route endpoint unreachable', { port: l.port, endpoint: key, err: e.message });
      conn.upstream = undefined;
      conn.endpoint = undefined;
      this.dial(l, conn, order, i + 1);
    };
    up.once('error', failed);
    up.once('connect', () => {
      clearTimeout(timer);
      up.off('error', failed);
      // The endpoint may have left the ready set while we were connecting.
      if (!l.route.endpoints.some((e) => endpointKey(e) === key) || conn.client.destroyed || !l.conns.has(conn)) {
        up.destroy();
        conn.client.destroy();
        return;
      }
      this.tune(up);
      up.on('error', () => conn.client.destroy());
      conn.client.on('error', () => up.destroy());
      // A reset on one side ends the other; a FIN is forwarded by pipe (end()), after the bytes before it.
      up.on('close', (hadError) => {
        if (hadError || !up.readableEnded) conn.client.destroy();
      });
      up.pipe(conn.client);
      conn.client.pipe(up);
      conn.client.resume();
    });
  }
}
