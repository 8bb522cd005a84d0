/**
 * A minimal DNS client: one message out, one reply back, over UDP or TCP.
 * The forwarder relays raw messages with it; tests and the benchmark ask
 * questions with `query`.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { decode, emptyMessage, encode, Class, type Message } from './wire.ts';

export interface Address {
  host: string;
  port: number;
}

/** Sends `msg` over UDP from a fresh random port and resolves with the first reply carrying its id. */
export function exchangeUdp(msg: Buffer, to: Address, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(to.host) ? 'udp6' : 'udp4');
    const id = msg.readUInt16BE(0);
    const timer = setTimeout(() => finish(new Error(`DNS query to ${to.host}:${to.port} timed out after ${timeoutMs} ms`)), timeoutMs);
    function finish(err: Error | null, reply?: Buffer): void {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(reply!);
    }
    // Only the server we asked, with our id, may answer (anything else could be spoofed).
    sock.on('message', (b, rinfo) => {
      if (b.length >= 12 && b.readUInt16BE(0) === id && rinfo.port === to.port) finish(null, b);
    });
    sock.on('error', (e) => finish(e));
    sock.send(msg, to.port, to.host);
  });
}

/** Sends `msg` over TCP with the two-byte length prefix (RFC 1035 §4.2.2) and resolves with the reply. */
export function exchangeTcp(msg: Buffer, to: Address, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(to.port, to.host);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`DNS TCP query to ${to.host}:${to.port} timed out after ${timeoutMs} ms`)), timeoutMs);
    function finish(err: Error | null, reply?: Buffer): void {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(reply!);
    }
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length);
    sock.on('connect', () => sock.write(Buffer.concat([len, msg])));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(null, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.on('error', (e) => finish(e));
    sock.on('end', () => finish(new Error('connection closed before a reply')));
  });
}

export interface QueryOptions {
  tcp?: boolean;
  /** Adds an OPT record advertising this UDP size. */
  ednsUdpSize?: number;
  timeoutMs?: number;
  recursionDesired?: boolean;
}

/** Asks one question and decodes the reply. */
export async function query(server: Address, name: string, type: number, opts: QueryOptions = {}): Promise<Message> {
  const q = emptyMessage({ id: randomInt(0x10000), rd: opts.recursionDesired ?? true, questions: [{ name, type, class: Class.IN }] });
  if (opts.ednsUdpSize) q.edns = { udpSize: opts.ednsUdpSize, extendedRcode: 0, version: 0, dnssecOk: false, options: Buffer.alloc(0) };
  const wire = encode(q);
  const timeout = opts.timeoutMs ?? 2000;
  const reply = opts.tcp ? await exchangeTcp(wire, server, timeout) : await exchangeUdp(wire, server, timeout);
  return decode(reply);
}
