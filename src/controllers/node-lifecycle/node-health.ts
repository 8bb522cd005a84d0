/**
 * What the node lifecycle controller remembers about each node's health
 * (upstream's nodeHealthMap and tryUpdateNodeHealth): when it last saw a
 * sign of life — a new Ready heartbeat or a renewed Lease, timed by the
 * controller's own clock so clock skew between boards does not matter —
 * and, once that is older than the grace period, the node status with its
 * conditions set to Unknown.
 */
import type { Obj } from '../../client/types.ts';
import { getCondition, parseTime, timeString, type Condition } from './conditions.ts';

interface HealthData {
  /** Controller time of the last sign of life. */
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The Ready condition as last seen (after this controller's own changes). */
  savedReady: Condition | undefined;
  /** renewTime of the last Lease seen, in ms; undefined before any Lease. */
  leaseRenew: number | undefined;
}

export interface HealthCheck {
  gracePeriodMs: number;
  /** The Ready condition the node had before this check (a made-up Unknown one if it had none). */
  observedReady: Condition;
  /** The Ready condition after this check; undefined only if the node has none and nothing was due. */
  currentReady: Condition | undefined;
  /** True when `node`'s status was changed and must be written (PUT status). */
  needsWrite: boolean;
}

/** The conditions set Unknown when a node goes silent; NetworkUnavailable belongs to the network layer. */
const silencedConditions = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

const copyCondition = (c: Condition | undefined): Condition | undefined => (c ? { ...c } : undefined);

export function sameCondition(a: Condition | undefined, b: Condition | undefined): boolean {
  if (!a || !b) return a === b;
  const keys = ['type', 'status', 'reason', 'message', 'lastHeartbeatTime', 'lastTransitionTime', 'lastProbeTime'] as const;
  return keys.every((k) => (a[k] ?? '') === (b[k] ?? ''));
}

export class NodeHealthTracker {
  private readonly data = new Map<string, HealthData>();
  private readonly gracePeriodMs: number;
  private readonly startupGracePeriodMs: number;

  constructor(opts: { gracePeriodMs: number; startupGracePeriodMs: number }) {
    this.gracePeriodMs = opts.gracePeriodMs;
    this.startupGracePeriodMs = opts.startupGracePeriodMs;
  }

  /**
   * Updates what is known about `node` (a private copy the caller may write
   * back; its conditions are changed in place when due) given its Lease.
   */
  check(node: Obj, lease: Obj | undefined, now: number): HealthCheck {
    const name: string = node['metadata'].name;
    const created = parseTime(node['metadata'].creationTimestamp);
    const createdStr: string = node['metadata'].creationTimestamp;
    let health = this.data.get(name);
    const status = (node['status'] ??= {});
    const currentReady0 = getCondition(status, 'Ready');
    let observedReady: Condition;
    let gracePeriodMs: number;
    if (!currentReady0) {
      // Never posted status: time it from creation, with the longer start-up grace.
      observedReady = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: createdStr, lastTransitionTime: createdStr };
      gracePeriodMs = this.startupGracePeriodMs;
      health = health ? { ...health, savedReady: undefined } : { probeTimestamp: created, readyTransitionTimestamp: created, savedReady: undefined, leaseRenew: undefined };
    } else {
      observedReady = { ...currentReady0 };
      gracePeriodMs = this.gracePeriodMs;
    }
    const saved = health?.savedReady;
    const savedLease = health?.leaseRenew;
    if (!health || (!saved && currentReady0) || (saved && !currentReady0)) {
      health = { probeTimestamp: now, readyTransitionTimestamp: now, savedReady: copyCondition(currentReady0), leaseRenew: savedLease };
    } else if (saved && currentReady0 && (saved.lastHeartbeatTime ?? '') !== (currentReady0.lastHeartbeatTime ?? '')) {
      // A new heartbeat; a changed transition time means Ready changed since we last looked.
      const transition = (saved.lastTransitionTime ?? '') !== (currentReady0.lastTransitionTime ?? '') ? now : health.readyTransitionTimestamp;
      health = { probeTimestamp: now, readyTransitionTimestamp: transition, savedReady: copyCondition(currentReady0), leaseRenew: savedLease };
    }
    // A renewed Lease is a sign of life too (agents renew it far more often than they post status).
    if (lease) {
      const renew = parseTime(lease['spec']?.renewTime);
      if (savedLease === undefined || savedLease < renew) health = { ...health, leaseRenew: renew, probeTimestamp: now };
    }

    let needsWrite = false;
    if (now > health.probeTimestamp + gracePeriodMs) {
      const nowStr = timeString(now);
      const conditions: Condition[] = (status.conditions ??= []);
      for (const type of silencedConditions) {
        const c = conditions.find((x) => x.type === type);
        if (!c) {
          conditions.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: createdStr, lastTransitionTime: nowStr });
        } else if (c.status !== 'Unknown') {
          c.status = 'Unknown';
          c.reason = 'NodeStatusUnknown';
          c.message = 'Kubelet stopped posting node status.';
          c.lastTransitionTime = nowStr;
        }
      }
      needsWrite = !sameCondition(getCondition(status, 'Ready'), observedReady);
    }
    const currentReady = getCondition(status, 'Ready');
    this.data.set(name, { ...health, savedReady: copyCondition(currentReady) ?? health.savedReady });
    return { gracePeriodMs, observedReady, currentReady, needsWrite };
  }

  /** After the Unknown status was written: the Ready transition happened now. */
  recordWrite(name: string, now: number): void {
    const h = this.data.get(name);
    if (h) this.data.set(name, { ...h, readyTransitionTimestamp: now });
  }

  /** Treat every known node as just heard from (on leaving full disruption). */
  resetProbes(now: number): void {
    for (const [name, h] of this.data) this.data.set(name, { ...h, probeTimestamp: now, readyTransitionTimestamp: now });
  }

  /** The Ready condition last seen for a node, if the node has been checked. */
  readyOf(name: string): Condition | undefined {
    return this.data.get(name)?.savedReady;
  }

  has(name: string): boolean {
    return this.data.has(name);
  }

  forget(name: string): void {
    this.data.delete(name);
  }
}
