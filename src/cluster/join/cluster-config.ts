/**
 * Cluster-wide settings an agent learns from the server, as k3s agents read
 * the server's config at join (`/v1-k3s/config`): today only the pod
 * network backend (`--flannel-backend`), which must be the same on every
 * node — a host-gw node and a vxlan node cannot reach each other's pods.
 *
 * Served at `GET /v1-bramble/config` (src/apiserver/join-routes.ts) to a
 * holder of the join secret. The agent fetches it on every start (its
 * credential is reused without asking the server, so joining alone would
 * never see a changed setting) and keeps the last answer in
 * `<data-dir>/agent/cluster-config.json`, so a board that starts while the
 * server is down keeps the backend it had.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { logger } from '../../util/log.ts';
import { writeFileAtomic } from '../atomic-file.ts';
import { request } from './join.ts';
import { parseToken } from './token.ts';

const log = logger('join');

export const FLANNEL_BACKENDS = ['host-gw', 'vxlan'] as const;
export type FlannelBackend = (typeof FLANNEL_BACKENDS)[number];
/** host-gw: the boards of one LAN need no encapsulation (see docs/architecture.md). */
export const DEFAULT_FLANNEL_BACKEND: FlannelBackend = 'host-gw';

export const clusterConfigPath = '/v1-bramble/config';

export interface ClusterConfig {
  flannelBackend: FlannelBackend;
}

export function isFlannelBackend(s: unknown): s is FlannelBackend {
  return typeof s === 'string' && (FLANNEL_BACKENDS as readonly string[]).includes(s);
}

/** Checks a server's answer; anything unknown (a newer server's backend) is refused rather than guessed. */
export function parseClusterConfig(body: unknown): ClusterConfig {
  const b = (body ?? {}) as Record<string, unknown>;
  if (!isFlannelBackend(b['flannelBackend'])) throw new Error(`the server asks for pod network backend ${JSON.stringify(b['flannelBackend'])}, which this agent does not know (supported: ${FLANNEL_BACKENDS.join(', ')})`);
  return { flannelBackend: b['flannelBackend'] };
}

const cacheFile = (dataDir: string) => path.join(dataDir, 'agent', 'cluster-config.json');

/**
 * The server's cluster config, fetched with the join secret over TLS
 * verified against the CA the agent joined with; falls back to the last
 * answer saved, then to the defaults (a server too old to have the path).
 */
export async function fetchClusterConfig(o: { server: string; token: string; caPem: string; dataDir: string }): Promise<ClusterConfig> {
  try {
    const res = await request(`${o.server}${clusterConfigPath}`, {
      method: 'GET',
      ca: o.caPem,
      headers: { authorization: `Bearer ${parseToken(o.token).secret}` },
    });
    if (res.status === 404) {
      log.warn('the server does not publish a cluster config: using the default pod network backend', { backend: DEFAULT_FLANNEL_BACKEND });
      return { flannelBackend: DEFAULT_FLANNEL_BACKEND };
    }
    if (res.status !== 200) throw new Error(`${clusterConfigPath} answered ${res.status}`);
    const cfg = parseClusterConfig(JSON.parse(res.text));
    await fs.mkdir(path.dirname(cacheFile(o.dataDir)), { recursive: true, mode: 0o700 });
    await writeFileAtomic(cacheFile(o.dataDir), JSON.stringify(cfg) + '\n', 0o600);
    return cfg;
  } catch (e) {
    const saved = await fs.readFile(cacheFile(o.dataDir), 'utf8').then((t) => parseClusterConfig(JSON.parse(t)), () => undefined);
    if (saved) {
      log.warn('cannot read the server\'s cluster config: using the one saved at the last start', { error: (e as Error).message, ...saved });
      return saved;
    }
    throw e;
  }
}
