/**
 * Joining a cluster, agent side (k3s's flow):
 * 1. fetch the server's CA from `/cacerts` (unverified: there is nothing to
 *    verify with yet);
 * 2. check its sha256 against the hash in the `K10…` token — a mismatch
 *    means a different server (or a man in the middle): refuse before any
 *    secret is sent;
 * 3. send the join secret, the node name, this board's own public key and
 *    its node password over TLS verified against that CA; get back a client
 *    certificate for `system:node:<name>`.
 * The key, password and certificate live in `<data-dir>/agent/` (0600) and
 * are reused on later starts while the certificate has 30+ days left.
 */
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import type { HttpCredentials } from '../../client/http.ts';
import { logger } from '../../util/log.ts';
import { writeFileAtomic } from '../atomic-file.ts';
import { caCertHash } from '../pki/ca-hash.ts';
import { parseToken, TokenError, type JoinToken } from './token.ts';

const log = logger('join');

export interface JoinOptions {
  /** https://server:6443 */
  server: string;
  token: string;
  nodeName: string;
  dataDir: string;
}

export function request(url: string, opts: { method: string; ca?: string; insecure?: boolean; headers?: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const ip = /^[\d.]+$|:/.test(u.hostname);
    const req = https.request(
      {
        method: opts.method,
        host: u.hostname,
        port: u.port || 443,
        path: u.pathname,
        headers: opts.headers,
        ca: opts.ca,
        rejectUnauthorized: !opts.insecure,
        // The serving certificate carries IP SANs; Node checks them when servername is unset.
        servername: ip ? undefined : u.hostname,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out talking to ${u.host}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function readOrCreate(file: string, make: () => string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const v = make();
    await writeFileAtomic(file, v, 0o600);
    return v;
  }
}

/**
 * The server's CA from `/cacerts` (unverified: nothing to verify with yet),
 * checked against the hash the token pins — a mismatch means another server
 * or a man in the middle, refused before any secret is sent. A token
 * without a hash trusts the CA seen first (k3s does the same).
 */
export async function fetchPinnedCA(server: string, token: JoinToken): Promise<string> {
  const ca = await request(`${server}/cacerts`, { method: 'GET', insecure: true }).catch((e) => {
    throw new JoinError(`cannot reach ${server}: ${(e as Error).message}`);
  });
  if (ca.status !== 200) throw new JoinError(`${server}/cacerts answered ${ca.status}`);
  const hash = caCertHash(ca.text);
  if (token.caHash) {
    if (hash !== token.caHash) {
      throw new JoinError(`the server's CA certificate does not match the token (token pins ${token.caHash.slice(0, 12)}…, server has ${hash.slice(0, 12)}…): refusing to send the secret`);
    }
  } else log.warn('the token has no CA hash: trusting the CA the server presented on first use', { caHash: hash });
  return ca.text;
}

export class JoinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JoinError';
  }
}

/** Files of an agent's credential. */
export function agentFiles(dataDir: string) {
  const dir = path.join(dataDir, 'agent');
  return {
    dir,
    key: path.join(dir, 'client-kubelet.key'),
    cert: path.join(dir, 'client-kubelet.crt'),
    ca: path.join(dir, 'server-ca.crt'),
    clientCa: path.join(dir, 'client-ca.crt'),
    password: path.join(dir, 'node-password'),
  };
}

/** Joins (or reuses a still-valid credential) and returns what an HttpClient needs. */
export async function joinCluster(o: JoinOptions): Promise<HttpCredentials> {
  const files = agentFiles(o.dataDir);
  await fs.mkdir(files.dir, { recursive: true, mode: 0o700 });
  const keyPem = await readOrCreate(files.key, () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const password = (await readOrCreate(files.password, () => randomBytes(16).toString('hex'))).trim();
  const existing = await Promise.all([files.cert, files.ca, files.clientCa].map((f) => fs.readFile(f, 'utf8').catch(() => '')));
  if (existing[0] && existing[1] && existing[2]) {
    const cert = new X509Certificate(existing[0]);
    if (Date.parse(cert.validTo) - Date.now() > 30 * 86_400_000 && cert.subject.includes(`CN=system:node:${o.nodeName}`)) {
      return { server: o.server, caPem: existing[1], certPem: existing[0], keyPem };
    }
  }

  let token;
  try {
    token = parseToken(o.token);
  } catch (e) {
    throw new JoinError(`cannot use the join token: ${(e as TokenError).message}`);
  }
  const caPem = await fetchPinnedCA(o.server, token);

  const { createPublicKey } = await import('node:crypto');
  const publicKeyPem = createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }) as string;
  const res = await request(`${o.server}/v1-bramble/node-credentials`, {
    method: 'POST',
    ca: caPem,
    headers: { authorization: `Bearer ${token.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ nodeName: o.nodeName, publicKeyPem, nodePassword: password }),
  });
  if (res.status === 401) throw new JoinError('the server refused the join token (wrong token?)');
  if (res.status !== 200) {
    let msg = res.text;
    try {
      msg = JSON.parse(res.text).message ?? msg;
    } catch {
      /* plain text */
    }
    throw new JoinError(`joining failed (${res.status}): ${msg}`);
  }
  const cred = JSON.parse(res.text) as { certPem: string; serverCaPem: string; clientCaPem?: string };
  // client-ca.crt lets the agent's streaming port accept only the API server's client certificate.
  if (cred.clientCaPem) await writeFileAtomic(files.clientCa, cred.clientCaPem, 0o600);
  await writeFileAtomic(files.cert, cred.certPem, 0o600);
  await writeFileAtomic(files.ca, cred.serverCaPem, 0o600);
  log.info('joined the cluster', { server: o.server, node: o.nodeName });
  return { server: o.server, caPem: cred.serverCaPem, certPem: cred.certPem, keyPem };
}
