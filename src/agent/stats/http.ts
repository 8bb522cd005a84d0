/**
 * `GET /stats/summary` for the agent's HTTPS server: the handler to mount.
 * Authentication (only the API server's client certificate) is the
 * server's job, as the kubelet's authn/authz filter runs before its stats
 * handler. `?only_cpu_and_memory=true` (what metrics-server sends) drops
 * the filesystem figures.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { logger } from '../../util/log.ts';
import type { StatsProvider } from './provider.ts';

const log = logger('stats');

export const statsSummaryPath = '/stats/summary';

export async function serveStatsSummary(provider: StatsProvider, req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://agent.invalid');
  const reply = (status: number, body: string) => {
    (res as ServerResponse).writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
  try {
    const s = await provider.summary();
    if (url.searchParams.get('only_cpu_and_memory') === 'true') {
      delete s.node.fs;
      delete s.node.runtime;
    }
    reply(200, JSON.stringify(s));
  } catch (e) {
    log.warn('stats summary failed', { err: e });
    reply(500, `failed to get stats summary: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}
