/**
 * Fast failure detection for the nodes that announce pool addresses.
 *
 * Node readiness alone would move an address only after the node-monitor
 * grace period (40 s by default): far from MetalLB's failover "within
 * seconds", which its speakers get from memberlist. Here the server asks
 * each announcing node's agent `/healthz` every `intervalMs` (the API
 * server's client certificate, as for logs and metrics); after `failures`
 * probes in a row go unanswered the node stops being eligible to announce,
 * and its addresses move to another Ready node at once. One answer makes it
 * eligible again (an address already moved stays where it is).
 *
 * Only nodes announcing something are probed, so a cluster without pool
 * addresses pays nothing.
 */
import { logger } from '../../util/log.ts';

const log = logger('servicelb-liveness');

/** Whether the agent at address:port answered its health check (never rejects). */
export type AgentProbe = (address: string, port: number) => Promise<boolean>;

export interface LivenessOptions {
  probe: AgentProbe;
  /** The nodes to watch now: name → agent address and port (asked before each round). */
  targets: () => Map<string, { address: string; port: number }>;
  /**
   * Whether a node found down still matters once it announces nothing (it
   * could be picked again): it stays watched, and down, until it answers or
   * this says no (e.g. it turned NotReady).
   */
  keep: (node: string) => boolean;
  /** Called when a node turns down or up again. */
  changed: (node: string, down: boolean) => void;
  intervalMs?: number;
  failures?: number;
}

interface Watched {
  address: string;
  port: number;
  misses: number;
  down: boolean;
  inFlight: boolean;
}

export class AnnouncerLiveness {
  private readonly o: Required<LivenessOptions>;
  private readonly nodes = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(o: LivenessOptions) {
    this.o = { intervalMs: 1000, failures: 3, ...o };
  }

  /** Follows the current targets; nodes no longer announcing are forgotten. */
  private watch(targets: Map<string, { address: string; port: number }>): void {
    for (const [name, w] of this.nodes) if (!targets.has(name) && !(w.down && this.o.keep(name))) this.nodes.delete(name);
    for (const [name, t] of targets) {
      const cur = this.nodes.get(name);
      if (!cur) this.nodes.set(name, { ...t, misses: 0, down: false, inFlight: false });
      else if (cur.address !== t.address || cur.port !== t.port) Object.assign(cur, t, { misses: 0 });
    }
  }

  isDown(node: string): boolean {
    return this.nodes.get(node)?.down ?? false;
  }

  start(signal: AbortSignal): void {
    this.timer = setInterval(() => this.tick(), this.o.intervalMs);
    this.timer.unref();
    signal.addEventListener('abort', () => clearInterval(this.timer), { once: true });
  }

  private tick(): void {
    this.watch(this.o.targets());
    for (const [name, w] of this.nodes) {
      if (w.inFlight) continue; // a probe still waiting counts when it ends
      w.inFlight = true;
      void this.o.probe(w.address, w.port).then((ok) => {
        w.inFlight = false;
        if (this.nodes.get(name) !== w) return;
        if (ok) {
          w.misses = 0;
          if (w.down) {
            w.down = false;
            if (!this.o.targets().has(name)) this.nodes.delete(name);
            log.info('announcing node answers again', { node: name });
            this.o.changed(name, false);
          }
        } else if (++w.misses >= this.o.failures && !w.down) {
          w.down = true;
          log.warn('announcing node does not answer; moving its addresses', { node: name, misses: w.misses });
          this.o.changed(name, true);
        }
      });
    }
  }
}

/**
 * The server's probe: `GET https://address:port/healthz` with the API
 * server's client certificate (the agent accepts only that identity) and a
 * timeout shorter than the probe interval.
 */
export function createAgentProbe(cert: { certPem: string; keyPem: string }, timeoutMs = 800): AgentProbe & { close(): void } {
  let agent: import('node:https').Agent | undefined;
  const probe = (address: string, port: number) =>
    new Promise<boolean>((resolve) => {
      const https = process.getBuiltinModule('node:https');
      agent ??= new https.Agent({ keepAlive: true, maxSockets: 1, cert: cert.certPem, key: cert.keyPem, rejectUnauthorized: false });
      const req = https.request({ agent, host: address, port, path: '/healthz', method: 'GET', timeout: timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
        res.on('error', () => resolve(false));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(false));
      req.end();
    });
  return Object.assign(probe, { close: () => agent?.destroy() });
}
