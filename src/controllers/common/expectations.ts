/**
 * Expectations, after upstream's UIDTrackingControllerExpectations
 * (pkg/controller/controller_utils.go): a controller that has just created
 * or deleted pods records how many creations and which deletions it expects
 * its informer to report. Until they are all observed (or five minutes
 * pass, in case a watch event was lost), it does not act on the cache
 * again, so a resync before the informer catches up cannot create or delete
 * twice.
 *
 * Keys are controller keys (`namespace/name`); deletions are tracked by pod
 * key so a deletion seen twice (marked, then gone) counts once.
 */
import type { Clock } from '../../client/clock.ts';

/** Upstream's ExpectationsTimeout. */
export const expectationsTimeoutMs = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  at: number;
}

export class Expectations {
  private readonly clock: Clock;
  private readonly byKey = new Map<string, Expectation>();
  private readonly deleting = new Map<string, Set<string>>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** True when the controller may sync: nothing pending, nothing recorded, or the record expired. */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.at > expectationsTimeoutMs;
  }

  /** Replaces the record: `n` creations are about to be attempted. */
  expectCreations(key: string, n: number): void {
    this.byKey.set(key, { add: n, del: 0, at: this.clock.now() });
  }

  /** Replaces the record: these pods (by key) are about to be deleted. */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.deleting.set(key, new Set(podKeys));
    this.byKey.set(key, { add: 0, del: podKeys.length, at: this.clock.now() });
  }

  /** The informer saw one of our pods appear (or a create was not attempted or failed). */
  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.add--;
  }

  /** The informer saw a pod go (or start terminating); counts only pods we meant to delete, once each. */
  deletionObserved(key: string, podKey: string): void {
    const set = this.deleting.get(key);
    if (!set?.delete(podKey)) return;
    const e = this.byKey.get(key);
    if (e) e.del--;
  }

  /** Forgets a controller (it was deleted), so a new one of the same name starts clean. */
  delete(key: string): void {
    this.byKey.delete(key);
    this.deleting.delete(key);
  }

  /** For tests and logs. */
  pending(key: string): { add: number; del: number } | undefined {
    const e = this.byKey.get(key);
    return e ? { add: e.add, del: e.del } : undefined;
  }
}
