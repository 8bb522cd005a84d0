/**
 * The DNS wire format (RFC 1035, 2782 for SRV, 3596 for AAAA, 6891 for the
 * EDNS0 OPT record): decoding whole messages and encoding answers with name
 * compression and truncation to the size the client can take.
 *
 * Only the record types cluster DNS answers with get typed data; anything
 * else keeps its raw rdata, so a message can be decoded and re-encoded.
 */
import net from 'node:net';

export const Type = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255 } as const;
export const Class = { IN: 1, ANY: 255 } as const;
export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface Srv {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface Soa {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** Typed data for A/AAAA (address text), NS/CNAME/PTR (a name), SRV, SOA; raw bytes otherwise. */
export type RData = string | Srv | Soa | Buffer;

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

export interface Edns {
  udpSize: number;
  extendedRcode: number;
  version: number;
  dnssecOk: boolean;
  /** The options, undecoded. */
  options: Buffer;
}

export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** AD and CD bits, kept so they can be echoed. */
  ad: boolean;
  cd: boolean;
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  /** The OPT pseudo-record, taken out of `additional`. */
  edns?: Edns;
}

export class WireError extends Error {}

export function emptyMessage(init: Partial<Message> = {}): Message {
  return { id: 0, qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false, rcode: 0, questions: [], answers: [], authority: [], additional: [], ...init };
}

// ---- decoding ----

class Reader {
  readonly buf: Buffer;
  pos = 0;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new WireError('message truncated');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** A possibly compressed name; pointers must point backwards, so loops cannot happen. */
  name(): string {
    const labels: string[] = [];
    let pos = this.pos;
    let jumped = false;
    let total = 0;
    for (;;) {
      if (pos >= this.buf.length) throw new WireError('name runs past the message');
      const len = this.buf[pos]!;
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new WireError('name runs past the message');
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        if (target >= pos) throw new WireError('forward compression pointer');
        if (!jumped) this.pos = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if (len & 0xc0) throw new WireError('unknown label type');
      if (len === 0) {
        if (!jumped) this.pos = pos + 1;
        break;
      }
      if (pos + 1 + len > this.buf.length) throw new WireError('label runs past the message');
      total += len + 1;
      if (total > 255) throw new WireError('name longer than 255 bytes');
      labels.push(escapeLabel(this.buf.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
    return labels.length ? labels.join('.') + '.' : '.';
  }
}

/** Label bytes as text; dots and odd bytes escaped as in zone files, so they cannot be confused with separators. */
function escapeLabel(b: Buffer): string {
  let s = '';
  for (const c of b) {
    if (c === 0x2e || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c < 0x21 || c > 0x7e) s += '\\' + String(c).padStart(3, '0');
    else s += String.fromCharCode(c);
  }
  return s;
}

function readRecord(r: Reader): ResourceRecord {
  const name = r.name();
  const type = r.u16();
  const cls = r.u16();
  const ttl = r.u32();
  const len = r.u16();
  r.need(len);
  const end = r.pos + len;
  let data: RData;
  switch (type) {
    case Type.A:
      if (len !== 4) throw new WireError('bad A record');
      data = [...r.bytes(4)].join('.');
      break;
    case Type.AAAA:
      if (len !== 16) throw new WireError('bad AAAA record');
      data = ipv6FromBytes(r.bytes(16));
      break;
    case Type.NS:
    case Type.CNAME:
    case Type.PTR:
      data = r.name();
      break;
    case Type.SRV:
      data = { priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
      break;
    case Type.SOA:
      data = { mname: r.name(), rname: r.name(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() };
      break;
    default:
      data = Buffer.from(r.bytes(len));
  }
  if (r.pos !== end) throw new WireError(`record data length mismatch (type ${type})`);
  return { name, type, class: cls, ttl, data };
}

export function decode(buf: Buffer): Message {
  const r = new Reader(buf);
  const id = r.u16();
  const flags = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  const m = emptyMessage({
    id,
    qr: !!(flags & 0x8000),
    opcode: (flags >> 11) & 0xf,
    aa: !!(flags & 0x0400),
    tc: !!(flags & 0x0200),
    rd: !!(flags & 0x0100),
    ra: !!(flags & 0x0080),
    ad: !!(flags & 0x0020),
    cd: !!(flags & 0x0010),
    rcode: flags & 0xf,
  });
  for (let i = 0; i < counts[0]; i++) m.questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  for (let i = 0; i < counts[1]; i++) m.answers.push(readRecord(r));
  for (let i = 0; i < counts[2]; i++) m.authority.push(readRecord(r));
  for (let i = 0; i < counts[3]; i++) {
    const rr = readRecord(r);
    if (rr.type === Type.OPT) {
      if (m.edns) throw new WireError('more than one OPT record');
      m.edns = {
        udpSize: rr.class,
        extendedRcode: rr.ttl >>> 24,
        version: (rr.ttl >>> 16) & 0xff,
        dnssecOk: !!(rr.ttl & 0x8000),
        options: rr.data as Buffer,
      };
    } else m.additional.push(rr);
  }
  return m;
}

// ---- encoding ----

class Writer {
  buf = Buffer.alloc(512);
  pos = 0;
  /** Offsets of names already written, by lower-cased suffix, for compression. */
  readonly names = new Map<string, number>();

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  name(name: string, compress = true): void {
    const labels = splitName(name);
    for (let i = 0; i < labels.length; i++) {
      const key = labels
        .slice(i)
        .map((l) => l.toString('latin1').toLowerCase())
        .join('.');
      const at = compress ? this.names.get(key) : undefined;
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      // Pointers have 14 bits: only names in the first 16 KiB can be targets.
      if (compress && this.pos < 0x4000) this.names.set(key, this.pos);
      const l = labels[i]!;
      this.u8(l.length);
      this.bytes(l);
    }
    this.u8(0);
  }
  /** Drops everything from `pos` on, forgetting compression targets there. */
  cut(pos: number): void {
    this.pos = pos;
    for (const [k, at] of this.names) if (at >= pos) this.names.delete(k);
  }
}

/** A name's labels as bytes, undoing the escapes `decode` makes. */
export function splitName(name: string): Buffer[] {
  if (name === '.' || name === '') return [];
  const out: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c && i + 1 < name.length) {
      const d = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        cur.push(Number(d));
        i += 3;
      } else cur.push(name.charCodeAt(++i));
    } else if (c === 0x2e) {
      if (!cur.length) throw new WireError(`empty label in ${name}`);
      out.push(Buffer.from(cur));
      cur = [];
    } else cur.push(c & 0xff);
  }
  if (cur.length) out.push(Buffer.from(cur));
  for (const l of out) if (l.length > 63) throw new WireError(`label longer than 63 bytes in ${name}`);
  return out;
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lenAt = w.pos;
  w.u16(0);
  const d = rr.data;
  if (Buffer.isBuffer(d)) w.bytes(d);
  else if (rr.type === Type.A) w.bytes(ipv4ToBytes(d as string));
  else if (rr.type === Type.AAAA) w.bytes(ipv6ToBytes(d as string));
  else if (rr.type === Type.NS || rr.type === Type.CNAME || rr.type === Type.PTR) w.name(d as string);
  else if (rr.type === Type.SRV) {
    const s = d as Srv;
    w.u16(s.priority);
    w.u16(s.weight);
    w.u16(s.port);
    // RFC 2782: the SRV target is not compressed.
    w.name(s.target, false);
  } else if (rr.type === Type.SOA) {
    const s = d as Soa;
    w.name(s.mname);
    w.name(s.rname);
    for (const v of [s.serial, s.refresh, s.retry, s.expire, s.minimum]) w.u32(v);
  } else throw new WireError(`no encoder for type ${rr.type} with typed data`);
  w.buf.writeUInt16BE(w.pos - lenAt - 2, lenAt);
}

const OPT_SIZE = 11; // root name, type, class, ttl, rdlength: an OPT with no options

/**
 * Encodes a message. With `maxSize`, records that do not fit are left out
 * and TC is set (RFC 2181 §9: a resolver then retries over TCP); the OPT
 * record is always kept.
 */
export function encode(m: Message, maxSize = 65535): Buffer {
  const w = new Writer();
  w.u16(m.id);
  w.u16(0); // flags, written last (TC may change)
  w.u16(m.questions.length);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  const optLen = m.edns ? OPT_SIZE + m.edns.options.length : 0;
  const limit = maxSize - optLen;
  let tc = m.tc;
  const counts = [0, 0, 0];
  const sections = [m.answers, m.authority, m.additional];
  outer: for (let s = 0; s < 3; s++) {
    for (const rr of sections[s]!) {
      const before = w.pos;
      writeRecord(w, rr);
      if (w.pos > limit) {
        w.cut(before);
        // Only missing answers or authority make the reply incomplete; a short additional section does not.
        if (s < 2) tc = true;
        break outer;
      }
      counts[s]!++;
    }
  }
  let arcount = counts[2]!;
  if (m.edns) {
    const e = m.edns;
    w.u8(0);
    w.u16(Type.OPT);
    w.u16(e.udpSize);
    w.u32(((e.extendedRcode & 0xff) << 24) | ((e.version & 0xff) << 16) | (e.dnssecOk ? 0x8000 : 0));
    w.u16(e.options.length);
    w.bytes(e.options);
    arcount++;
  }
  const flags =
    (m.qr ? 0x8000 : 0) |
    ((m.opcode & 0xf) << 11) |
    (m.aa ? 0x0400 : 0) |
    (tc ? 0x0200 : 0) |
    (m.rd ? 0x0100 : 0) |
    (m.ra ? 0x0080 : 0) |
    (m.ad ? 0x0020 : 0) |
    (m.cd ? 0x0010 : 0) |
    (m.rcode & 0xf);
  w.buf.writeUInt16BE(flags, 2);
  w.buf.writeUInt16BE(counts[0]!, 6);
  w.buf.writeUInt16BE(counts[1]!, 8);
  w.buf.writeUInt16BE(arcount, 10);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

// ---- addresses ----

export function ipv4ToBytes(ip: string): Buffer {
  if (!net.isIPv4(ip)) throw new WireError(`not an IPv4 address: ${ip}`);
  return Buffer.from(ip.split('.').map(Number));
}

export function ipv6ToBytes(ip: string): Buffer {
  if (!net.isIPv6(ip)) throw new WireError(`not an IPv6 address: ${ip}`);
  let s = ip;
  const out = Buffer.alloc(16);
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    const b = ipv4ToBytes(m[2]!);
    s = m[1]! + b.readUInt16BE(0).toString(16) + ':' + b.readUInt16BE(2).toString(16);
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as `::`. */
export function ipv6FromBytes(b: Buffer): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((v) => v.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}
