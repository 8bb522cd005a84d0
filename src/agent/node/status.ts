/**
 * Node status reporting, as the kubelet's: every 10 s the node computes its
 * status and compares it with the Node as last seen; it patches
 * `nodes/<name>/status` only when something other than heartbeat times
 * differs (a condition, capacity, addresses, nodeInfo — or the node
 * lifecycle controller marked it Unknown), or when 5 minutes have passed
 * since the last report. Idle nodes therefore cost one small write per 5
 * minutes, which the server stores as a deferred heartbeat.
 */
import { deepEqual, withoutNulls } from '../../api/patch/json-value.ts';
import { isApiError } from '../../api/errors.ts';
import type { Clock } from '../../client/clock.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import { nodeStatus, type NodeConfig, type Readiness } from './node-object.ts';

const log = logger('agent/node-status');

export const statusCheckIntervalMs = 10_000;
export const statusReportIntervalMs = 300_000;

export interface StatusReporterOptions {
  client: Client;
  clock: Clock;
  config: NodeConfig;
  readiness(): Promise<Readiness>;
  /** The Node as last seen (informer cache); undefined before it is seen. */
  current(): Obj | undefined;
  /** Random extra delay per check (the simulator spreads its nodes). */
  jitterMs?: number;
  random?: () => number;
}

/** True when `next` differs from `current` in more than heartbeat times. */
export function nodeStatusChanged(current: Obj | undefined, next: Obj): boolean {
  if (!current) return true;
  const strip = (s: Obj) => ({
    ...s,
    conditions: ((s['conditions'] ?? []) as Obj[])
      .map(({ lastHeartbeatTime: _h, ...c }) => c)
      .sort((a, b) => String(a['type']).localeCompare(String(b['type']))),
  });
  const own = (s: Obj) => {
    const o: Obj = {};
    for (const k of Object.keys(next)) if (s[k] !== undefined) o[k] = s[k];
    return o;
  };
  return !deepEqual(withoutNulls(strip(own(current))), withoutNulls(strip(next)));
}

export class NodeStatusReporter {
  private readonly o: Required<StatusReporterOptions>;
  private timer?: unknown;
  private stopped = false;
  private lastReport: number;
  private running = false;
  /** Status writes done (tests, benchmarks). */
  writes = 0;

  constructor(opts: StatusReporterOptions, lastReportAt?: number) {
    this.o = { jitterMs: 0, random: Math.random, ...opts };
    this.lastReport = lastReportAt ?? this.o.clock.now();
  }

  start(firstCheckMs = statusCheckIntervalMs): void {
    this.schedule(firstCheckMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      void this.check().finally(() => this.schedule(statusCheckIntervalMs));
    }, ms + Math.floor(this.o.random() * this.o.jitterMs));
  }

  /** One check; writes when needed. Exposed for tests. */
  async check(): Promise<boolean> {
    if (this.running) return false;
    this.running = true;
    try {
      return await this.sync();
    } catch (e) {
      log.warn('node status update failed', { node: this.o.config.name, err: e });
      return false;
    } finally {
      this.running = false;
    }
  }

  private async sync(): Promise<boolean> {
    const now = this.o.clock.now();
    const current = this.o.current();
    const next = nodeStatus(this.o.config, await this.o.readiness(), current?.['status'], now);
    const due = now - this.lastReport >= statusReportIntervalMs;
    if (current && !due && !nodeStatusChanged(current['status'], next)) return false;
    try {
      await this.o.client.patch(resources.nodes, '', this.o.config.name, 'strategic', { status: next }, { subresource: 'status' });
    } catch (e) {
      // A deleted Node is re-registered by the agent, not here.
      if (isApiError(e, 'NotFound')) return false;
      throw e;
    }
    this.lastReport = now;
    this.writes++;
    return true;
  }
}
