/**
 * A server joining an HA cluster (`bramble server --server URL --token T`)
 * first needs what every server of the cluster shares: the Kubernetes
 * server and client CAs (so nodes and kubeconfigs trust it like the
 * others) and the etcd CA (so its etcd member can talk to the others).
 * k3s hands these over as "bootstrap data" from an existing server to a
 * holder of the server token; so does bramble, at
 * `GET /v1-bramble/server-bootstrap`.
 *
 * The flow pins the CA first, as an agent's join does: `/cacerts` is
 * fetched unverified, its hash must match the `K10…` token, and only then
 * is the secret sent, over TLS verified against that CA.
 */
import fs from 'node:fs/promises';
import { pkiFilePaths, SHARED_CAS, type SharedCA } from '../pki/server-pki.ts';
import type { CertKeyPair } from '../pki/x509.ts';
import { writeFileAtomic } from '../atomic-file.ts';
import { fetchPinnedCA, JoinError, request } from '../join/join.ts';
import { parseToken } from '../join/token.ts';
import { logger } from '../../util/log.ts';
import path from 'node:path';

const log = logger('bootstrap');

export const serverBootstrapPath = '/v1-bramble/server-bootstrap';

export type ServerBootstrap = Record<SharedCA, CertKeyPair>;

/** The shared CAs as this server holds them (what the endpoint answers with). */
export async function readServerBootstrap(dataDir: string): Promise<ServerBootstrap> {
  const out = {} as ServerBootstrap;
  for (const name of SHARED_CAS) {
    const files = pkiFilePaths(dataDir, name);
    out[name] = { certPem: await fs.readFile(files.cert, 'utf8'), keyPem: await fs.readFile(files.key, 'utf8') };
  }
  return out;
}

/** True when this data dir already holds the cluster's CAs (a restart, not a first join). */
export async function hasSharedCAs(dataDir: string): Promise<boolean> {
  for (const name of SHARED_CAS) {
    try {
      await fs.access(pkiFilePaths(dataDir, name).key);
    } catch {
      return false;
    }
  }
  return true;
}

function checkBootstrap(v: unknown): ServerBootstrap {
  const o = v as Record<string, { certPem?: unknown; keyPem?: unknown }>;
  for (const name of SHARED_CAS) {
    const p = o?.[name];
    if (typeof p?.certPem !== 'string' || typeof p?.keyPem !== 'string' || !p.certPem.includes('BEGIN CERTIFICATE')) {
      throw new JoinError(`the server's bootstrap data lacks ${name}`);
    }
  }
  return o as ServerBootstrap;
}

/**
 * Fetches the shared CAs from `server` with the token and writes them into
 * this data dir (keys first, mode 0600). Refuses a data dir that already
 * holds different CAs: it belongs to another cluster.
 */
export async function fetchServerBootstrap(o: { server: string; token: string; dataDir: string }): Promise<void> {
  const token = parseToken(o.token);
  const base = o.server.replace(/\/+$/, '');
  const caPem = await fetchPinnedCA(base, token);
  const res = await request(`${base}${serverBootstrapPath}`, { method: 'GET', ca: caPem, headers: { authorization: `Bearer ${token.secret}` } });
  if (res.status === 401) throw new JoinError('the server refused the token (wrong token?)');
  if (res.status === 404) throw new JoinError(`${base} has no bootstrap data to share: it is not an HA server (start the first server with --cluster-init)`);
  if (res.status !== 200) throw new JoinError(`fetching the bootstrap data failed (${res.status}): ${res.text.slice(0, 300)}`);
  let data: ServerBootstrap;
  try {
    data = checkBootstrap(JSON.parse(res.text));
  } catch (e) {
    if (e instanceof JoinError) throw e;
    throw new JoinError(`the server's bootstrap data is not JSON: ${(e as Error).message}`);
  }
  await fs.mkdir(path.join(o.dataDir, 'server', 'tls'), { recursive: true, mode: 0o700 });
  for (const name of SHARED_CAS) {
    const files = pkiFilePaths(o.dataDir, name);
    const have = await fs.readFile(files.cert, 'utf8').catch(() => undefined);
    if (have !== undefined && have !== data[name].certPem) {
      throw new JoinError(`${files.cert} holds another cluster's CA: this data dir belongs to another cluster (remove ${path.join(o.dataDir, 'server')} to join this one)`);
    }
    await writeFileAtomic(files.key, data[name].keyPem, 0o600);
    await writeFileAtomic(files.cert, data[name].certPem, 0o600);
  }
  log.info('received the cluster CAs from a server', { server: base });
}
