/**
 * The kubelet's crash-loop back-off: a container that must restart after
 * exiting restarts at once the first time, then waits 10 s, doubling up to
 * 5 minutes; a container that ran 10 minutes without exiting starts over.
 * Keyed by pod uid and container name.
 */
import type { Clock } from '../../client/clock.ts';

const initialMs = 10_000;
const maxMs = 300_000;
const resetAfterMs = 600_000;

interface Entry {
  delayMs: number;
  /** When the last restart happened (ms). */
  at: number;
}

export class RestartBackoff {
  private readonly clock: Clock;
  /** uid → container name → entry. */
  private readonly entries = new Map<string, Map<string, Entry>>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /**
   * Asks to restart a container that exited at `exitedAt`. Returns 0 when it
   * may restart now (and records the restart), else the milliseconds to wait.
   */
  next(uid: string, name: string, startedAt: number, exitedAt: number): number {
    const now = this.clock.now();
    let pod = this.entries.get(uid);
    if (!pod) this.entries.set(uid, (pod = new Map()));
    const e = pod.get(name);
    if (!e || exitedAt - startedAt >= resetAfterMs) {
      pod.set(name, { delayMs: 0, at: now });
      return 0;
    }
    const delay = e.delayMs === 0 ? initialMs : e.delayMs;
    const due = exitedAt + delay;
    if (now < due) return due - now;
    pod.set(name, { delayMs: Math.min(maxMs, delay * 2), at: now });
    return 0;
  }

  /** The delay a waiting container is serving (for the CrashLoopBackOff message). */
  currentDelayMs(uid: string, name: string): number {
    const e = this.entries.get(uid)?.get(name);
    return !e || e.delayMs === 0 ? initialMs : e.delayMs;
  }

  /** Forgets a pod (deleted). */
  forget(uid: string): void {
    this.entries.delete(uid);
  }
}

/**
 * Back-off after a failed pod operation that is retried (a sandbox that
 * could not be created, a container that could not be created or started):
 * 10 s, doubling up to 5 minutes, until it succeeds. Keyed by pod uid and
 * operation; keeps the failure so a sync that comes early (another event,
 * the periodic re-sync) reports it again instead of retrying. Upstream
 * retries a failed pod sync after 10–15 s each time; the doubling keeps a
 * pod that cannot start from costing a board a runtime call and an event
 * patch every 10 s forever.
 */
export class FailureBackoff {
  private readonly clock: Clock;
  private readonly entries = new Map<string, { until: number; delayMs: number; reason: string; message: string }>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** The failure being waited out, with the milliseconds left; undefined when the operation may run now. */
  blocked(uid: string, op: string): { ms: number; reason: string; message: string } | undefined {
    const e = this.entries.get(`${uid}/${op}`);
    if (!e) return undefined;
    const ms = e.until - this.clock.now();
    return ms > 0 ? { ms, reason: e.reason, message: e.message } : undefined;
  }

  /** Records a failure; returns the delay before the next attempt. */
  failed(uid: string, op: string, reason: string, message: string): number {
    const key = `${uid}/${op}`;
    const prev = this.entries.get(key);
    const delayMs = prev ? Math.min(maxMs, prev.delayMs * 2) : initialMs;
    this.entries.set(key, { until: this.clock.now() + delayMs, delayMs, reason, message });
    return delayMs;
  }

  succeeded(uid: string, op: string): void {
    this.entries.delete(`${uid}/${op}`);
  }

  forget(uid: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(`${uid}/`)) this.entries.delete(k);
  }
}
