/**
 * Kernel mounts the volume code makes (tmpfs for memory-backed emptyDirs
 * and for Secret/projected volumes, so secrets never reach the SD card),
 * through mount(8)/umount(8). Mount state is always read back from
 * /proc/self/mountinfo, so it is right after an agent restart too.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or below `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const p = unescape(mp);
    if (p === dir || p.startsWith(prefix)) found.add(p);
  }
  return [...found].sort((a, b) => b.length - a.length);
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await mountsUnder(dir)).includes(dir);
}

/** Mounts a tmpfs on `dir` (which must exist); `sizeBytes` caps it; `secure` adds nosuid,nodev. */
export async function mountTmpfs(dir: string, opt: { sizeBytes?: number; mode?: number; secure?: boolean } = {}): Promise<void> {
  const { sizeBytes, mode } = opt;
  const opts = opt.secure ? ['nosuid', 'nodev'] : [];
  if (sizeBytes && sizeBytes > 0) opts.push(`size=${sizeBytes}`);
  if (mode !== undefined) opts.push(`mode=${mode.toString(8)}`);
  await run('mount', ['-t', 'tmpfs', ...(opts.length ? ['-o', opts.join(',')] : []), 'tmpfs', dir]);
}

/** Unmounts everything at or below `dir`, deepest first; lazily if busy. */
export async function unmountAll(dir: string): Promise<void> {
  for (const mp of await mountsUnder(dir)) {
    try {
      await run('umount', [mp]);
    } catch {
      // A container still holding it open: detach now, the kernel frees it when released.
      await run('umount', ['-l', mp]);
    }
  }
}
