/**
 * The etcd member an HA server runs beside its API server, as k3s's
 * embedded etcd (but a real etcd process from the distribution, not a
 * library): started on every server start, in one of three ways:
 *
 * - its data dir already holds a member: just start it (a restart; etcd
 *   remembers the cluster it belongs to);
 * - `--cluster-init`: a new one-member cluster;
 * - `--server URL`: ask an existing member (on the board named by URL, at
 *   the etcd client port) to add this board's peer URL, then start as a
 *   member of the existing cluster.
 *
 * With `--server`, a data dir holding a member the cluster no longer lists
 * (its Node was deleted, so the etcd-member controller removed it) is moved
 * aside to `etcd-old-<ms>` and the board joins afresh.
 *
 * Clients reach it on loopback and on the board's address at 2379, peers
 * at 2380, both with TLS and client-certificate checks against the
 * cluster's etcd CA (src/cluster/pki/server-pki.ts ensureEtcdPKI).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EtcdPKI } from '../pki/server-pki.ts';
import { startEtcd, type EtcdProcess } from './process.ts';
import { memberAdd, memberList, memberRemove, type EtcdEndpoint } from '../../storage/etcd/members.ts';
import type { EtcdMembership } from '../../controllers/etcd-member/etcd-member.ts';
import type { EtcdTLS } from '../../storage/etcd/etcd.ts';
import { logger } from '../../util/log.ts';
import { serverPaths } from '../../server/config.ts';

const log = logger('etcd');

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

export interface MemberOptions {
  dataDir: string;
  /** The member's name: the node name, unique in a cluster. */
  name: string;
  /** The board's address other servers reach it on. */
  advertiseIP: string;
  pki: EtcdPKI;
  /** `--server`: the host of an existing server, whose etcd adds this member. */
  joinHost?: string;
  signal?: AbortSignal;
}

export interface RunningMember {
  proc: EtcdProcess;
  /** Where this server's API server talks to etcd. */
  endpoint: string;
  tls: EtcdTLS;
}

const url = (ip: string, port: number) => `https://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;

export const etcdDataDir = (dataDir: string): string => serverPaths(dataDir).etcd;

/** True when this server has (or had) an etcd member: it is an HA server even without --cluster-init on this start. */
export function hasEtcdMember(dataDir: string): boolean {
  return fs.existsSync(path.join(etcdDataDir(dataDir), 'member'));
}

export async function startMember(o: MemberOptions): Promise<RunningMember> {
  const dir = etcdDataDir(o.dataDir);
  const tls: EtcdTLS = { caPem: o.pki.ca.certPem, certPem: o.pki.client.certPem, keyPem: o.pki.client.keyPem };
  const peerURL = url(o.advertiseIP, ETCD_PEER_PORT);
  let initial: { initialCluster: string; initialClusterState: 'new' | 'existing' } | undefined;
  if (hasEtcdMember(o.dataDir) && o.joinHost && (await removedFromCluster(o, { endpoint: url(o.joinHost, ETCD_CLIENT_PORT), tls, timeoutMs: 3000 }, peerURL))) {
    // Its Node was deleted (the etcd-member controller removed the member): etcd
    // would refuse the old data, so keep it aside and join again, as k3s does.
    const aside = `${dir}-old-${Date.now()}`;
    fs.renameSync(dir, aside);
    log.warn('this board\'s etcd member was removed from the cluster; joining again', { oldData: aside });
  }
  if (hasEtcdMember(o.dataDir)) {
    log.info('starting the etcd member on its existing data', { dir });
  } else if (o.joinHost) {
    const peer = { endpoint: url(o.joinHost, ETCD_CLIENT_PORT), tls };
    const members = await memberList(peer);
    // A member added by an earlier, interrupted attempt is reused rather than added twice.
    let all = members;
    if (!members.some((m) => m.peerURLs.includes(peerURL))) {
      all = (await memberAdd(peer, [peerURL])).members;
      log.info('added this board to the etcd cluster', { peerURL, via: peer.endpoint, members: all.length });
    }
    const entries = all.flatMap((m) => m.peerURLs.map((u) => `${m.peerURLs.includes(peerURL) ? o.name : m.name}=${u}`));
    initial = { initialCluster: entries.join(','), initialClusterState: 'existing' };
  } else {
    initial = { initialCluster: `${o.name}=${peerURL}`, initialClusterState: 'new' };
    log.info('starting a new etcd cluster (--cluster-init)', { peerURL });
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(o.dataDir, 'server', 'logs'), { recursive: true, mode: 0o700 });
  const proc = await startEtcd(
    {
      name: o.name,
      dataDir: dir,
      listenClientUrls: [url('127.0.0.1', ETCD_CLIENT_PORT), url(o.advertiseIP, ETCD_CLIENT_PORT)].filter((u, i, a) => a.indexOf(u) === i),
      advertiseClientUrls: [url(o.advertiseIP, ETCD_CLIENT_PORT)],
      listenPeerUrls: [peerURL],
      initialAdvertisePeerUrls: [peerURL],
      ...initial,
      tls: {
        caFile: o.pki.files.ca.cert,
        certFile: o.pki.files.server.cert,
        keyFile: o.pki.files.server.key,
        peerCaFile: o.pki.files.ca.cert,
        peerCertFile: o.pki.files.peer.cert,
        peerKeyFile: o.pki.files.peer.key,
      },
      logFile: path.join(o.dataDir, 'server', 'logs', 'etcd.log'),
    },
    o.signal,
  );
  return { proc, endpoint: url('127.0.0.1', ETCD_CLIENT_PORT), tls };
}

/**
 * True when the cluster (asked through `peer`) no longer lists this member.
 * Unanswered (the peer is down too) counts as not removed: the member
 * starts on its data and finds its cluster itself.
 */
async function removedFromCluster(o: MemberOptions, peer: EtcdEndpoint, peerURL: string): Promise<boolean> {
  try {
    const members = await memberList(peer);
    return !members.some((m) => m.name === o.name || m.peerURLs.includes(peerURL));
  } catch (e) {
    log.info('could not ask the cluster whether this member is still in it; starting it on its data', { via: peer.endpoint, error: e instanceof Error ? e.message : String(e) });
    return false;
  }
}

/** The cluster's membership as the etcd-member controller sees it, through this server's own member. */
export function etcdMembership(m: RunningMember): EtcdMembership {
  const self = { endpoint: m.endpoint, tls: m.tls };
  return {
    list: () => memberList(self),
    remove: (id) => memberRemove(self, id),
  };
}
