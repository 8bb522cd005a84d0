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
