/**
 * The cluster DNS server: UDP and TCP listeners (RFC 1035 §4.2, TCP with a
 * two-byte length prefix, several queries per connection), answering the
 * cluster zone from Service and EndpointSlice informers and forwarding
 * everything else to the node's resolvers.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { Informer, type InformerFactory } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import type { Address } from './client.ts';
import { Forwarder, hostUpstreams, parseUpstream } from './forward.ts';
import { ClusterRecords } from './records.ts';
import { Class, Rcode, Type, decode, emptyMessage, encode, type Message } from './wire.ts';
import { ClusterZone } from './zone.ts';

const log = logger('dns');

export interface ClusterDnsOptions {
  client: Client;
  /** Where to listen, UDP and TCP each; port 0 picks one (the same for both). */
  listen: Address[];
  /** The cluster domain (`--cluster-domain`); default cluster.local. */
  domain?: string;
  /** Resolvers for other names, `IP` or `IP:port`; default the node's resolv.conf without loopback ones. */
  upstreams?: string[];
  /** Per upstream attempt, default 2 s. */
  forwardTimeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Share the agent's informers (e.g. with the service proxy, which watches the same
   * Services and EndpointSlices) instead of running our own; the factory's owner starts it.
   */
  informers?: InformerFactory;
}

export interface ClusterDns {
  /** The port bound for each `listen` entry, in order. */
  ports: number[];
  /** Resolves once Services and EndpointSlices are listed (until then cluster names get SERVFAIL). */
  synced: Promise<void>;
  /** The resolvers other names go to. */
  upstreams: Address[];
  close(): Promise<void>;
}

/** The largest UDP reply we send whatever a client advertises (the DNS flag day 2020 figure is 1232; CoreDNS caps at 4096). */
const MAX_UDP = 4096;
const TCP_IDLE_MS = 10_000;

export async function startClusterDns(opts: ClusterDnsOptions): Promise<ClusterDns> {
  const records = new ClusterRecords();
  const zone = new ClusterZone(records, opts.domain ?? 'cluster.local');
  // Never forward to ourselves: a query would circle until every hop timed out.
  const self = new Set(opts.listen.filter((l) => l.port !== 0).map((l) => `${l.host}:${l.port}`));
  const upstreams = (opts.upstreams ? opts.upstreams.map(parseUpstream) : hostUpstreams()).filter((u) => !self.has(`${u.host}:${u.port}`));
  if (!upstreams.length) log.warn('no upstream DNS servers: names outside the cluster will get SERVFAIL');
  const forwarder = new Forwarder({ upstreams, timeoutMs: opts.forwardTimeoutMs });

  const stop = new AbortController();
  const onAbort = () => void close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const services = opts.informers?.informer(resources.services) ?? new Informer(opts.client, resources.services);
  const slices = opts.informers?.informer(resources.endpointslices) ?? new Informer(opts.client, resources.endpointslices);
  // A shared informer keeps calling handlers after we close; `stop` makes them no-ops then.
  const live = (fn: (o: Obj) => void) => (o: Obj) => {
    if (!stop.signal.aborted) fn(o);
  };
  services.addHandler({ add: live((o) => records.upsertService(o)), update: (_, o) => live((x) => records.upsertService(x))(o), delete: live((o) => records.deleteService(o)) });
  slices.addHandler({ add: live((o) => records.upsertSlice(o)), update: (_, o) => live((x) => records.upsertSlice(x))(o), delete: live((o) => records.deleteSlice(o)) });
  const running = opts.informers ? [] : [services.run(stop.signal), slices.run(stop.signal)];
  let ready = false;
  const synced = Promise.all([services.ready, slices.ready]).then(() => {
    ready = true;
  });

  /** The reply to one query message (undefined: drop it). */
  async function handle(buf: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    if (buf.length < 12) return undefined;
    let q: Message;
    try {
      q = decode(buf);
    } catch {
      // Undecodable: FORMERR with the header echoed, as far as we can trust it.
      if (buf[2]! & 0x80) return undefined;
      return encode(emptyMessage({ id: buf.readUInt16BE(0), qr: true, opcode: (buf[2]! >> 3) & 0xf, rcode: Rcode.FORMERR }));
    }
    if (q.qr) return undefined; // a reply sent to us: never answer those (loops)
    const reply = emptyMessage({ id: q.id, qr: true, opcode: q.opcode, rd: q.rd, ra: true, cd: q.cd, questions: q.questions });
    if (q.edns) reply.edns = { udpSize: Math.min(Math.max(q.edns.udpSize, 512), MAX_UDP), extendedRcode: 0, version: 0, dnssecOk: q.edns.dnssecOk, options: Buffer.alloc(0) };
    const maxSize = tcp ? 65535 : q.edns ? Math.min(Math.max(q.edns.udpSize, 512), MAX_UDP) : 512;
    if (q.opcode !== 0) return encode({ ...reply, rcode: Rcode.NOTIMP });
    if (q.questions.length !== 1) return encode({ ...reply, rcode: Rcode.FORMERR });
    const question = q.questions[0]!;
    // No zone transfers: the cluster's names are not for listing (CoreDNS needs `transfer` for that).
    if (question.type === Type.AXFR || question.type === Type.IXFR) return encode({ ...reply, rcode: Rcode.REFUSED });
    const answer = question.class === Class.IN || question.class === Class.ANY ? zone.answer(question.name, question.type) : undefined;
    if (answer) {
      if (!ready) return encode({ ...reply, rcode: Rcode.SERVFAIL });
      reply.aa = true;
      reply.rcode = answer.rcode;
      reply.answers = answer.answers;
      reply.authority = answer.authority;
      reply.additional = answer.additional;
      try {
        return encode(reply, maxSize);
      } catch (e) {
        // Data we cannot put on the wire (say an ExternalName with a label over 63 bytes): say so, do not go silent.
        log.warn('cannot encode answer', { name: question.name, err: e instanceof Error ? e.message : String(e) });
        return encode({ ...reply, aa: false, rcode: Rcode.SERVFAIL, answers: [], authority: [], additional: [] }, maxSize);
      }
    }
    const relayed = await forwarder.forward(buf, tcp);
    return relayed ?? encode({ ...reply, rcode: Rcode.SERVFAIL });
  }

  const udpSockets: dgram.Socket[] = [];
  const tcpServers: net.Server[] = [];
  const conns = new Set<net.Socket>();
  const ports: number[] = [];

  function serveUdp(sock: dgram.Socket): void {
    sock.on('message', (msg, rinfo) => {
      handle(msg, false).then(
        (out) => out && sock.send(out, rinfo.port, rinfo.address),
        (e) => log.error('DNS query failed', { err: e instanceof Error ? e.message : String(e) }),
      );
    });
    sock.on('error', (e) => log.warn('DNS UDP socket error', { err: e.message }));
  }

  function serveTcp(conn: net.Socket): void {
    conns.add(conn);
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('close', () => conns.delete(conn));
    conn.on('error', () => {});
    let buf = Buffer.alloc(0);
    conn.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        // Replies may go out of order; each carries its query's id (RFC 7766 §6.2.1.1).
        handle(Buffer.from(msg), true).then(
          (out) => {
            if (!out || conn.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(out.length);
            conn.write(Buffer.concat([len, out]));
          },
          (e) => log.error('DNS query failed', { err: e instanceof Error ? e.message : String(e) }),
        );
      }
    });
  }

  async function bind(addr: Address): Promise<number> {
    // With port 0, UDP picks the port and TCP must get the same; retry if TCP finds it taken.
    for (let attempt = 0; ; attempt++) {
      const sock = dgram.createSocket(net.isIPv6(addr.host) ? 'udp6' : 'udp4');
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(addr.port, addr.host, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      const port = sock.address().port;
      const srv = net.createServer(serveTcp);
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(port, addr.host, () => {
            srv.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        sock.close();
        if (addr.port !== 0 || attempt >= 5) throw e;
        continue;
      }
      serveUdp(sock);
      udpSockets.push(sock);
      tcpServers.push(srv);
      return port;
    }
  }

  let closed: Promise<void> | undefined;
  function close(): Promise<void> {
    closed ??= (async () => {
      opts.signal?.removeEventListener('abort', onAbort);
      stop.abort();
      for (const s of udpSockets) s.close();
      for (const c of conns) c.destroy();
      await Promise.all(tcpServers.map((s) => new Promise((r) => s.close(r))));
      await Promise.all(running);
    })();
    return closed;
  }

  try {
    for (const l of opts.listen) ports.push(await bind(l));
  } catch (e) {
    await close();
    throw e;
  }
  log.info('cluster DNS listening', { listen: opts.listen.map((l, i) => `${l.host}:${ports[i]}`).join(','), domain: zone.domain, upstreams: upstreams.map((u) => `${u.host}:${u.port}`).join(',') });
  return { ports, synced, upstreams, close };
}
