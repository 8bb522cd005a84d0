/**
 * Per-key exponential backoff (client-go's flowcontrol.Backoff), used to
 * slow down deleting failed daemon pods: a kubelet that keeps rejecting a
 * pod must not make the controller recreate it in a hot loop.
 */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly entries = new Map<string, { delayMs: number; lastUpdate: number }>();

  constructor(initialMs: number, maxMs: number) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  /** The current delay for `key` (0 when none). */
  get(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Starts or doubles the delay; an entry idle for twice the maximum starts over. */
  next(key: string, now: number): void {
    const e = this.entries.get(key);
    if (!e || now - e.lastUpdate > 2 * this.maxMs) this.entries.set(key, { delayMs: this.initialMs, lastUpdate: now });
    else this.entries.set(key, { delayMs: Math.min(e.delayMs * 2, this.maxMs), lastUpdate: now });
  }

  /** True while less than the current delay has passed since the last `next`. */
  inBackoffSinceUpdate(key: string, now: number): boolean {
    const e = this.entries.get(key);
    return !!e && now - e.lastUpdate < e.delayMs;
  }

  /** Drops entries idle for more than twice the maximum (bounded memory). */
  gc(now: number): void {
    for (const [k, e] of this.entries) if (now - e.lastUpdate > 2 * this.maxMs) this.entries.delete(k);
  }
}
