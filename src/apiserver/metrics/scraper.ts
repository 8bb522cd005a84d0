/**
 * Fetching a node agent's `/stats/summary`, as metrics-server does without
 * `--kubelet-certificate-authority`: HTTPS to the node's InternalIP and
 * kubelet port, presenting the API server's client certificate
 * (CN system:apiserver), not verifying the agent's self-signed serving
 * certificate. `SummarySource` is the seam tests replace.
 */
import type { Agent, RequestOptions } from 'node:https';
import type { Summary } from '../../agent/stats/types.ts';

export interface ScrapeTarget {
  nodeName: string;
  address: string;
  port: number;
}

export interface SummarySource {
  fetch(target: ScrapeTarget, signal?: AbortSignal): Promise<Summary>;
}


const MAX_BODY = 32 * 1024 * 1024;

export function createKubeletScraper(o: { certPem: string; keyPem: string; timeoutMs?: number }): SummarySource & { close(): void } {
  // Made on first use: a server nobody runs `kubectl top` against pays nothing.
  let agent: Agent | undefined;
  const timeoutMs = o.timeoutMs ?? 10_000;
  return {
    fetch(t, signal) {
      // As in apiserver/server.ts: the CommonJS builtin avoids loading undici.
      const https = process.getBuiltinModule('node:https');
      agent ??= new https.Agent({ keepAlive: true, maxSockets: 2, cert: o.certPem, key: o.keyPem, rejectUnauthorized: false });
      const host = t.address.includes(':') ? `[${t.address}]` : t.address;
      const opts: RequestOptions = {
        agent,
        host: t.address,
        port: t.port,
        path: '/stats/summary?only_cpu_and_memory=true',
        method: 'GET',
        headers: { accept: 'application/json', host: `${host}:${t.port}` },
        timeout: timeoutMs,
        signal,
      };
      return new Promise<Summary>((resolve, reject) => {
        const req = https.request(opts, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) req.destroy(new Error(`summary from ${t.nodeName} exceeds ${MAX_BODY} bytes`));
            else chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) return reject(new Error(`GET https://${host}:${t.port}/stats/summary: ${res.statusCode} ${text.slice(0, 200).trim()}`));
            try {
              resolve(JSON.parse(text) as Summary);
            } catch (e) {
              reject(new Error(`summary from ${t.nodeName} is not JSON: ${(e as Error).message}`));
            }
          });
        });
        req.on('timeout', () => req.destroy(new Error(`GET https://${host}:${t.port}/stats/summary: no answer within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end();
      });
    },
    close: () => agent?.destroy(),
  };
}
