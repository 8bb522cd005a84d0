/**
 * How the load balancer decides a server is alive. A check resolves when
 * the server answers and rejects otherwise; the balancer calls it every
 * couple of seconds with a timeout and counts consecutive failures
 * (balancer.ts), so one lost packet does not move the agent.
 *
 * - `tcpCheck`: the port accepts a connection. Catches a board that lost
 *   power or a process that died (the cases that leave watches hanging).
 * - `readyzCheck`: GET /readyz over TLS verified against the cluster CA
 *   (/readyz is public: src/apiserver/auth.ts). Also catches an API server
 *   that accepts connections but cannot serve (not bootstrapped yet, its
 *   storage gone), and a stranger listening on the address. Falls back to
 *   `tcpCheck` until the CA is known (before the first join).
 */
import net from 'node:net';
import https from 'node:https';
import { splitAddress } from './address.ts';

export type HealthCheck = (address: string, timeoutMs: number) => Promise<void>;

export const tcpCheck: HealthCheck = (address, timeoutMs) =>
  new Promise((resolve, reject) => {
    const { host, port } = splitAddress(address);
    const s = net.connect({ host, port });
    const timer = setTimeout(() => s.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });

export function readyzCheck(caPem: () => Promise<string | undefined>): HealthCheck {
  return async (address, timeoutMs) => {
    const ca = await caPem();
    if (!ca) return tcpCheck(address, timeoutMs);
    return new Promise((resolve, reject) => {
      const { host, port } = splitAddress(address);
      const req = https.request(
        {
          host,
          port,
          path: '/readyz',
          method: 'GET',
          ca,
          // The chain must be the cluster's; the name need not match: a server learned from the
          // EndpointSlice is dialled by an address its certificate may not list, and the agent's
          // own clients verify 127.0.0.1 (a SAN of every server) through the balancer anyway.
          checkServerIdentity: () => undefined,
          agent: false,
          timeout: timeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`/readyz answered ${res.statusCode}`))));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  };
}
