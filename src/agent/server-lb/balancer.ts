/**
 * The agent's client-side load balancer for the API servers (k3s's
 * pkg/agent/loadbalancer): a TCP proxy on 127.0.0.1 that every agent client
 * dials instead of one server, so the agent survives the board it joined
 * through.
 *
 * - Each accepted connection is piped to the preferred server; when that
 *   dial fails (refused, or no answer within `connectTimeoutMs`) the next
 *   candidate is tried: other healthy servers, then the ones marked down
 *   (better a long shot than no connection at all).
 * - TLS is not terminated: bytes pass through, and the client verifies the
 *   server's certificate for 127.0.0.1 or `localhost`, names every serving
 *   certificate carries (DEFAULT_SERVING_IPS/DNS in src/cluster/pki).
 * - Every server is checked every `checkIntervalMs`; after
 *   `failureThreshold` consecutive failures it is marked down and every
 *   connection proxied to it is destroyed. That is the point of the whole
 *   thing: a watch to a board that lost power would otherwise hang until TCP
 *   gives up (many minutes); destroyed, it ends and its informer
 *   reconnects, through here, to a living server. A down server needs
 *   `recoverThreshold` consecutive successes to count again (no flapping).
 * - Preference: the default server (`--server`) whenever it is healthy, as
 *   k3s's default server; otherwise the current one while healthy (no
 *   moving around between equals); otherwise the first healthy one.
 *   Connections already open stay where they are when the preference
 *   changes back: only new ones follow it.
 */
import net from 'node:net';
import { logger } from '../../util/log.ts';
import { normalizeAddresses, splitAddress } from './address.ts';
import { tcpCheck, type HealthCheck } from './health.ts';

const log = logger('server-lb');

export interface ServerLoadBalancerOptions {
  /** The `--server` address (`host:port`): always in the list, preferred while healthy. */
  defaultServer: string;
  /** Other servers known at start (the persisted list). */
  servers?: string[];
  /** Where to listen; 127.0.0.1 and a port the OS picks by default. */
  host?: string;
  port?: number;
  healthCheck?: HealthCheck;
  /** Default 2000 ms; each check also times out after this long. */
  checkIntervalMs?: number;
  /** Consecutive failed checks (or dials) before a server is marked down; default 3. */
  failureThreshold?: number;
  /** Consecutive good checks before a down server counts again; default 2. */
  recoverThreshold?: number;
  /** Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Called with the normalized list whenever it changes (persistence). */
  onServersChanged?: (servers: string[]) => void;
}

export interface ServerStatus {
  address: string;
  healthy: boolean;
  /** Connections currently proxied to it. */
  connections: number;
}

interface Server {
  address: string;
  healthy: boolean;
  failures: number;
  successes: number;
  checking: boolean;
  conns: Set<net.Socket>;
}

export class ServerLoadBalancer {
  readonly defaultServer: string;
  private readonly servers = new Map<string, Server>();
  private readonly listener: net.Server;
  private readonly check: HealthCheck;
  private readonly interval: number;
  private readonly failureThreshold: number;
  private readonly recoverThreshold: number;
  private readonly connectTimeout: number;
  private readonly onServersChanged?: (servers: string[]) => void;
  private readonly accepted = new Set<net.Socket>();
  private timer?: NodeJS.Timeout;
  private current: string;
  private closed = false;

  private constructor(o: ServerLoadBalancerOptions) {
    this.defaultServer = o.defaultServer;
    this.current = o.defaultServer;
    this.check = o.healthCheck ?? tcpCheck;
    this.interval = o.checkIntervalMs ?? 2000;
    this.failureThreshold = o.failureThreshold ?? 3;
    this.recoverThreshold = o.recoverThreshold ?? 2;
    this.connectTimeout = o.connectTimeoutMs ?? 5000;
    this.onServersChanged = o.onServersChanged;
    // Until checked, every server counts as healthy: the agent must not wait a check round to start.
    for (const a of normalizeAddresses([o.defaultServer, ...(o.servers ?? [])])) this.servers.set(a, newServer(a));
    this.listener = net.createServer({ pauseOnConnect: true }, (s) => void this.accept(s));
  }

  /** Listens, runs a first round of checks at once, then every `checkIntervalMs`. */
  static async start(o: ServerLoadBalancerOptions): Promise<ServerLoadBalancer> {
    const lb = new ServerLoadBalancer(o);
    await new Promise<void>((resolve, reject) => {
      lb.listener.once('error', reject);
      lb.listener.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
        lb.listener.off('error', reject);
        resolve();
      });
    });
    lb.listener.on('error', (e) => log.error('load balancer listener failed', { error: e.message }));
    lb.runChecks();
    lb.timer = setInterval(() => lb.runChecks(), lb.interval);
    lb.timer.unref();
    log.info('API server load balancer listening', { address: `127.0.0.1:${lb.port}`, default: lb.defaultServer, servers: lb.list().join(',') });
    return lb;
  }

  get port(): number {
    return (this.listener.address() as net.AddressInfo).port;
  }

  /** What the agent's clients use as their server URL. */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Known servers, sorted. */
  list(): string[] {
    return [...this.servers.keys()];
  }

  /** Where new connections go first. */
  preferred(): string {
    return this.current;
  }

  status(): ServerStatus[] {
    return [...this.servers.values()].map((s) => ({ address: s.address, healthy: s.healthy, connections: s.conns.size }));
  }

  /**
   * Replaces the learned servers (the default one always stays). An empty
   * list is ignored: a server bound to loopback publishes no addresses, and
   * forgetting every other server on such an update would only lose
   * failover. Connections to removed servers are closed (as k3s): their
   * clients reconnect to a server still in the cluster. Returns whether the
   * list changed.
   */
  setServers(addresses: string[]): boolean {
    if (addresses.length === 0) return false;
    const next = normalizeAddresses([this.defaultServer, ...addresses]);
    const before = this.list();
    if (next.length === before.length && next.every((a, i) => a === before[i])) return false;
    for (const a of before) {
      if (next.includes(a)) continue;
      const s = this.servers.get(a)!;
      this.servers.delete(a);
      this.destroyConnections(s);
    }
    const kept = new Map(this.servers);
    this.servers.clear();
    for (const a of next) this.servers.set(a, kept.get(a) ?? newServer(a));
    log.info('API servers updated', { servers: next.join(',') });
    this.choose();
    this.onServersChanged?.(next);
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    const done = new Promise<void>((r) => this.listener.close(() => r()));
    for (const s of this.accepted) s.destroy();
    for (const s of this.servers.values()) this.destroyConnections(s);
    await done;
  }

  private runChecks(): void {
    for (const s of this.servers.values()) {
      if (s.checking) continue;
      s.checking = true;
      this.check(s.address, this.interval).then(
        () => this.checked(s, undefined),
        (e: unknown) => this.checked(s, e as Error),
      );
    }
  }

  private checked(s: Server, error: Error | undefined): void {
    s.checking = false;
    if (this.closed || this.servers.get(s.address) !== s) return;
    if (error) this.failed(s, error);
    else this.succeeded(s);
  }

  private succeeded(s: Server): void {
    s.failures = 0;
    if (s.healthy) return;
    if (++s.successes < this.recoverThreshold) return;
    s.healthy = true;
    log.info('API server is healthy again', { server: s.address });
    this.choose();
  }

  /** A failed check or dial. */
  private failed(s: Server, error: Error): void {
    s.successes = 0;
    if (!s.healthy) return;
    if (++s.failures < this.failureThreshold) {
      log.debug('API server check failed', { server: s.address, failures: s.failures, error: error.message });
      return;
    }
    s.healthy = false;
    log.warn('API server is down: closing the connections to it', { server: s.address, connections: s.conns.size, error: error.message });
    this.destroyConnections(s);
    this.choose();
  }

  /** The preference rule (see the top of the file); logs when it moves. */
  private choose(): void {
    const healthy = (a: string) => this.servers.get(a)?.healthy === true;
    let next = this.current;
    if (healthy(this.defaultServer)) next = this.defaultServer;
    else if (!healthy(this.current)) next = this.list().find(healthy) ?? (this.servers.has(this.current) ? this.current : this.defaultServer);
    if (next === this.current) return;
    log.info('preferred API server changed', { from: this.current, to: next });
    this.current = next;
  }

  /** The preferred server, the other healthy ones, then those marked down. */
  private candidates(): Server[] {
    const all = [...this.servers.values()];
    const first = this.servers.get(this.current);
    const rest = all.filter((s) => s !== first);
    return [...(first ? [first] : []), ...rest.filter((s) => s.healthy), ...rest.filter((s) => !s.healthy)];
  }

  private async accept(client: net.Socket): Promise<void> {
    if (this.closed) return void client.destroy();
    this.accepted.add(client);
    client.once('close', () => this.accepted.delete(client));
    client.on('error', () => undefined); // its close tears the pair down
    for (const s of this.candidates()) {
      if (client.destroyed) return;
      let upstream: net.Socket;
      try {
        upstream = await this.dial(s.address, client);
      } catch (e) {
        if (client.destroyed || this.closed) return;
        log.debug('dialing an API server failed; trying the next one', { server: s.address, error: (e as Error).message });
        if (this.servers.get(s.address) === s) this.failed(s, e as Error);
        continue;
      }
      if (client.destroyed || this.closed || this.servers.get(s.address) !== s) {
        upstream.destroy();
        return void client.destroy();
      }
      this.pipe(s, client, upstream);
      return;
    }
    log.warn('no API server answered: connection dropped', { servers: this.list().join(',') });
    client.destroy();
  }

  private dial(address: string, client: net.Socket): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const { host, port } = splitAddress(address);
      const up = net.connect({ host, port });
      const fail = (e: Error) => {
        clearTimeout(timer);
        client.off('close', abort);
        up.destroy();
        reject(e);
      };
      const abort = () => fail(new Error('client went away'));
      const timer = setTimeout(() => fail(new Error(`no answer within ${this.connectTimeout} ms`)), this.connectTimeout);
      client.once('close', abort);
      up.once('error', fail);
      up.once('connect', () => {
        clearTimeout(timer);
        client.off('close', abort);
        up.off('error', fail);
        resolve(up);
      });
    });
  }

  private pipe(s: Server, client: net.Socket, upstream: net.Socket): void {
    s.conns.add(client);
    upstream.on('error', () => undefined);
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    // Keepalive probes on the server side: a dead peer is noticed even between health checks' verdicts.
    upstream.setKeepAlive(true, 10_000);
    const teardown = () => {
      s.conns.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', teardown);
    upstream.once('close', teardown);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  private destroyConnections(s: Server): void {
    // Destroying the client side tears down its upstream too (see pipe()).
    for (const c of [...s.conns]) c.destroy();
  }
}

function newServer(address: string): Server {
  return { address, healthy: true, failures: 0, successes: 0, checking: false, conns: new Set() };
}
