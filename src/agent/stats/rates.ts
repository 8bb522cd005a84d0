/**
 * CPU rates from cumulative counters: the rate between this sample and the
 * previous one of the same key (`usageNanoCores`, as cAdvisor and
 * containerd report it). Keys not seen in a round are dropped, so memory
 * follows what runs now.
 */
export class RateTracker {
  private last = new Map<string, { usageNs: number; atMs: number }>();
  private seen = new Set<string>();

  /** Nanocores since the previous sample of `key`, or undefined for the first one or after a reset. */
  rate(key: string, usageNs: number, atMs: number): number | undefined {
    this.seen.add(key);
    const prev = this.last.get(key);
    this.last.set(key, { usageNs, atMs });
    if (!prev || atMs <= prev.atMs || usageNs < prev.usageNs) return undefined;
    return Math.round(((usageNs - prev.usageNs) * 1000) / (atMs - prev.atMs));
  }

  /** Forgets keys not asked about since the last call. */
  sweep(): void {
    for (const k of this.last.keys()) if (!this.seen.has(k)) this.last.delete(k);
    this.seen.clear();
  }
}

export const isoFromMs = (ms: number): string => new Date(ms).toISOString();
