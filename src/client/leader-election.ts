/**
 * Leader election on a coordination.k8s.io Lease, as client-go's
 * leaderelection: a candidate takes the Lease when it is free or expired,
 * renews it every `retryPeriodMs`, and steps down if it cannot renew within
 * `renewDeadlineMs`. Only the holder runs the controllers.
 *
 * With a single server there is no one to elect, and renewing a Lease every
 * few seconds would write to flash for nothing; `bramble server` uses this
 * only when several servers share a datastore.
 */
import { isApiError } from '../api/errors.ts';
import { logger } from '../util/log.ts';
import { microTime, realClock, sleepOn, type Clock } from './clock.ts';
import { resources, type Client, type Obj } from './types.ts';

const log = logger('leader-election');

export interface LeaderElectionConfig {
  client: Client;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
}

export class LeaderElector {
  private readonly c: Required<Omit<LeaderElectionConfig, 'clock'>> & { clock: Clock };
  private observed?: { holder: string; renewMs: number; durationMs: number };

  constructor(cfg: LeaderElectionConfig) {
    this.c = { leaseDurationSeconds: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, clock: realClock, ...cfg };
  }

  /** Tries once to acquire or renew the Lease. True when we hold it afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity, leaseDurationSeconds } = this.c;
    const now = this.c.clock.now();
    let lease: Obj | undefined;
    try {
      lease = await client.get(resources.leases, namespace, name);
    } catch (e) {
      if (!isApiError(e, 'NotFound')) throw e;
    }
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    if (!lease) {
      try {
        await client.create(resources.leases, namespace, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec });
        return true;
      } catch (e) {
        if (isApiError(e, 'AlreadyExists')) return false;
        throw e;
      }
    }
    const cur = lease['spec'] ?? {};
    const holder: string = cur.holderIdentity ?? '';
    const renewMs = cur.renewTime ? Date.parse(cur.renewTime) : 0;
    const durationMs = (cur.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    this.observed = { holder, renewMs, durationMs };
    if (holder && holder !== identity && renewMs + durationMs > now) return false;
    const next = {
      ...spec,
      acquireTime: holder === identity ? (cur.acquireTime ?? spec.acquireTime) : spec.acquireTime,
      leaseTransitions: (cur.leaseTransitions ?? 0) + (holder === identity ? 0 : 1),
    };
    try {
      await client.update(resources.leases, namespace, { ...lease, spec: next });
      return true;
    } catch (e) {
      if (isApiError(e, 'Conflict')) return false;
      throw e;
    }
  }

  /** The current holder as last observed. */
  get leader(): string | undefined {
    return this.observed?.holder;
  }

  /**
   * Campaigns until `signal` aborts. While leading, `lead(leaderSignal)` runs;
   * `leaderSignal` aborts when leadership is lost. Campaigns again afterwards.
   */
  async run(signal: AbortSignal, lead: (leaderSignal: AbortSignal) => Promise<void> | void): Promise<void> {
    const { clock, retryPeriodMs, renewDeadlineMs, identity, name } = this.c;
    while (!signal.aborted) {
      let held = false;
      try {
        held = await this.tryAcquireOrRenew();
      } catch (e) {
        log.warn('cannot reach the lease', { lease: name, err: e });
      }
      if (!held) {
        await sleepOn(clock, retryPeriodMs, signal);
        continue;
      }
      log.info('became leader', { lease: name, identity });
      const leading = new AbortController();
      const stop = () => leading.abort();
      signal.addEventListener('abort', stop, { once: true });
      const work = Promise.resolve(lead(leading.signal)).catch((e) => log.error('leader work failed', { err: e }));
      let lastRenew = clock.now();
      while (!leading.signal.aborted) {
        await sleepOn(clock, retryPeriodMs, leading.signal);
        if (leading.signal.aborted) break;
        let ok = false;
        try {
          ok = await this.tryAcquireOrRenew();
        } catch (e) {
          log.warn('renewing the lease failed', { lease: name, err: e });
        }
        if (ok) lastRenew = clock.now();
        else if (clock.now() - lastRenew >= renewDeadlineMs) {
          log.warn('lost leadership', { lease: name, identity });
          leading.abort();
        }
      }
      signal.removeEventListener('abort', stop);
      await work;
    }
  }
}
