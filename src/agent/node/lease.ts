/**
 * The node heartbeat: the Lease `kube-node-lease/<node>`, held by the node,
 * renewed every 10 s (a quarter of its 40 s duration), as the kubelet's
 * nodelease controller does. The node lifecycle controller judges a node's
 * liveness by these renewals.
 *
 * A renewal is a PUT of the last Lease the server returned with a new
 * renewTime and nothing else changed, so the server can treat it as a pure
 * heartbeat (applied at once, not written to flash). A conflict refetches
 * the Lease; other failures retry after 200 ms, doubling up to 7 s, as
 * upstream. The owner reference to the Node lets the garbage collector
 * remove the Lease with its Node.
 */
import { isApiError } from '../../api/errors.ts';
import { microTime, type Clock } from '../../client/clock.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';

const log = logger('agent/lease');

export const leaseNamespace = 'kube-node-lease';
export const leaseDurationSeconds = 40;
export const renewIntervalMs = 10_000;

export interface LeaseOptions {
  client: Client;
  clock: Clock;
  nodeName: string;
  /** The Node's uid, for the owner reference. */
  nodeUid: string;
  /** Random extra delay added to each interval (0 for one agent; the simulator spreads its nodes). */
  jitterMs?: number;
  /** Delay before the first renewal after the Lease is ensured (the simulator staggers them). */
  firstRenewalMs?: number;
  random?: () => number;
}


export class NodeLease {
  private readonly o: Required<LeaseOptions>;
  private lease?: Obj;
  private timer?: unknown;
  private stopped = false;
  private failures = 0;
  /** Renewals done (tests, progress). */
  renewals = 0;

  constructor(opts: LeaseOptions) {
    this.o = { jitterMs: 0, firstRenewalMs: renewIntervalMs, random: Math.random, ...opts };
  }

  /** Creates or takes over the Lease now, then renews it periodically until stop(); failures are retried, never thrown. */
  async start(): Promise<void> {
    await this.tick(true);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The last Lease the server returned. */
  get current(): Obj | undefined {
    return this.lease;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => void this.tick(false), ms);
  }

  private async tick(first: boolean): Promise<void> {
    this.timer = undefined;
    try {
      await this.renew();
      this.failures = 0;
      this.schedule((first ? this.o.firstRenewalMs : renewIntervalMs) + Math.floor(this.o.random() * this.o.jitterMs));
    } catch (e) {
      const delay = Math.min(7_000, 200 * 2 ** this.failures++);
      log.warn('lease renewal failed; retrying', { node: this.o.nodeName, err: e, inMs: delay });
      this.schedule(delay);
    }
  }

  private desired(base: Obj | undefined): Obj {
    const now = microTime(this.o.clock.now());
    const ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid: this.o.nodeUid }];
    const { managedFields: _mf, ...metadata } = base?.['metadata'] ?? { name: this.o.nodeName, namespace: leaseNamespace };
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      ...(base ?? {}),
      metadata: { ...metadata, ownerReferences },
      spec: { ...(base?.['spec'] ?? {}), holderIdentity: this.o.nodeName, leaseDurationSeconds: leaseDurationSeconds, renewTime: now },
    };
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    const c = this.o.client;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!this.lease) {
        try {
          this.lease = await c.get(resources.leases, leaseNamespace, this.o.nodeName);
        } catch (e) {
          if (!isApiError(e, 'NotFound')) throw e;
          try {
            this.lease = await c.create(resources.leases, leaseNamespace, this.desired(undefined));
            this.renewals++;
            return;
          } catch (ce) {
            if (!isApiError(ce, 'AlreadyExists')) throw ce;
            continue;
          }
        }
      }
      try {
        this.lease = await c.update(resources.leases, leaseNamespace, this.desired(this.lease));
        this.renewals++;
        return;
      } catch (e) {
        if (!isApiError(e, 'Conflict') && !isApiError(e, 'NotFound')) throw e;
        this.lease = undefined; // someone else wrote it (or deleted it): start from the server's copy
      }
    }
    throw new Error(`lease ${leaseNamespace}/${this.o.nodeName}: too many conflicts`);
  }
}
