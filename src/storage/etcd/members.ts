/**
 * Etcd cluster membership (the Cluster service), used when servers join or
 * leave an HA control plane. Each call opens its own short-lived
 * connection: membership changes are rare.
 */
import { EtcdClient, toStorageError, type EtcdTLS } from './client.ts';
import { methods, type PbMember, type PbMemberAddResponse, type PbMemberListResponse } from './proto.ts';

export interface EtcdMember {
  /** Decimal uint64 (etcd's member ids do not fit a JavaScript number). */
  id: string;
  /** Empty for a member that was added but has not started yet. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}

export interface EtcdEndpoint {
  endpoint: string;
  tls?: EtcdTLS;
  /** Deadline per call; default the client's 10 s. */
  timeoutMs?: number;
}

function member(m: PbMember): EtcdMember {
  return { id: m.id, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs };
}

async function withClient<T>(o: EtcdEndpoint, what: string, fn: (c: EtcdClient) => Promise<T>): Promise<T> {
  const c = new EtcdClient({ endpoint: o.endpoint, tls: o.tls, timeoutMs: o.timeoutMs });
  try {
    return await fn(c);
  } catch (e) {
    throw toStorageError(e, what);
  } finally {
    await c.close();
  }
}

/**
 * Etcd refuses reconfiguration while it could cost the cluster its quorum
 * ("unhealthy cluster" until every member has been connected for 5 s, e.g.
 * right after a join; "not enough started members"): transient, so retry
 * for a while.
 */
const TRANSIENT = /unhealthy cluster|not enough started members/;
const RECONFIG_RETRY_MS = 30_000;

async function retryTransient<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RECONFIG_RETRY_MS;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!TRANSIENT.test((e as Error)?.message ?? '') || Date.now() >= deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export function memberList(o: EtcdEndpoint): Promise<EtcdMember[]> {
  return withClient(o, 'member list', async (c) => {
    const r = await c.call<PbMemberListResponse>(methods.memberList, 'MemberListRequest', { linearizable: true }, 'MemberListResponse');
    return r.members.map(member);
  });
}

/** Adds a voting member (not a learner) with these peer URLs; start its etcd with initial-cluster-state=existing. */
export function memberAdd(o: EtcdEndpoint, peerURLs: string[]): Promise<{ added: EtcdMember; members: EtcdMember[] }> {
  return withClient(o, 'member add', async (c) => {
    const r = await retryTransient(() => c.call<PbMemberAddResponse>(methods.memberAdd, 'MemberAddRequest', { peerURLs }, 'MemberAddResponse'));
    if (!r.member) throw new Error('MemberAdd answered without the added member');
    return { added: member(r.member), members: r.members.map(member) };
  });
}

export function memberRemove(o: EtcdEndpoint, id: string): Promise<void> {
  return withClient(o, 'member remove', async (c) => {
    await retryTransient(() => c.call(methods.memberRemove, 'MemberRemoveRequest', { id }, 'MemberRemoveResponse'));
  });
}
