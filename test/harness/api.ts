/**
 * A raw HTTPS client for tests, authenticating with the admin client
 * certificate from a kubeconfig. For wire-level checks (status codes,
 * headers, watch framing) that kubectl does not expose.
 */
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { parse } from 'yaml';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface ApiClient {
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** Opens a streaming GET (watch); `lines` yields each newline-delimited frame. */
  stream(path: string, headers?: Record<string, string>): { lines: AsyncGenerator<string>; close(): void; status: Promise<number> };
  credentials: { ca: string; cert: string; key: string; host: string; port: number };
  /** Same request over HTTP/2, to check both protocols. */
  h2(method: string, path: string): Promise<ApiResponse>;
}

export function apiClient(kubeconfigPath: string): ApiClient {
  const kc = parse(fs.readFileSync(kubeconfigPath, 'utf8'));
  const cluster = kc.clusters[0].cluster;
  const user = kc.users[0].user;
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  const url = new URL(cluster.server);
  const credentials = {
    ca: b64(cluster['certificate-authority-data']),
    cert: b64(user['client-certificate-data']),
    key: b64(user['client-key-data']),
    host: url.hostname,
    port: Number(url.port),
  };
  const agent = new https.Agent({ ca: credentials.ca, cert: credentials.cert, key: credentials.key, keepAlive: true });

  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<ApiResponse>((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      const h: Record<string, string> = { accept: 'application/json', ...headers };
      if (payload !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
      // Node does not chunk DELETE bodies by default, so frame every body explicitly.
      if (payload !== undefined) h['content-length'] = String(Buffer.byteLength(payload));
      const req = https.request({ host: credentials.host, port: credentials.port, path, method, headers: h, agent, servername: 'localhost' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });

  const stream = (path: string, headers: Record<string, string> = {}) => {
    const req = https.request({ host: credentials.host, port: credentials.port, path, method: 'GET', headers: { accept: 'application/json', ...headers }, agent, servername: 'localhost' });
    // Send now: callers may await the status before reading any line.
    const response = new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    req.end();
    const status = response.then((r) => r.statusCode ?? 0);
    status.catch(() => undefined);
    const lines = (async function* () {
      const res = await response;
      let buf = '';
      try {
        for await (const chunk of res) {
          buf += chunk.toString('utf8');
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            yield buf.slice(0, i);
            buf = buf.slice(i + 1);
          }
        }
      } catch {
        /* closed */
      }
      if (buf) yield buf;
    })();
    return { lines, close: () => req.destroy(), status };
  };

  const h2 = (method: string, path: string) =>
    new Promise<ApiResponse>((resolve, reject) => {
      const session = http2.connect(`https://${credentials.host}:${credentials.port}`, { ca: credentials.ca, cert: credentials.cert, key: credentials.key, servername: 'localhost' });
      session.on('error', reject);
      const req = session.request({ ':method': method, ':path': path, accept: 'application/json' });
      let status = 0;
      const headers: Record<string, string | string[] | undefined> = {};
      req.on('response', (h) => {
        status = Number(h[':status']);
        Object.assign(headers, h);
      });
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        session.close();
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status, headers, text, json });
      });
      req.end();
    });

  return { request, stream, credentials, h2 };
}
