/**
 * Container logs from CRI log files, as the kubelet serves them.
 *
 * Each file line is `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`; a
 * `P` (partial) line continues in the next one. Rotated files sit beside
 * the live one as `<n>.log.<YYYYMMDD-hhmmss>` (logs/rotation.ts; read
 * oldest first, by name; `.gz` archives are skipped). Options follow the kubelet's: tailLines,
 * sinceSeconds/sinceTime, timestamps (re-printed with 9 fraction digits),
 * limitBytes, follow (polls for growth and rotation until the container
 * has stopped and nothing more arrives).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { AgentStreamError } from './runtime.ts';

export interface LogOptions {
  follow: boolean;
  tailLines?: number;
  /** Epoch nanoseconds (as bigint): lines before this are skipped. */
  sinceNs?: bigint;
  timestamps: boolean;
  limitBytes?: number;
  previous: boolean;
}

/** Parses the kubelet's /containerLogs query (the same names as pods/log). */
export function logOptions(q: URLSearchParams, now = Date.now()): LogOptions {
  const int = (k: string) => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new AgentStreamError('BadRequest', `invalid ${k} "${v}": must be a non-negative integer`);
    return n;
  };
  const bool = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  const o: LogOptions = { follow: bool('follow'), timestamps: bool('timestamps'), previous: bool('previous') };
  const tail = int('tailLines');
  if (tail !== undefined) o.tailLines = tail;
  const limit = int('limitBytes');
  if (limit !== undefined) {
    if (limit < 1) throw new AgentStreamError('BadRequest', 'limitBytes must be at least 1');
    o.limitBytes = limit;
  }
  const secs = int('sinceSeconds');
  const time = q.get('sinceTime');
  if (secs !== undefined && time) throw new AgentStreamError('BadRequest', 'at most one of sinceTime or sinceSeconds may be specified');
  if (secs !== undefined) o.sinceNs = BigInt(now - secs * 1000) * 1_000_000n;
  if (time) {
    const ns = parseTimeNs(time);
    if (ns === undefined) throw new AgentStreamError('BadRequest', `invalid sinceTime "${time}"`);
    o.sinceNs = ns;
  }
  return o;
}

/** RFC 3339 with up to 9 fraction digits → epoch nanoseconds. */
export function parseTimeNs(s: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** The timestamp as the kubelet prints it: always nine fraction digits. */
export function formatTimestamp(raw: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(raw);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}${m[3]}` : raw;
}

interface LogLine {
  time: string;
  ns: bigint;
  text: string;
}

/** Splits complete file lines into log records, joining partial (`P`) pieces. */
export class CriLogParser {
  private carry = '';
  private partial = '';

  /** Feeds file text; returns the records completed by it. */
  push(chunk: string): LogLine[] {
    const out: LogLine[] = [];
    const text = this.carry + chunk;
    const lines = text.split('\n');
    this.carry = lines.pop()!;
    for (const line of lines) {
      const a = line.indexOf(' ');
      const b = line.indexOf(' ', a + 1);
      const c = line.indexOf(' ', b + 1);
      if (a < 0 || b < 0) continue;
      const time = line.slice(0, a);
      const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
      const content = c < 0 ? '' : line.slice(c + 1);
      if (tag === 'P') {
        this.partial += content;
        continue;
      }
      out.push({ time, ns: parseTimeNs(time) ?? 0n, text: this.partial + content + '\n' });
      this.partial = '';
    }
    return out;
  }
}

/** The log files of one container instance, oldest first (rotated ones, then the live one). */
export async function logFiles(logPath: string): Promise<string[]> {
  const dir = path.dirname(logPath);
  const base = path.basename(logPath) + '.';
  let names: string[] = [];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.startsWith(base) && !n.endsWith('.gz') && !n.endsWith('.tmp'));
  } catch {
    /* the directory may not exist yet */
  }
  // Rotated names end in their rotation time (`<n>.log.YYYYMMDD-hhmmss`, logs/rotation.ts), so name order is age order.
  names.sort();
  return [...names.map((n) => path.join(dir, n)), logPath];
}

export interface LogSink {
  write(s: string): boolean | void;
  /** Resolves when the consumer can take more (backpressure). */
  drained(): Promise<void>;
  readonly closed: boolean;
}

/**
 * Writes the container's log to `sink` per `o`. `isRunning` is polled in
 * follow mode; the stream ends once the container stopped and the file has
 * stopped growing.
 */
export async function streamLogs(logPath: string, o: LogOptions, sink: LogSink, isRunning: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
  let budget = o.limitBytes ?? Infinity;
  const emit = (l: LogLine): boolean => {
    if (o.sinceNs !== undefined && l.ns < o.sinceNs) return true;
    let s = o.timestamps ? `${formatTimestamp(l.time)} ${l.text}` : l.text;
    if (Buffer.byteLength(s) > budget) s = Buffer.from(s).subarray(0, budget).toString();
    budget -= Buffer.byteLength(s);
    sink.write(s);
    return budget > 0;
  };

  // Everything already on disk (tailLines counts records from the end). When following, the
  // live file stays open: lines written to it after a rotation renamed it are still read.
  const parser = new CriLogParser();
  const files = await logFiles(logPath);
  let records: LogLine[] = [];
  let live: fs.FileHandle | undefined;
  let ino = -1;
  let pos = 0;
  try {
    for (const f of files) {
      let buf: Buffer = Buffer.alloc(0);
      try {
        if (o.follow && f === logPath) {
          live = await fs.open(f, 'r');
          ino = (await live.stat()).ino;
          buf = await readFrom(live, 0);
          pos = buf.length;
        } else buf = await fs.readFile(f);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      records.push(...parser.push(buf.toString('utf8')));
    }
    if (o.tailLines !== undefined) records = o.tailLines === 0 ? [] : records.slice(-o.tailLines);
    for (const r of records) {
      if (!emit(r)) return;
      if (sink.closed || signal.aborted) return;
    }
    await sink.drained();
    if (!o.follow) return;

    // Follow: read what the open file grows by; once the path names a new file (rotation:
    // renamed away, the runtime reopened), finish the old one and go on from the new one's start.
    let quietAfterStop = 0;
    while (!signal.aborted && !sink.closed) {
      await new Promise((r) => setTimeout(r, 200));
      let grew = false;
      if (live) {
        const buf = await readFrom(live, pos);
        pos += buf.length;
        grew = buf.length > 0;
        for (const r of parser.push(buf.toString('utf8'))) if (!emit(r)) return;
      }
      const nowIno = await inodeOf(logPath);
      if (nowIno !== -1 && nowIno !== ino) {
        if (live) {
          const rest = await readFrom(live, pos);
          for (const r of parser.push(rest.toString('utf8'))) if (!emit(r)) return;
          await live.close();
        }
        live = await fs.open(logPath, 'r').catch(() => undefined);
        ino = live ? (await live.stat()).ino : -1;
        pos = 0;
        grew = true;
      }
      if (grew) {
        await sink.drained();
        quietAfterStop = 0;
        continue;
      }
      if (!(await isRunning())) {
        // One more quiet poll after the stop, for the runtime's last writes.
        if (++quietAfterStop >= 2) return;
      }
    }
  } finally {
    await live?.close();
  }
}

/** The bytes of an open file from `pos` to its current end. */
async function readFrom(fh: fs.FileHandle, pos: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    parts.push(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return Buffer.concat(parts);
}

async function inodeOf(f: string): Promise<number> {
  try {
    return (await fs.stat(f)).ino;
  } catch {
    return -1;
  }
}
