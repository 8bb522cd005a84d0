/**
 * Progress output of a many-node agent process (`bramble sim`): every
 * second while nodes register (count, rate, failures, queued requests),
 * then a summary every 30 s when something moved (pods by phase, Lease
 * renewals per second, sync backlog, memory).
 */
import type { Logger } from '../util/log.ts';
import type { AgentHost } from './host.ts';
import type { LimitedClient } from './limited-client.ts';

export interface Progress {
  /** Registration finished (undefined: interrupted). */
  registered(result: { registered: number; failed: number } | undefined): void;
  stop(): void;
}

/** Resident memory and how much of it the JS heap and buffers explain, in MB. */
function memory(): Record<string, number> {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1048576);
  return { rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), heapTotalMB: mb(m.heapTotal), externalMB: mb(m.external) };
}

export function startProgress(host: AgentHost, client: LimitedClient, total: number, log: Logger): Progress {
  const t0 = performance.now();
  let lastCount = 0;
  let lastAt = t0;
  const registering = setInterval(() => {
    const now = performance.now();
    const rate = ((host.registered - lastCount) * 1000) / (now - lastAt);
    lastCount = host.registered;
    lastAt = now;
    log.info(`registered ${host.registered}/${total} nodes`, {
      perSecond: Math.round(rate),
      failedAttempts: host.registrationFailures || undefined,
      queuedRequests: client.queued || undefined,
    });
  }, 1_000);
  registering.unref();

  let summary: NodeJS.Timeout | undefined;
  let lastRenewals = 0;
  let lastSummaryAt = performance.now();
  let lastLine = '';
  const summarize = () => {
    const phases: Record<string, number> = {};
    for (const p of host.pods.list()) {
      if (!host.agents.has(p['spec']?.nodeName)) continue;
      const ph = p['metadata']?.deletionTimestamp ? 'Terminating' : (p['status']?.phase ?? 'Pending');
      phases[ph] = (phases[ph] ?? 0) + 1;
    }
    let renewals = 0;
    for (const a of host.agents.values()) renewals += a.leaseRenewals;
    const now = performance.now();
    const line = JSON.stringify(phases);
    const fields = {
      nodes: host.registered,
      pods: line,
      leaseRenewalsPerSecond: Math.round(((renewals - lastRenewals) * 1000) / (now - lastSummaryAt)),
      syncQueue: host.podSync.pending,
      fallbackPodCIDRs: host.podCIDRFallbacks || undefined,
      ...memory(),
    };
    lastRenewals = renewals;
    lastSummaryAt = now;
    if (line !== lastLine) log.info('simulation', fields);
    else log.debug('simulation', fields);
    lastLine = line;
  };

  return {
    registered(result) {
      clearInterval(registering);
      if (!result) return;
      log.info(`${result.registered}/${total} nodes registered`, {
        seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
        failedAttempts: result.failed || undefined,
      });
      summary = setInterval(summarize, 30_000);
      summary.unref();
    },
    stop() {
      clearInterval(registering);
      if (summary) clearInterval(summary);
    },
  };
}
