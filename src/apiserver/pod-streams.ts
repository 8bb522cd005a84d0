/**
 * The pod streaming subresources: pods/log, pods/exec, pods/attach and
 * pods/portforward. As kube-apiserver does, the API server checks the
 * request, finds the pod's node and forwards the request to that node's
 * agent (its InternalIP and `status.daemonEndpoints.kubeletEndpoint.Port`)
 * with the API server's client certificate:
 *
 * - logs: a plain GET to `/containerLogs/...`, the text relayed as it comes
 *   (chunked; `follow` keeps it open);
 * - exec/attach/port-forward: kubectl's upgrade request (WebSocket v5,
 *   SPDY/3.1, or SPDY inside WebSocket for port-forward) is replayed to the
 *   agent unchanged and, once the agent answers 101, the two sockets are
 *   joined byte for byte. The agent speaks kubectl's protocol itself, so a
 *   refused WebSocket attempt makes kubectl fall back to SPDY end to end.
 *
 * Like kube-apiserver without --kubelet-certificate-authority, the agent's
 * self-signed serving certificate is not verified; the agent verifies us.
 */
import { agentEndpoint } from '../api/node-status.ts';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, errors } from '../api/errors.ts';
import type { CertKeyPair } from '../cluster/pki/x509.ts';
import type { Registry } from '../registry/registry.ts';
import type { Obj } from '../registry/types.ts';
import { dialUpgrade, rejectUpgrade, UpgradeRefused } from '../streaming/upgrade.ts';
import { logger } from '../util/log.ts';
import { anonymous, forbiddenMessage, type Authorizer } from './auth.ts';
import type { RequestContext, UserInfo } from './http.ts';
import { parseResourcePath } from './request-info.ts';
import { toApiError } from './respond.ts';

const log = logger('pod-streams');

const DIAL_TIMEOUT_MS = 10_000;
export const streamingSubresources = new Set(['exec', 'attach', 'portforward']);

export interface PodStreamsOptions {
  registry: Registry;
  /** The API server's client certificate towards agents (pki.apiserverClient). */
  clientCert: CertKeyPair;
  authorizer: Authorizer;
}

export interface PodStreams {
  /** GET pods/{name}/log (a normal request, HTTP/2 or 1.1). */
  serveLog(ctx: RequestContext, namespace: string, name: string): Promise<void>;
  /** An HTTP/1.1 upgrade request (node:http 'upgrade'); answers non-pod paths with 404. */
  serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo | undefined): Promise<void>;
}

interface Target {
  host: string;
  port: number;
}

export function createPodStreams(o: PodStreamsOptions): PodStreams {
  const pods = () => o.registry.storeFor('', 'pods');
  const tls = { cert: o.clientCert.certPem, key: o.clientCert.keyPem, rejectUnauthorized: false };

  async function agentFor(pod: Obj, name: string): Promise<Target> {
    const nodeName = pod['spec']?.nodeName;
    if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
    let node: Obj;
    try {
      node = await o.registry.storeFor('', 'nodes').get('', nodeName);
    } catch {
      throw errors.badRequest(`node "${nodeName}" of pod ${name} does not exist`);
    }
    const agent = agentEndpoint(node);
    if (!agent) throw errors.badRequest(`node "${nodeName}" has no InternalIP address`);
    return { host: agent.address, port: agent.port };
  }

  /** The container to use: named, or the pod's only one; checked against the spec and status. */
  function containerOf(pod: Obj, name: string, requested: string | null, forLogs: boolean): string {
    const spec = pod['spec'] ?? {};
    const all: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
    let c = requested ?? '';
    if (!c) {
      if ((spec.containers ?? []).length === 1) c = spec.containers[0].name;
      else throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${(spec.containers ?? []).map((x: Obj) => x['name']).join(' ')}]`);
    }
    if (!all.some((x) => x['name'] === c)) throw errors.badRequest(`container ${c} is not valid for pod ${name}`);
    const statuses: Obj[] = [...(pod['status']?.initContainerStatuses ?? []), ...(pod['status']?.containerStatuses ?? [])];
    const st = statuses.find((s) => s['name'] === c);
    const waiting = st?.state?.waiting;
    // Logs of a waiting container that ran before are still readable (previous, or the last run's file).
    if (waiting && !(forLogs && (st?.restartCount ?? 0) > 0)) {
      throw errors.badRequest(`container "${c}" in pod "${name}" is waiting to start: ${waiting.reason ?? 'ContainerCreating'}`);
    }
    if (!st && forLogs) throw errors.badRequest(`container "${c}" in pod "${name}" is waiting to start: ContainerCreating`);
    return c;
  }

  async function getPod(namespace: string, name: string): Promise<Obj> {
    return pods().get(namespace, name);
  }

  const enc = encodeURIComponent;

  return {
    async serveLog(ctx, namespace, name) {
      const q = ctx.url.searchParams;
      const pod = await getPod(namespace, name);
      const container = containerOf(pod, name, q.get('container'), true);
      const target = await agentFor(pod, name);
      const query = new URLSearchParams();
      for (const k of ['follow', 'previous', 'tailLines', 'timestamps', 'sinceSeconds', 'sinceTime', 'limitBytes']) {
        const v = q.get(k);
        if (v !== null) query.set(k, v);
      }
      const path = `/containerLogs/${enc(namespace)}/${enc(name)}/${enc(container)}${query.size ? `?${query}` : ''}`;
      await new Promise<void>((resolve, reject) => {
        const req = https.get({ host: target.host, port: target.port, path, ...tls, agent: false, timeout: DIAL_TIMEOUT_MS }, (res) => {
          req.setTimeout(0);
          if (res.statusCode !== 200) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => reject(agentError(res.statusCode ?? 502, Buffer.concat(chunks).toString())));
            return;
          }
          ctx.res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache, private' });
          ctx.res.flushHeaders();
          res.on('data', (c: Buffer) => {
            if (!ctx.res.write(c)) {
              res.pause();
              ctx.res.once('drain', () => res.resume());
            }
          });
          res.on('end', () => {
            ctx.res.end();
            resolve();
          });
          res.on('error', () => {
            ctx.res.end();
            resolve();
          });
        });
        req.on('timeout', () => req.destroy(new Error(`no answer within ${DIAL_TIMEOUT_MS} ms`)));
        req.on('error', (e) => {
          if (ctx.res.headersSent) {
            ctx.res.end();
            resolve();
          } else reject(unreachable(pod, target, e));
        });
        ctx.signal.addEventListener('abort', () => req.destroy(), { once: true });
      });
    },

    async serveUpgrade(req, socket, head, user) {
      socket.on('error', () => {});
      try {
        await upgrade(req, socket, head, user ?? anonymous);
      } catch (e) {
        const err = toApiError(e);
        rejectUpgrade(socket, err.code, JSON.stringify(err.toStatus()));
      }
    },
  };

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://bramble.invalid');
    if (user.via === 'anonymous') throw errors.unauthorized();
    const r = parseResourcePath(url.pathname, req.method ?? 'GET', url.searchParams);
    if (!r || r.group !== '' || r.resource !== 'pods' || !streamingSubresources.has(r.subresource) || !r.name || !r.namespace) {
      throw new ApiError('NotFound', 'the server could not find the requested resource', {});
    }
    // Upgrades need `create` on the subresource, whatever the HTTP method (upstream's rule since 1.30).
    const attrs = { verb: 'create', group: '', resource: 'pods', subresource: r.subresource, namespace: r.namespace, name: r.name };
    if (!(await o.authorizer.authorize(user, attrs)).allowed) throw errors.forbidden({ group: '', resource: 'pods' }, r.name, forbiddenMessage(user, attrs));

    const pod = await getPod(r.namespace, r.name);
    const phase = pod['status']?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') throw errors.badRequest(`cannot ${r.subresource === 'portforward' ? 'port-forward to' : `${r.subresource} into`} a container in a completed pod; current phase is ${phase}`);
    const target = await agentFor(pod, r.name);
    let path: string;
    if (r.subresource === 'portforward') path = `/portForward/${enc(r.namespace)}/${enc(r.name)}`;
    else {
      const container = containerOf(pod, r.name, url.searchParams.get('container'), false);
      path = `/${r.subresource}/${enc(r.namespace)}/${enc(r.name)}/${enc(container)}`;
    }
    const headers: Record<string, string> = {};
    for (const k of ['upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'x-stream-protocol-version']) {
      const v = req.headers[k];
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    let up;
    try {
      up = await dialUpgrade({ url: new URL(`https://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}${path}${url.search}`), method: req.method ?? 'GET', headers, tls, timeoutMs: DIAL_TIMEOUT_MS });
    } catch (e) {
      if (e instanceof UpgradeRefused) throw agentError(e.status, e.body);
      throw unreachable(pod, target, e as Error);
    }
    // Relay the agent's 101 as it is (the WebSocket accept key answers the client's own key).
    let reply = 'HTTP/1.1 101 Switching Protocols\r\n';
    for (const [k, v] of Object.entries(up.headers)) for (const one of Array.isArray(v) ? v : [v]) reply += `${k}: ${one}\r\n`;
    socket.write(reply + '\r\n');
    if (up.head.length) socket.write(up.head);
    if (head.length) up.socket.write(head);
    up.socket.on('error', () => socket.destroy());
    socket.on('error', () => up.socket.destroy());
    socket.pipe(up.socket);
    up.socket.pipe(socket);
    socket.on('close', () => up.socket.destroy());
    up.socket.on('close', () => socket.destroy());
    log.debug('streaming upgrade proxied', { sub: r.subresource, pod: `${r.namespace}/${r.name}`, node: pod['spec']?.nodeName, user: user.name });
  }
}

/** The agent's own Status, or one made from its text. */
function agentError(code: number, body: string): ApiError {
  try {
    const s = JSON.parse(body);
    if (s?.kind === 'Status' && typeof s.message === 'string') {
      return code === 404 || code === 400 ? errors.badRequest(s.message) : code === 403 ? errors.forbidden({ group: '', resource: 'nodes' }, '', s.message) : errors.internal(new Error(s.message));
    }
  } catch {
    /* not JSON */
  }
  return errors.internal(new Error(`node agent answered ${code}: ${body.slice(0, 500)}`));
}

function unreachable(pod: Obj, t: Target, e: Error): ApiError {
  return errors.serviceUnavailable(`error dialing node agent of "${pod['spec']?.nodeName}" at ${t.host}:${t.port}: ${e.message}`);
}
