/**
 * The agent's HTTPS server (the kubelet's port 10250): container logs,
 * exec, attach, port-forward and the stats summary, for the API server only.
 *
 * TLS requires a client certificate from the cluster's client CA, and the
 * request must come from the API server's identity (CN system:apiserver):
 * node credentials come from the same CA and must not reach other nodes'
 * containers. Everything else is refused (handshake failure or 403).
 *
 * The user's streaming protocol ends here: the API server forwards
 * kubectl's upgrade unchanged, so this server answers WebSocket
 * `v5/v4.channel.k8s.io` and SPDY/3.1 for exec/attach, and
 * `SPDY/3.1+portforward.k8s.io` (SPDY inside WebSocket) and plain SPDY for
 * port-forward. Towards the runtime it dials the CRI streaming URL over SPDY.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { logger } from '../../util/log.ts';
import { RuntimePortForward, PORTFORWARD_PROTOCOL, PORTFORWARD_WS_PROTOCOL, servePortForward } from '../../streaming/portforward.ts';
import {
  bridgeCommand,
  commandOptions,
  dialRuntimeCommand,
  serveSpdyCommand,
  serveWebSocketCommand,
  SPDY_COMMAND_PROTOCOLS,
  WS_COMMAND_PROTOCOLS,
  type CommandOptions,
  type UserSide,
} from '../../streaming/remotecommand.ts';
import { SpdySession } from '../../streaming/spdy.ts';
import { acceptSpdyUpgrade, acceptWebSocket, chooseProtocol, headerList, rejectUpgrade, upgradeKind, type DialOptions } from '../../streaming/upgrade.ts';
import { webSocketDuplex } from '../../streaming/ws-duplex.ts';
import { logOptions, streamLogs } from './logs.ts';
import { AgentStreamError, type StreamingRuntime } from './runtime.ts';

const log = logger('agent-server');

/** Sockets already answered with 101. */
const switched = new WeakSet<Duplex>();

export const DEFAULT_AGENT_PORT = 10250;
/** The only client identity served. */
export const APISERVER_CLIENT_CN = 'system:apiserver';

export interface AgentServerOptions {
  host?: string;
  /** 10250 by default; 0 picks a free port. */
  port?: number;
  /** Serving certificate and key (see ensureAgentServingCert). */
  cert: string;
  key: string;
  /** The cluster's client CA (`<dataDir>/agent/client-ca.crt`). */
  clientCA: string;
  runtime: StreamingRuntime;
  /** How to reach the runtime's streaming URLs (default: TCP to the URL's host). */
  runtimeDial?: Pick<DialOptions, 'connect' | 'timeoutMs'>;
  /** GET /stats/summary; absent: 404. */
  statsSummary?: () => Promise<unknown>;
}

export interface RunningAgentServer {
  port: number;
  close(): Promise<void>;
}

interface Route {
  kind: 'containerLogs' | 'exec' | 'attach' | 'portForward' | 'stats' | 'healthz';
  namespace: string;
  pod: string;
  container: string;
}

function parseRoute(pathname: string): Route | undefined {
  const segs = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [head, ns = '', pod = '', container = ''] = segs;
  switch (head) {
    case 'containerLogs':
    case 'exec':
    case 'attach':
      // exec/attach may also carry the pod uid before the container, as the kubelet allows.
      if (segs.length === 4) return { kind: head, namespace: ns, pod, container };
      if (segs.length === 5 && head !== 'containerLogs') return { kind: head, namespace: ns, pod, container: segs[4]! };
      return undefined;
    case 'portForward':
      return segs.length === 3 || segs.length === 4 ? { kind: head, namespace: ns, pod, container: '' } : undefined;
    case 'stats':
      return segs[1] === 'summary' && segs.length === 2 ? { kind: 'stats', namespace: '', pod: '', container: '' } : undefined;
    case 'healthz':
      return { kind: 'healthz', namespace: '', pod: '', container: '' };
    default:
      return undefined;
  }
}

const codes: Record<string, [number, string]> = {
  NotFound: [404, 'NotFound'],
  BadRequest: [400, 'BadRequest'],
  Unsupported: [400, 'BadRequest'],
  Runtime: [500, 'InternalError'],
};

/** A Kubernetes Status for an error, with its HTTP code. */
export function statusFor(e: unknown): { code: number; body: string } {
  const [code, reason] = e instanceof AgentStreamError ? codes[e.code]! : [500, 'InternalError'];
  const message = e instanceof Error ? e.message : String(e);
  return { code, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }) };
}

function allowed(socket: unknown): boolean {
  const s = socket as TLSSocket;
  if (!s.authorized) return false;
  const cn = s.getPeerCertificate()?.subject?.CN;
  return (Array.isArray(cn) ? cn[0] : cn) === APISERVER_CLIENT_CN;
}

const forbidden = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `only ${APISERVER_CLIENT_CN} may use the node agent's API`, reason: 'Forbidden', code: 403 });

export async function startAgentServer(o: AgentServerOptions): Promise<RunningAgentServer> {
  const server = https.createServer({
    cert: o.cert,
    key: o.key,
    ca: o.clientCA,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
  });
  const sockets = new Set<Duplex>();
  server.on('connection', (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', (err) => log.debug('TLS handshake refused', { err }));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void serveRequest(o, req, res).catch((e) => {
      const st = statusFor(e);
      if (!res.headersSent) res.writeHead(st.code, { 'content-type': 'application/json' }).end(st.body);
      else res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    void serveUpgrade(o, req, socket, head).catch((e) => {
      log.debug('streaming request failed', { url: req.url, err: e });
      // After a 101 the socket speaks the stream protocol: an HTTP reply would corrupt it.
      if (switched.has(socket)) {
        log.warn('streaming session failed', { url: req.url, err: e });
        socket.destroy();
        return;
      }
      const st = statusFor(e);
      rejectUpgrade(socket, st.code, st.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? DEFAULT_AGENT_PORT, o.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info('agent streaming server listening', { port });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      }),
  };
}

async function serveRequest(o: AgentServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!allowed(req.socket)) {
    res.writeHead(403, { 'content-type': 'application/json' }).end(forbidden);
    return;
  }
  const url = new URL(req.url ?? '/', 'https://agent.invalid');
  const route = parseRoute(url.pathname);
  if (!route) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    return;
  }
  if (route.kind === 'healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (route.kind === 'stats') {
    if (!o.statsSummary) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('stats are not available on this node\n');
      return;
    }
    const body = JSON.stringify(await o.statsSummary());
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return;
  }
  if (route.kind !== 'containerLogs') throw new AgentStreamError('BadRequest', `${route.kind} needs a WebSocket or SPDY/3.1 upgrade`);
  if (req.method !== 'GET') throw new AgentStreamError('BadRequest', 'logs are read with GET');

  const opts = logOptions(url.searchParams);
  const c = await o.runtime.findContainer(route.namespace, route.pod, route.container, { previous: opts.previous });
  if (!c.logPath) throw new AgentStreamError('BadRequest', `container "${route.container}" in pod "${route.pod}" has no log file`);
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache, private' });
  res.flushHeaders();
  await streamLogs(
    c.logPath,
    opts,
    {
      write: (s) => res.write(s),
      drained: () => (res.writableNeedDrain ? new Promise((r) => res.once('drain', () => r())) : Promise.resolve()),
      get closed() {
        return res.destroyed || res.writableEnded;
      },
    },
    () => o.runtime.isRunning(c.containerId),
    abort.signal,
  );
  res.end();
}

async function serveUpgrade(o: AgentServerOptions, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  if (!allowed(socket)) return rejectUpgrade(socket, 403, forbidden);
  const url = new URL(req.url ?? '/', 'https://agent.invalid');
  const route = parseRoute(url.pathname);
  if (!route || !['exec', 'attach', 'portForward'].includes(route.kind)) return rejectUpgrade(socket, 404, '404 page not found\n', 'text/plain');
  const kind = upgradeKind(req.headers);
  if (kind === 'none') throw new AgentStreamError('BadRequest', `unsupported upgrade "${String(req.headers.upgrade)}"`);

  if (route.kind === 'portForward') return servePortForwardUpgrade(o, route, req, socket, head, kind);

  const offered = kind === 'websocket' ? headerList(req.headers['sec-websocket-protocol']) : headerList(req.headers['x-stream-protocol-version']);
  const protocol = chooseProtocol(offered, kind === 'websocket' ? WS_COMMAND_PROTOCOLS : SPDY_COMMAND_PROTOCOLS);
  if (!protocol) throw new AgentStreamError('BadRequest', `none of the offered stream protocols (${offered.join(', ') || 'none'}) is supported`);

  const opts: CommandOptions = commandOptions(url.searchParams);
  const cmd = url.searchParams.getAll('command');
  if (route.kind === 'exec' && cmd.length === 0) throw new AgentStreamError('BadRequest', 'you must specify at least 1 command');
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw new AgentStreamError('BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');

  const c = await o.runtime.findContainer(route.namespace, route.pod, route.container);
  if (!c.running) throw new AgentStreamError('BadRequest', `container ${route.container} is not running`);
  const streamUrl = route.kind === 'exec' ? await o.runtime.exec({ containerId: c.containerId, cmd, ...opts }) : await o.runtime.attach({ containerId: c.containerId, ...opts });
  const rt = await dialRuntimeCommand(streamUrl, opts, o.runtimeDial);

  let user: UserSide;
  try {
    switched.add(socket);
    if (kind === 'websocket') user = serveWebSocketCommand(acceptWebSocket(req, socket, head, protocol), opts);
    else {
      acceptSpdyUpgrade(socket, protocol);
      const session = new SpdySession(socket, 'server', head);
      session.on('error', () => {});
      user = await serveSpdyCommand(session, opts);
    }
  } catch (e) {
    rt.close();
    socket.destroy();
    throw e;
  }
  log.debug('remote command started', { kind: route.kind, pod: `${route.namespace}/${route.pod}`, container: route.container, protocol });
  await bridgeCommand(user, rt);
}

async function servePortForwardUpgrade(o: AgentServerOptions, route: Route, req: IncomingMessage, socket: Duplex, head: Buffer, kind: 'websocket' | 'spdy'): Promise<void> {
  const offered = kind === 'websocket' ? headerList(req.headers['sec-websocket-protocol']) : headerList(req.headers['x-stream-protocol-version']);
  const protocol = chooseProtocol(offered, [kind === 'websocket' ? PORTFORWARD_WS_PROTOCOL : PORTFORWARD_PROTOCOL]);
  if (!protocol) throw new AgentStreamError('BadRequest', `port-forward needs ${kind === 'websocket' ? PORTFORWARD_WS_PROTOCOL : PORTFORWARD_PROTOCOL}, offered ${offered.join(', ') || 'none'}`);
  const sandboxId = await o.runtime.findSandbox(route.namespace, route.pod);

  let session: SpdySession;
  switched.add(socket);
  if (kind === 'websocket') session = new SpdySession(webSocketDuplex(acceptWebSocket(req, socket, head, protocol)), 'server');
  else {
    acceptSpdyUpgrade(socket, protocol);
    session = new SpdySession(socket, 'server', head);
  }
  session.on('error', () => {});
  // One runtime session per user session, dialled at the first connection.
  let backend: Promise<RuntimePortForward> | undefined;
  const runtimeSession = (): Promise<RuntimePortForward> => {
    backend ??= o.runtime.portForward(sandboxId, []).then((u) => RuntimePortForward.dial(u, o.runtimeDial));
    return backend.then((b): Promise<RuntimePortForward> | RuntimePortForward => {
      if (!b.closed) return b;
      backend = undefined;
      return runtimeSession();
    });
  };
  servePortForward(session, async (port) => (await runtimeSession()).connect(port));
  session.on('close', () => void backend?.then((b) => b.close(), () => {}));
  log.debug('port-forward session', { pod: `${route.namespace}/${route.pod}` });
}
