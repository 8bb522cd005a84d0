/**
 * Container log rotation, as the kubelet's container log manager does it.
 *
 * Every `intervalMs` (10 s) each running container's CRI log file
 * (`ContainerStatus.logPath`, written by the runtime) is checked; one that
 * has reached `maxSizeBytes` (10 MiB) is rotated:
 *
 * 1. leftovers of an interrupted earlier round go: `*.tmp` files, and
 *    rotated files whose `.gz` already exists;
 * 2. the oldest rotated files are deleted so that, with the live file and
 *    the one about to be rotated, at most `maxFiles` (5) remain;
 * 3. all rotated files but the newest are gzipped (`<file>.gz`, written as
 *    `<file>.gz.tmp` first), unless `compress` is false;
 * 4. the live file is renamed to `<logPath>.<YYYYMMDD-hhmmss>` and the
 *    runtime is asked to reopen its log (CRI ReopenContainerLog); if it
 *    cannot, the file is renamed back and the next round tries again.
 *
 * A live file that is missing (a reopen that failed after the rename, or an
 * agent killed in between) is recovered by asking the runtime to reopen it.
 *
 * Differences from upstream: the timestamp is UTC (upstream uses the
 * kubelet's local time), and a rotation whose target name exists (two in
 * one second) waits for the next round instead of overwriting it.
 *
 * Containers are handled one at a time (upstream's default of one worker):
 * a Pi's SD card does not want parallel gzips.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { realClock, type Clock } from '../../client/clock.ts';
import { logger } from '../../util/log.ts';
import type { Runtime } from '../runtime/types.ts';

const log = logger('agent/logs');

/** The kubelet's defaults (containerLogMaxSize, containerLogMaxFiles, containerLogMonitorInterval). */
export const DEFAULT_MAX_SIZE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 5;
export const DEFAULT_INTERVAL_MS = 10_000;

const compressSuffix = '.gz';
const tmpSuffix = '.tmp';

export interface LogRotationOptions {
  runtime: Pick<Runtime, 'listContainers' | 'reopenContainerLog'>;
  /** A live log at least this big is rotated; default 10 MiB. */
  maxSizeBytes?: number;
  /** Files kept per container log, the live one included; at least 2; default 5. */
  maxFiles?: number;
  /** How often containers are checked; default 10 s. */
  intervalMs?: number;
  /** gzip rotated files but the newest (upstream does); default true. */
  compress?: boolean;
  clock?: Clock;
}

/** `<logPath>.<YYYYMMDD-hhmmss>` (UTC): upstream's rotated file name (Go layout `20060102-150405`). */
export function rotatedName(logPath: string, nowMs: number): string {
  const d = new Date(nowMs);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${logPath}.${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** Parses a size as the kubelet flag takes it: `10Mi`, `64Ki`, `1G`, `500` (bytes). */
export function parseLogSize(s: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(s.trim());
  if (!m) throw new Error(`invalid log size "${s}": use a number of bytes with an optional Ki, Mi, Gi, K, M or G suffix`);
  const mult: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * mult[m[2] ?? '']!;
}

export class ContainerLogManager {
  private readonly o: Required<Omit<LogRotationOptions, 'runtime'>>;
  private readonly runtime: LogRotationOptions['runtime'];
  private timer: unknown;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(opts: LogRotationOptions) {
    this.runtime = opts.runtime;
    this.o = {
      maxSizeBytes: opts.maxSizeBytes ?? DEFAULT_MAX_SIZE_BYTES,
      maxFiles: opts.maxFiles ?? DEFAULT_MAX_FILES,
      intervalMs: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
      compress: opts.compress ?? true,
      clock: opts.clock ?? realClock,
    };
    if (!(this.o.maxSizeBytes > 0)) throw new Error(`container log max size must be positive, got ${this.o.maxSizeBytes}`);
    if (!Number.isInteger(this.o.maxFiles) || this.o.maxFiles < 2) throw new Error(`container log max files must be at least 2, got ${this.o.maxFiles}`);
  }

  /** Starts the periodic check (the first after one interval). */
  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.round = this.rotateAll()
        .catch((e) => log.warn('container log rotation failed', { err: e }))
        .finally(() => {
          this.round = undefined;
          if (!this.stopped) this.timer = this.o.clock.setTimeout(tick, this.o.intervalMs);
        });
    };
    this.timer = this.o.clock.setTimeout(tick, this.o.intervalMs);
  }

  /** Stops the loop and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    await this.round;
  }

  /** One round over every running container; a failure on one does not stop the others. */
  async rotateAll(): Promise<void> {
    const containers = await this.runtime.listContainers();
    for (const c of containers) {
      if (c.state !== 'running' || !c.logPath) continue;
      try {
        await this.check(c.id, c.logPath);
      } catch (e) {
        log.warn('cannot rotate container log', { container: c.id, path: c.logPath, err: e });
      }
    }
  }

  /** Rotates one container's log if it has grown to the limit. */
  async check(id: string, logPath: string): Promise<void> {
    let size: number;
    try {
      size = (await fs.stat(logPath)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // Lost after a rename whose reopen failed: ask the runtime for a new file.
      await this.runtime.reopenContainerLog(id);
      size = (await fs.stat(logPath)).size;
    }
    if (size < this.o.maxSizeBytes) return;
    await this.rotate(id, logPath);
  }

  /** Steps 1–4 of the header, for one container log. */
  async rotate(id: string, logPath: string): Promise<void> {
    let rotated = await rotatedFiles(logPath);
    rotated = await this.removeUnused(rotated);
    rotated = await this.removeExcess(rotated);
    if (this.o.compress) await this.compressAllButNewest(rotated);
    const target = rotatedName(logPath, this.o.clock.now());
    if ((await exists(target)) || (await exists(target + compressSuffix))) {
      log.debug('rotated log name taken; rotating next round', { path: target });
      return;
    }
    await fs.rename(logPath, target);
    try {
      await this.runtime.reopenContainerLog(id);
    } catch (e) {
      // Put it back so the next round can try again (as upstream).
      await fs.rename(target, logPath).catch((re) => log.error('cannot rename a rotated log back: the container log is lost until reopened', { path: logPath, err: re }));
      throw e;
    }
  }

  private async removeUnused(files: string[]): Promise<string[]> {
    const all = new Set(files);
    const keep: string[] = [];
    for (const f of files) {
      const unused = f.endsWith(tmpSuffix) || (!f.endsWith(compressSuffix) && all.has(f + compressSuffix));
      if (unused) await fs.rm(f, { force: true });
      else keep.push(f);
    }
    return keep;
  }

  private async removeExcess(files: string[]): Promise<string[]> {
    // Names sort oldest first (the timestamp). The live file and the one about to be rotated take two places.
    const sorted = [...files].sort();
    const keep = Math.max(0, this.o.maxFiles - 2);
    const excess = sorted.slice(0, Math.max(0, sorted.length - keep));
    for (const f of excess) await fs.rm(f, { force: true });
    return sorted.slice(excess.length);
  }

  private async compressAllButNewest(files: string[]): Promise<void> {
    for (const f of files.slice(0, -1)) {
      if (f.endsWith(compressSuffix)) continue;
      const tmp = f + compressSuffix + tmpSuffix;
      try {
        await pipeline(createReadStream(f), createGzip(), createWriteStream(tmp, { mode: 0o640 }));
        await fs.rename(tmp, f + compressSuffix);
      } catch (e) {
        await fs.rm(tmp, { force: true });
        throw e;
      }
      await fs.rm(f, { force: true });
    }
  }
}

/** The rotated files of a log (`<logPath>.*`), in any order. */
export async function rotatedFiles(logPath: string): Promise<string[]> {
  const dir = path.dirname(logPath);
  const prefix = path.basename(logPath) + '.';
  try {
    return (await fs.readdir(dir)).filter((n) => n.startsWith(prefix)).map((n) => path.join(dir, n));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

async function exists(f: string): Promise<boolean> {
  try {
    await fs.lstat(f);
    return true;
  } catch {
    return false;
  }
}
