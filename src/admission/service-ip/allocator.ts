/**
 * Cluster IP and node port allocation for Services, with the stored
 * Services as the source of truth.
 *
 * Upstream keeps a bitmap per range in etcd and repairs it periodically
 * against the stored Services. Here the bitmap is rebuilt from storage for
 * every allocating write, so it cannot drift and needs no start-up rebuild:
 * a deleted Service's IP and ports are free as soon as it is gone. What the
 * stored Services cannot show is a write still in flight (admitted but not
 * yet committed), so each allocation is also held as a short-lived
 * reservation for its Service; a reservation ends once storage shows the
 * value held by that Service, when an update or delete of it is admitted, or
 * after `pendingTtlMs` (a write that failed after admission, the case
 * upstream's transaction rollback covers; the same Service may retry with
 * the same values meanwhile).
 *
 * Allocations are serialised by an in-process lock, so concurrent creates
 * on one API server never get the same IP or port. With several servers on
 * one datastore (HA, `claims`), each claimed value is also claimed in
 * storage by compare-and-swap (claims.ts) before the write is admitted; a
 * value another server holds counts as taken and the allocation runs again.
 */
import type { Obj } from '../../registry/types.ts';
import { logger } from '../../util/log.ts';
import type { ClaimStore } from './claims.ts';

const log = logger('service-ip-allocator');

/** Thrown when claims keep clashing (many servers racing for a nearly full range). */
export class ClaimContentionError extends Error {}

/** Rounds of allocate-then-claim before giving up; each lost round marks one more value as taken. */
const maxClaimRounds = 16;
import { ipAt, offsetOf, parseServiceRange, staticBandSize, type ServiceRange } from './cidr.ts';

/** Why a requested value cannot be had (upstream's allocator errors). */
export type ClaimError = 'allocated' | 'range';

/** The Service a write is for: `namespace/name` and its uid. */
export interface Owner {
  key: string;
  uid: string;
}

interface Reservation {
  owner: Owner;
  expires: number;
}

export interface AllocatorOptions {
  serviceCIDR: string;
  nodePortRange: readonly [number, number];
  /** Every stored Service (all namespaces). */
  listServices(): Promise<Obj[]>;
  now?: () => number;
  random?: () => number;
  pendingTtlMs?: number;
  /** HA: claims in the shared datastore, so several servers never hand out one value. */
  claims?: ClaimStore;
}

/** The `default/kubernetes` Service alone may hold the first address of the range. */
export const kubernetesServiceKey = 'default/kubernetes';

/** The values a stored Service holds, as `ip:<addr>` and `port:<n>` keys. */
export function heldBy(svc: Obj): string[] {
  const spec = svc['spec'] ?? {};
  const out: string[] = [];
  if (spec.type !== 'ExternalName') {
    const ips: unknown[] = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length ? spec.clusterIPs : [spec.clusterIP];
    for (const ip of ips) if (typeof ip === 'string' && ip && ip !== 'None') out.push(`ip:${ip}`);
  }
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) if (p?.nodePort) out.push(`port:${p.nodePort}`);
  if (spec.healthCheckNodePort) out.push(`port:${spec.healthCheckNodePort}`);
  return out;
}

/**
 * One write's view: what others hold, and what this write has claimed so
 * far. Claims become reservations when the write's admission succeeds.
 */
export class AllocationTxn {
  readonly range: ServiceRange;
  readonly ports: { lo: number; hi: number; staticBand: number };
  /** Values this write claimed, in order. */
  readonly claimed: string[] = [];
  /** Values auto-allocation must skip although the owner may keep them (its current ones). */
  readonly avoid = new Set<string>();
  private readonly takenByOthers: (key: string) => boolean;
  private readonly random: () => number;
  private readonly owner: Owner;

  constructor(range: ServiceRange, ports: AllocationTxn['ports'], owner: Owner, takenByOthers: (key: string) => boolean, random: () => number) {
    this.range = range;
    this.ports = ports;
    this.owner = owner;
    this.takenByOthers = takenByOthers;
    this.random = random;
  }

  private taken(key: string): boolean {
    if (this.claimed.includes(key)) return true;
    if (key === `ip:${ipAt(this.range, 0)}` && this.owner.key !== kubernetesServiceKey) return true;
    return this.takenByOthers(key);
  }

  /** Claims a requested IP. */
  claimIP(ip: string): ClaimError | undefined {
    if (offsetOf(this.range, ip) === undefined) return 'range';
    const key = `ip:${ip}`;
    if (this.taken(key)) return 'allocated';
    this.claimed.push(key);
    return undefined;
  }

  /** Claims a requested node port. */
  claimPort(port: number): ClaimError | undefined {
    if (port < this.ports.lo || port > this.ports.hi) return 'range';
    const key = `port:${port}`;
    if (this.taken(key)) return 'allocated';
    this.claimed.push(key);
    return undefined;
  }

  /** Allocates a free IP, preferring the dynamic band; undefined when the range is full. */
  nextIP(): string | undefined {
    const off = this.scan(this.range.size, this.range.staticBand, (o) => `ip:${ipAt(this.range, o)}`);
    return off === undefined ? undefined : ipAt(this.range, off);
  }

  /** Allocates a free node port, preferring the dynamic band; undefined when the range is full. */
  nextPort(): number | undefined {
    const { lo, hi, staticBand } = this.ports;
    const off = this.scan(hi - lo + 1, staticBand, (o) => `port:${lo + o}`);
    return off === undefined ? undefined : lo + off;
  }

  /** Random start in [band, size), then the static band [0, band), as upstream's offset scan. */
  private scan(size: number, band: number, keyAt: (offset: number) => string): number | undefined {
    const tryBand = (from: number, to: number): number | undefined => {
      const len = to - from;
      if (len <= 0) return undefined;
      const start = Math.floor(this.random() * len);
      for (let i = 0; i < len; i++) {
        const off = from + ((start + i) % len);
        const key = keyAt(off);
        if (this.avoid.has(key) || this.taken(key)) continue;
        this.claimed.push(key);
        return off;
      }
      return undefined;
    };
    return tryBand(band, size) ?? tryBand(0, Math.min(band, size));
  }
}

/** Hands out transactions, one at a time, over the stored Services plus in-flight reservations. */
export class ServiceAllocator {
  readonly range: ServiceRange;
  private readonly ports: AllocationTxn['ports'];
  private readonly o: Required<Omit<AllocatorOptions, 'serviceCIDR' | 'nodePortRange' | 'claims'>>;
  private readonly claims?: ClaimStore;
  private readonly pending = new Map<string, Reservation>();
  private lock: Promise<unknown> = Promise.resolve();

  constructor(opts: AllocatorOptions) {
    this.range = parseServiceRange(opts.serviceCIDR);
    const [lo, hi] = opts.nodePortRange;
    this.ports = { lo, hi, staticBand: staticBandSize(hi - lo + 1, 16, 128, 32) };
    this.o = { now: Date.now, random: Math.random, pendingTtlMs: 30_000, ...opts };
    this.claims = opts.claims;
  }

  /**
   * Runs `fn` with the allocation lock held. `fn` claims values on the
   * transaction and may throw to refuse the write (its claims are dropped).
   * On success the claims are reserved for the owner unless `dryRun`.
   * With `excludeOwner` (updates), the owner's stored values count as its
   * own, so it may keep them.
   *
   * With storage claims, `fn` runs again when another server holds one of
   * its values, so it must start from the same input each time.
   */
  async run<T>(owner: Owner, opts: { dryRun: boolean; excludeOwner: boolean }, fn: (txn: AllocationTxn) => T): Promise<T> {
    const prev = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    await prev;
    try {
      const services = await this.o.listServices();
      const held = new Map<string, string>();
      const committed = new Set<string>();
      for (const svc of services) {
        const m = svc['metadata'] ?? {};
        const key = `${m.namespace}/${m.name}`;
        for (const v of heldBy(svc)) {
          committed.add(`${key}|${m.uid}|${v}`);
          if (opts.excludeOwner && key === owner.key) continue;
          held.set(v, key);
        }
      }
      const now = this.o.now();
      for (const [v, r] of this.pending) {
        if (r.expires <= now || committed.has(`${r.owner.key}|${r.owner.uid}|${v}`)) this.pending.delete(v);
      }
      // Values another server claimed in storage, found by earlier rounds.
      const claimedElsewhere = new Set<string>();
      const takenByOthers = (v: string) => held.has(v) || claimedElsewhere.has(v) || (this.pending.has(v) && this.pending.get(v)!.owner.key !== owner.key);
      const expires = now + this.o.pendingTtlMs;
      for (let round = 0; ; round++) {
        const txn = new AllocationTxn(this.range, this.ports, owner, takenByOthers, this.o.random);
        const out = fn(txn);
        // A dry run writes nothing, claims included (it may then name a value another server is taking).
        if (opts.dryRun) return out;
        const lost = this.claims ? await this.claimAll(txn.claimed, owner, expires, now) : undefined;
        if (lost === undefined) {
          for (const v of txn.claimed) this.pending.set(v, { owner, expires });
          return out;
        }
        claimedElsewhere.add(lost);
        // Another server is allocating too: learn all its in-flight values at once rather than one per round.
        for (const v of await this.claims!.heldByOthers(owner, now)) claimedElsewhere.add(v);
        if (round + 1 >= maxClaimRounds) throw new ClaimContentionError(`allocation kept clashing with other API servers (last: ${lost}); try again`);
      }
    } finally {
      release();
    }
  }

  /** Claims every value in storage; on the first held by another owner, releases those taken and returns it. */
  private async claimAll(values: readonly string[], owner: Owner, expires: number, now: number): Promise<string | undefined> {
    const taken: string[] = [];
    for (const v of values) {
      if (await this.claims!.claim(v, owner, expires, now)) {
        taken.push(v);
        continue;
      }
      await this.claims!.release(taken, owner);
      return v;
    }
    return undefined;
  }

  /**
   * Drops the owner's reservations of values its stored object holds. Called
   * when an update or delete of it is admitted: until that write commits,
   * storage protects those values, and afterwards they are the new
   * object's or free at once. Values the owner claimed for a write still in
   * flight stay reserved.
   */
  forget(ownerKey: string, stored: Obj): void {
    const values = heldBy(stored);
    for (const v of values) if (this.pending.get(v)?.owner.key === ownerKey) this.pending.delete(v);
    // The storage claims too (any server may admit the write): storage protects the values now. Best effort: a claim left behind expires.
    const uid = stored['metadata']?.uid;
    if (this.claims && uid && values.length) {
      this.claims.release(values, { key: ownerKey, uid }).catch((e) => log.warn('could not release allocation claims', { owner: ownerKey, error: e instanceof Error ? e.message : String(e) }));
    }
  }

  /** Reservations not yet seen in storage (for tests and diagnostics). */
  pendingCount(): number {
    return this.pending.size;
  }
}
