/**
 * Stale UDP flows. A UDP "connection" to a Service is a conntrack entry
 * holding the DNAT to one endpoint; it lives as long as packets keep coming
 * (a DNS client reusing its source port, a syslog or CoAP sender), so when
 * that endpoint goes away the client would keep sending into the void even
 * though the rules now point elsewhere. After each sync the proxy deletes
 * the entries that lead to endpoints it no longer uses, and, when a UDP
 * Service gets its first endpoint, any entry made while it had none — as
 * kube-proxy does. TCP needs none of this: a dead endpoint resets or times
 * out, and the client reconnects through the new rules.
 */
import { spawn } from 'node:child_process';
import type { ServicePort } from './model.ts';

/** One `conntrack -D` filter: UDP to `dst`:`port` (any local address when absent), DNATed to `endpoint` (any when absent). */
export interface StaleFlow {
  dst?: string;
  port: number;
  endpoint?: string;
}

/** Runs `conntrack` with the given arguments; resolves whether or not entries matched. */
export type ConntrackRunner = (args: string[]) => Promise<void>;

const endpointIPs = (p: ServicePort | undefined) => new Set([...(p?.cluster ?? []), ...(p?.local ?? [])].map((e) => e.ip));

/** The flows to delete after going from `prev` to `next` (pure). */
export function staleUdpFlows(prev: readonly ServicePort[], next: readonly ServicePort[]): StaleFlow[] {
  const before = new Map(prev.filter((p) => p.protocol === 'udp').map((p) => [p.id, p]));
  const out: StaleFlow[] = [];
  const addresses = (p: ServicePort): { dst?: string; port: number }[] => [
    { dst: p.clusterIP, port: p.port },
    ...p.externalIPs.map((ip) => ({ dst: ip, port: p.port })),
    ...(p.nodePort ? [{ port: p.nodePort }] : []),
  ];
  for (const p of next) {
    if (p.protocol !== 'udp') continue;
    const old = before.get(p.id);
    before.delete(p.id);
    const now = endpointIPs(p);
    const was = endpointIPs(old);
    if (was.size === 0 && now.size > 0) {
      for (const a of addresses(p)) out.push(a);
      continue;
    }
    for (const ip of was) if (!now.has(ip)) for (const a of addresses(old!)) out.push({ ...a, endpoint: ip });
  }
  // Service ports that are gone altogether: nothing of theirs is served any more.
  for (const old of before.values()) for (const ip of endpointIPs(old)) for (const a of addresses(old)) out.push({ ...a, endpoint: ip });
  return out;
}

export function conntrackArgs(f: StaleFlow): string[] {
  return ['-D', '-p', 'udp', ...(f.dst ? ['--orig-dst', f.dst] : []), '--orig-port-dst', String(f.port), ...(f.endpoint ? ['--reply-src', f.endpoint] : [])];
}

/** `conntrack …` (default in this namespace). Exit status 1 with nothing deleted is not a failure. */
export function conntrackCommand(cmd: string[] = ['conntrack']): ConntrackRunner {
  return (args) =>
    new Promise((resolve, reject) => {
      const child = spawn(cmd[0]!, [...cmd.slice(1), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 || /0 flow entries/.test(err) ? resolve() : reject(new Error(`conntrack exited ${code}: ${err.trim()}`))));
    });
}

export const defaultConntrack: ConntrackRunner = conntrackCommand();
