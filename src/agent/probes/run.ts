/**
 * runProbe: one probe attempt, with the kubelet 1.32 prober's semantics.
 * - exec: exit 0 → success; other exit → failure with the output; a
 *   timeout → failure `command ["sh" "-c" "…"] timed out`; a runtime error →
 *   unknown.
 * - httpGet: GET `scheme://host:port/path` (host defaults to the pod IP,
 *   port may be a named container port), `User-Agent: kube-probe/1.32` and
 *   an accept-anything `Accept` unless given, a `Host` header sets the host. Redirects are
 *   followed while they stay on the same host name (at most 10); a redirect
 *   elsewhere ends the probe as a success with a warning. 200–399 succeed;
 *   anything else fails with `HTTP probe failed with statuscode: N` (the
 *   body is not in the message, as upstream). Bodies are read up to 10 KiB.
 * - tcpSocket: a TCP connect within the timeout.
 * - grpc: grpc.health.v1.Health/Check (see grpc.ts).
 * Connection errors read like Go's (`dial tcp 10.42.0.7:80: connect:
 * connection refused`), since users search for them.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Obj } from '../../client/types.ts';
import { grpcProbe } from './grpc.ts';
import type { ProbeResult, ProbeTarget } from './types.ts';

/** Upstream's cap on probe output kept (exec output and HTTP bodies). */
export const MAX_OUTPUT = 10 * 1024;
const USER_AGENT = 'kube-probe/1.32';
const MAX_REDIRECTS = 10;

export class ProbeError extends Error {
  readonly code: 'InvalidPort' | 'NoHandler' | 'NoExec';
  constructor(code: ProbeError['code'], message: string) {
    super(message);
    this.name = 'ProbeError';
    this.code = code;
  }
}

function goQuoteList(cmd: string[]): string {
  return '[' + cmd.map((c) => JSON.stringify(c)).join(' ') + ']';
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A probe's port: a number, or the name of one of the container's ports. */
export function resolvePort(port: unknown, containerPorts: Obj[] = []): number {
  let n: number | undefined;
  if (typeof port === 'number') n = port;
  else if (typeof port === 'string' && /^\d+$/.test(port)) n = Number(port);
  else if (typeof port === 'string') {
    n = containerPorts.find((p) => p.name === port)?.containerPort;
    if (n === undefined) throw new ProbeError('InvalidPort', `couldn't find port: ${port} in ${JSON.stringify(containerPorts)}`);
  }
  if (n === undefined || !(n > 0 && n < 65536)) throw new ProbeError('InvalidPort', `invalid port number: ${String(port)}`);
  return n;
}

/** Go-style text for a failed dial. */
export function dialError(hp: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hp}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hp}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${hp}: connect: network is unreachable`;
    case 'ECONNRESET':
      return `read tcp ${hp}: read: connection reset by peer`;
    default:
      return `dial tcp ${hp}: ${err.message}`;
  }
}

export async function execProbe(probe: Obj, target: ProbeTarget, timeoutSeconds: number): Promise<ProbeResult> {
  if (!target.exec) throw new ProbeError('NoExec', 'exec probes need a runtime exec');
  const cmd: string[] = probe.exec.command ?? [];
  const r = await target.exec(cmd, timeoutSeconds);
  if (r.timedOut) return { result: 'failure', output: `command ${goQuoteList(cmd)} timed out` };
  const output = (r.stdout + r.stderr).slice(0, MAX_OUTPUT);
  return { result: r.exitCode === 0 ? 'success' : 'failure', output };
}

export function tcpProbe(host: string, port: number, timeoutSeconds: number): Promise<ProbeResult> {
  const hp = hostPort(host, port);
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ result: 'failure', output: `dial tcp ${hp}: i/o timeout` });
    }, timeoutSeconds * 1000);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ result: 'success', output: '' });
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      resolve({ result: 'failure', output: dialError(hp, e) });
    });
  });
}

interface HttpResponse {
  status: number;
  location?: string;
  body: string;
}

function httpGetOnce(url: URL, headers: Record<string, string>, signal: AbortSignal, connect?: ProbeTarget['connect']): Promise<HttpResponse> {
  const mod = url.protocol === 'https:' ? https : http;
  const options: https.RequestOptions = { method: 'GET', headers, signal, agent: false, rejectUnauthorized: false };
  // Plain HTTP only: an https probe through a dialer would need TLS over the Duplex.
  if (connect && url.protocol === 'http:') {
    const port = Number(url.port) || 80;
    // No agent at all: with `agent: false` Node makes a fresh Agent, which ignores createConnection.
    delete options.agent;
    options.createConnection = () => connect(url.hostname.replace(/^\[|\]$/g, ''), port) as unknown as net.Socket;
  }
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      options,
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).subarray(0, MAX_OUTPUT).toString('utf8') });
        };
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          // Enough read: the rest is not needed (upstream truncates too).
          if (size >= MAX_OUTPUT) done();
        });
        res.once('end', done);
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

export async function httpProbe(probe: Obj, target: ProbeTarget, timeoutSeconds: number): Promise<ProbeResult> {
  const g = probe.httpGet;
  const port = resolvePort(g.port, target.ports);
  const host: string = g.host || target.podIP;
  const scheme = String(g.scheme || 'HTTP').toLowerCase();
  let p: string = g.path ?? '';
  if (!p.startsWith('/')) p = '/' + p;
  const first = new URL(`${scheme}://${hostPort(host, port)}${p}`);

  const headers: Record<string, string> = {};
  let hostHeader: string | undefined;
  for (const h of (g.httpHeaders ?? []) as Obj[]) {
    if (String(h.name).toLowerCase() === 'host') hostHeader = h.value;
    else headers[h.name] = h.value;
  }
  const has = (n: string) => Object.keys(headers).find((k) => k.toLowerCase() === n);
  if (!has('user-agent')) headers['User-Agent'] = USER_AGENT;
  const accept = has('accept');
  if (!accept) headers['Accept'] = '*/*';
  else if (headers[accept] === '') delete headers[accept];
  if (hostHeader) headers['Host'] = hostHeader;
  headers['Connection'] = 'close';

  // One deadline for the whole exchange, redirects included (Go's Client.Timeout).
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutSeconds * 1000);
  let url = first;
  try {
    for (let hops = 0; ; hops++) {
      let res: HttpResponse;
      try {
        res = await httpGetOnce(url, headers, ctl.signal, target.connect);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (ctl.signal.aborted) return { result: 'failure', output: `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` };
        return { result: 'failure', output: `Get "${url.href}": ${err.code ? dialError(hostPort(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port) || (url.protocol === 'https:' ? 443 : 80)), err) : err.message}` };
      }
      const redirect = res.status >= 300 && res.status < 400 && res.location && res.status !== 304;
      if (redirect) {
        const next = new URL(res.location!, url);
        if (next.hostname === first.hostname) {
          if (hops + 1 >= MAX_REDIRECTS) return { result: 'failure', output: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects` };
          url = next;
          continue;
        }
      }
      if (res.status >= 200 && res.status < 400) {
        if (res.status >= 300) return { result: 'success', warning: true, output: `Probe terminated redirects, Response body: ${res.body}` };
        return { result: 'success', output: res.body };
      }
      return { result: 'failure', output: `HTTP probe failed with statuscode: ${res.status}` };
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One attempt of `probe` (a container's liveness/readiness/startupProbe)
 * against `target`. Never rejects: a probe that cannot run is `unknown`
 * with the reason as output.
 */
export async function runProbe(probe: Obj, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutSeconds: number = probe.timeoutSeconds || 1;
  try {
    if (probe.exec) return await execProbe(probe, target, timeoutSeconds);
    if (probe.httpGet) return await httpProbe(probe, target, timeoutSeconds);
    if (probe.tcpSocket) return await tcpProbe(probe.tcpSocket.host || target.podIP, resolvePort(probe.tcpSocket.port, target.ports), timeoutSeconds);
    if (probe.grpc) return await grpcProbe(target.podIP, resolvePort(probe.grpc.port, target.ports), probe.grpc.service ?? '', timeoutSeconds);
    return { result: 'unknown', output: 'missing probe handler' };
  } catch (e) {
    return { result: 'unknown', output: e instanceof Error ? e.message : String(e) };
  }
}
