/**
 * The load balancer as an agent runs it (src/agent/run.ts): seeded with
 * `--server` plus the list saved at the last run, health-checked with
 * /readyz against the cluster CA once the agent has joined, kept up to date
 * from the `default/kubernetes` EndpointSlice, and saved on every change.
 *
 * The port is one the OS picks: every client of the agent lives in its
 * process and learns it from `url`, and a fixed port (k3s's 6444) would
 * collide when a server's embedded agent and a standalone agent share a
 * network namespace (tests, `bramble sim`-like setups).
 */
import fs from 'node:fs/promises';
import type { Client } from '../../client/types.ts';
import { agentFiles } from '../../cluster/join/join.ts';
import { addressOfURL } from './address.ts';
import { ServerLoadBalancer, type ServerLoadBalancerOptions } from './balancer.ts';
import { followKubernetesEndpoints } from './endpoints.ts';
import { readyzCheck } from './health.ts';
import { readState, stateFilePath, StateWriter } from './state-file.ts';

export interface AgentLoadBalancerOptions extends Pick<ServerLoadBalancerOptions, 'checkIntervalMs' | 'failureThreshold' | 'recoverThreshold' | 'connectTimeoutMs' | 'healthCheck'> {
  /** The `--server` URL. */
  server: string;
  dataDir: string;
}

export interface AgentLoadBalancer {
  readonly balancer: ServerLoadBalancer;
  /** `https://127.0.0.1:<port>`: the server URL of every agent client. */
  readonly url: string;
  /** Follows the kubernetes EndpointSlice through `client` until `signal`. */
  follow(client: Client, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export async function startAgentLoadBalancer(o: AgentLoadBalancerOptions): Promise<AgentLoadBalancer> {
  const serverURL = o.server.replace(/\/+$/, '');
  const file = stateFilePath(o.dataDir);
  const saved = await readState(file, serverURL);
  const writer = new StateWriter(file, serverURL, saved);
  // The CA appears when the agent first joins (through this balancer): until then, TCP checks.
  let ca: string | undefined;
  const caPem = async () => (ca ??= await fs.readFile(agentFiles(o.dataDir).ca, 'utf8').catch(() => undefined));
  const balancer = await ServerLoadBalancer.start({
    defaultServer: addressOfURL(serverURL),
    servers: saved?.serverAddresses,
    healthCheck: o.healthCheck ?? readyzCheck(caPem),
    checkIntervalMs: o.checkIntervalMs,
    failureThreshold: o.failureThreshold,
    recoverThreshold: o.recoverThreshold,
    connectTimeoutMs: o.connectTimeoutMs,
    onServersChanged: (servers) => void writer.save(servers),
  });
  return {
    balancer,
    url: balancer.url,
    follow: (client, signal) => followKubernetesEndpoints(client, (a) => balancer.setServers(a), signal),
    async close() {
      await balancer.close();
      await writer.flush();
    },
  };
}
