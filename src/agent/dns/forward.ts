/**
 * Forwarding of names outside the cluster zone to the node's own resolvers,
 * as CoreDNS's `forward . /etc/resolv.conf` does in k3s: the client's query
 * is relayed as it came (its EDNS size and flags included) under a fresh
 * id, and the reply relayed back under the client's id. Upstreams are tried
 * in turn, each with a timeout; when none answers the client gets SERVFAIL.
 */
import fs from 'node:fs';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { parseResolvConf } from '../pods/pod-config.ts';
import { logger } from '../../util/log.ts';
import { exchangeTcp, exchangeUdp, type Address } from './client.ts';

const log = logger('dns');

/** `1.2.3.4`, `1.2.3.4:5353`, `fd00::1`, `[fd00::1]:5353` → address (port 53 by default). */
export function parseUpstream(s: string): Address {
  const v6 = /^\[(.+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1]!, port: Number(v6[2] ?? 53) };
  if (net.isIP(s)) return { host: s, port: 53 };
  const i = s.lastIndexOf(':');
  const host = s.slice(0, i);
  if (i < 0 || !net.isIP(host)) throw new Error(`bad upstream DNS server ${JSON.stringify(s)}: want IP or IP:port`);
  return { host, port: Number(s.slice(i + 1)) };
}

const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';

/**
 * The node's resolvers from resolv.conf. Loopback resolvers (systemd-resolved's
 * 127.0.0.53 stub, or ourselves) would make pods' queries loop back into
 * the node, so they are dropped, and, as the kubelet and k3s do, the file
 * behind systemd-resolved's stub is read instead when that leaves nothing.
 */
export function hostUpstreams(files = ['/etc/resolv.conf', '/run/systemd/resolve/resolv.conf']): Address[] {
  for (const f of files) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    const servers = parseResolvConf(text).servers.filter((s) => !isLoopback(s.replace(/%.*$/, '')));
    if (servers.length) return servers.map(parseUpstream);
  }
  return [];
}

export interface ForwarderOptions {
  upstreams: Address[];
  /** Per upstream attempt; CoreDNS's forward plugin gives up on a reply after 2 s too. */
  timeoutMs?: number;
}

export class Forwarder {
  readonly upstreams: Address[];
  private readonly timeoutMs: number;
  private next = 0;

  constructor(opts: ForwarderOptions) {
    this.upstreams = opts.upstreams;
    this.timeoutMs = opts.timeoutMs ?? 2000;
  }

  /** Relays `query` (a whole message); resolves with the reply under the query's id, or undefined when no upstream answered. */
  async forward(query: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    const n = this.upstreams.length;
    // Start at a different upstream each time so one slow resolver does not take every query's first attempt.
    const start = this.next++ % Math.max(n, 1);
    for (let i = 0; i < n; i++) {
      const up = this.upstreams[(start + i) % n]!;
      const out = Buffer.from(query);
      out.writeUInt16BE(randomInt(0x10000), 0);
      try {
        let reply = tcp ? await exchangeTcp(out, up, this.timeoutMs) : await exchangeUdp(out, up, this.timeoutMs);
        const copy = Buffer.from(reply);
        copy.writeUInt16BE(query.readUInt16BE(0), 0);
        reply = copy;
        return reply;
      } catch (e) {
        log.warn('upstream DNS server failed', { upstream: `${up.host}:${up.port}`, err: e instanceof Error ? e.message : String(e) });
      }
    }
    return undefined;
  }
}
