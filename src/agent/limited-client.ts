/**
 * A Client wrapper that bounds how many requests are in flight (watches
 * excepted: they are long-lived and few). Thousands of simulated nodes share
 * one HTTP/2 session; without a bound a burst of pod starts would put
 * thousands of streams on it and the heartbeats would queue behind them.
 * The agent gives its heartbeats (Lease, node status) the unwrapped client,
 * as the kubelet keeps them off its throttled main client.
 */
import type { Client, ClientWatch, DeleteOptions, ListOptions, ListResult, Obj, PatchType, ResourceId, WatchOptions, WriteOptions } from '../client/types.ts';

export class LimitedClient implements Client {
  private readonly inner: Client;
  private readonly max: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(inner: Client, maxInFlight: number) {
    this.inner = inner;
    this.max = Math.max(1, maxInFlight);
  }

  get userName(): string {
    return this.inner.userName;
  }

  /** Requests waiting for a slot (progress output). */
  get queued(): number {
    return this.waiting.length;
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  get(r: ResourceId, namespace: string, name: string, opts?: { resourceVersion?: string }): Promise<Obj> {
    return this.run(() => this.inner.get(r, namespace, name, opts));
  }
  list(r: ResourceId, namespace: string, opts?: ListOptions): Promise<ListResult> {
    return this.run(() => this.inner.list(r, namespace, opts));
  }
  watch(r: ResourceId, namespace: string, opts: WatchOptions & { timeoutSeconds?: number }, signal: AbortSignal): Promise<ClientWatch> {
    return this.inner.watch(r, namespace, opts, signal);
  }
  create(r: ResourceId, namespace: string, obj: Obj, opts?: WriteOptions): Promise<Obj> {
    return this.run(() => this.inner.create(r, namespace, obj, opts));
  }
  update(r: ResourceId, namespace: string, obj: Obj, opts?: WriteOptions & { subresource?: string }): Promise<Obj> {
    return this.run(() => this.inner.update(r, namespace, obj, opts));
  }
  patch(r: ResourceId, namespace: string, name: string, type: PatchType | 'apply', body: unknown, opts?: WriteOptions & { subresource?: string }): Promise<Obj> {
    return this.run(() => this.inner.patch(r, namespace, name, type, body, opts));
  }
  delete(r: ResourceId, namespace: string, name: string, opts?: DeleteOptions): Promise<void> {
    return this.run(() => this.inner.delete(r, namespace, name, opts));
  }
  createSubresource(r: ResourceId, namespace: string, name: string, subresource: string, body: Obj): Promise<void> {
    return this.run(() => this.inner.createSubresource(r, namespace, name, subresource, body));
  }
}
