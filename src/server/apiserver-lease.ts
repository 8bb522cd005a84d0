/**
 * API server identity Leases, for HA (several servers on one datastore).
 *
 * Upstream keeps one record per live API server (the Lease endpoint
 * reconciler's `/registry/masterleases/<ip>`, TTL 15 s, refreshed every
 * 10 s) and puts every live server's address in `default/kubernetes`; since
 * 1.26 it also keeps identity Leases `kube-system/apiserver-<hash>` labelled
 * `apiserver.kubernetes.io/identity: kube-apiserver`. Here the identity Lease
 * serves both: it carries the server's advertise address in an annotation,
 * and the kubernetes-service controller on the leader lists the addresses
 * of the unexpired ones.
 *
 * Timings are the endpoint reconciler's (renew every 10 s, expire after
 * 15 s), not the identity Lease's 3600 s: the Lease decides how long a dead
 * server's address keeps receiving in-cluster API traffic. On a graceful
 * stop the Lease is deleted, as upstream removes its endpoint on shutdown.
 *
 * A single server writes none of this (flash wear; its address is fixed).
 */
import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import { isApiError } from '../api/errors.ts';
import { microTime, realClock, sleepOn, type Clock } from '../client/clock.ts';
import { resources, type Client, type Obj } from '../client/types.ts';
import { logger } from '../util/log.ts';

const log = logger('apiserver-lease');

export const apiServerLeaseNamespace = 'kube-system';
export const apiServerIdentityLabel = 'apiserver.kubernetes.io/identity';
export const apiServerIdentityValue = 'kube-apiserver';
/** `<address>:<port>` other servers' kubernetes-service controller puts in the Endpoints. */
export const advertiseAnnotation = 'bramble.io/advertise-address';
export const apiServerLeaseSelector = `${apiServerIdentityLabel}=${apiServerIdentityValue}`;

export interface APIServerLeaseTimings {
  renewIntervalMs: number;
  leaseDurationSeconds: number;
}

export const defaultAPIServerLeaseTimings: APIServerLeaseTimings = { renewIntervalMs: 10_000, leaseDurationSeconds: 15 };

const base32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** Upstream's stable id: `apiserver-` + lower-case unpadded base32 of the first 16 bytes of sha256(hostname). */
export function apiServerID(hostname: string = os.hostname()): string {
  const bytes = createHash('sha256').update(hostname).digest().subarray(0, 16);
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += base32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += base32[(acc << (5 - bits)) & 31];
  return `apiserver-${out}`;
}


export interface APIServerLeaseOptions extends Partial<APIServerLeaseTimings> {
  client: Client;
  /** The Lease name, apiServerID(). */
  id: string;
  /** `<address>:<port>` of this server. */
  advertise: string;
  hostname?: string;
  clock?: Clock;
}

/** Keeps this server's identity Lease fresh until `signal` aborts, then deletes it. */
export async function runAPIServerLease(o: APIServerLeaseOptions, signal: AbortSignal): Promise<void> {
  const { renewIntervalMs, leaseDurationSeconds } = { ...defaultAPIServerLeaseTimings, ...o };
  const clock = o.clock ?? realClock;
  const holderIdentity = `${o.id}_${randomUUID()}`;
  const hostname = o.hostname ?? os.hostname();
  const renew = async () => {
    const now = microTime(clock.now());
    const labels = { [apiServerIdentityLabel]: apiServerIdentityValue, 'kubernetes.io/hostname': hostname };
    let cur: Obj | undefined;
    try {
      cur = await o.client.get(resources.leases, apiServerLeaseNamespace, o.id);
    } catch (e) {
      if (!isApiError(e, 'NotFound')) throw e;
    }
    if (!cur) {
      await o.client.create(resources.leases, apiServerLeaseNamespace, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: o.id, namespace: apiServerLeaseNamespace, labels, annotations: { [advertiseAnnotation]: o.advertise } },
        spec: { holderIdentity, leaseDurationSeconds, acquireTime: now, renewTime: now },
      });
      return;
    }
    const next = structuredClone(cur);
    next['metadata'].labels = { ...(next['metadata'].labels ?? {}), ...labels };
    next['metadata'].annotations = { ...(next['metadata'].annotations ?? {}), [advertiseAnnotation]: o.advertise };
    next['spec'] = { ...(next['spec'] ?? {}), holderIdentity, leaseDurationSeconds, renewTime: now };
    await o.client.update(resources.leases, apiServerLeaseNamespace, next);
  };
  while (!signal.aborted) {
    try {
      await renew();
    } catch (e) {
      // A conflict or a datastore hiccup: the next tick tries again, well within the lease duration.
      log.warn('renewing the API server lease failed', { lease: o.id, error: e instanceof Error ? e.message : String(e) });
    }
    await sleepOn(clock, renewIntervalMs, signal);
  }
  try {
    await o.client.delete(resources.leases, apiServerLeaseNamespace, o.id);
  } catch (e) {
    if (!isApiError(e, 'NotFound')) log.warn('could not remove the API server lease on stop', { lease: o.id, error: e instanceof Error ? e.message : String(e) });
  }
}

export interface LiveAPIServers {
  /** Advertised addresses of unexpired identity Leases, with their ports. */
  servers: { address: string; port: number }[];
  /** When the soonest of them expires (ms since the epoch), to look again then. */
  nextExpiry?: number;
}

/** The live API servers among identity Leases at `now`. */
export function liveAPIServers(leases: readonly Obj[], now: number): LiveAPIServers {
  const servers: LiveAPIServers['servers'] = [];
  let nextExpiry: number | undefined;
  for (const l of leases) {
    if (l['metadata']?.labels?.[apiServerIdentityLabel] !== apiServerIdentityValue) continue;
    const adv: unknown = l['metadata']?.annotations?.[advertiseAnnotation];
    const renew = Date.parse(l['spec']?.renewTime ?? '');
    const duration = Number(l['spec']?.leaseDurationSeconds);
    if (typeof adv !== 'string' || !Number.isFinite(renew) || !(duration > 0)) continue;
    const expiry = renew + duration * 1000;
    if (expiry <= now) continue;
    const i = adv.lastIndexOf(':');
    const address = i > 0 ? adv.slice(0, i) : adv;
    const port = i > 0 ? Number(adv.slice(i + 1)) : NaN;
    servers.push({ address, port });
    nextExpiry = nextExpiry === undefined ? expiry : Math.min(nextExpiry, expiry);
  }
  return { servers, nextExpiry };
}
