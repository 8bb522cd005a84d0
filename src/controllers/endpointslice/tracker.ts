/**
 * Remembers the slice writes the controller made per Service until the
 * informer cache shows them, as upstream's EndpointSliceTracker does: a
 * sync that ran on a cache older than our own writes would create
 * duplicate slices (generated names) or fight over stale versions, so such
 * a sync waits for the cache instead.
 */
import type { Informer } from '../../client/informer.ts';
import type { Obj } from '../../client/types.ts';

interface Expect {
  /** The resourceVersion we wrote, or 'deleted'. */
  rv: number | 'deleted';
  uid: string;
  at: number;
}

export class SliceTracker {
  private readonly expected = new Map<string, Map<string, Expect>>();
  private readonly slices: Informer;
  private readonly now: () => number;
  private readonly giveUpMs: number;

  constructor(slices: Informer, now: () => number, giveUpMs = 10_000) {
    this.slices = slices;
    this.now = now;
    this.giveUpMs = giveUpMs;
  }

  written(serviceKey: string, slice: Obj): void {
    this.entry(serviceKey).set(slice['metadata'].name, { rv: Number(slice['metadata'].resourceVersion), uid: slice['metadata'].uid, at: this.now() });
  }

  deleted(serviceKey: string, slice: Obj): void {
    this.entry(serviceKey).set(slice['metadata'].name, { rv: 'deleted', uid: slice['metadata'].uid, at: this.now() });
  }

  /** True while the cache is behind one of our writes for this Service (old expectations are dropped). */
  stale(serviceKey: string, namespace: string): boolean {
    const m = this.expected.get(serviceKey);
    if (!m) return false;
    for (const [name, e] of m) {
      const cur = this.slices.getByName(namespace, name);
      const seen =
        e.rv === 'deleted'
          ? !cur || cur['metadata'].uid !== e.uid
          : !!cur && (cur['metadata'].uid !== e.uid || Number(cur['metadata'].resourceVersion) >= e.rv);
      if (seen || this.now() - e.at > this.giveUpMs) m.delete(name);
    }
    if (m.size === 0) this.expected.delete(serviceKey);
    return m.size > 0;
  }

  forget(serviceKey: string): void {
    this.expected.delete(serviceKey);
  }

  private entry(serviceKey: string): Map<string, Expect> {
    let m = this.expected.get(serviceKey);
    if (!m) this.expected.set(serviceKey, (m = new Map()));
    return m;
  }
}
