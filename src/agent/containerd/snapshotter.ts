/**
 * Picks containerd's snapshotter for a data directory: overlayfs when the
 * kernel can mount an overlay with its upper directory on that filesystem
 * (not on another overlay, not on some FUSE or network filesystems), else
 * native (plain copies: slower and larger, but works anywhere).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Tries a real overlay mount under `dir` (which must exist); needs root. */
export function detectSnapshotter(dir: string): 'overlayfs' | 'native' {
  if (!/\toverlay$/m.test(readOr('/proc/filesystems'))) return 'native';
  const probe = fs.mkdtempSync(path.join(dir, '.overlay-probe-'));
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => path.join(probe, d));
  try {
    for (const d of [lower, upper, work, merged]) fs.mkdirSync(d);
    const opts = `lowerdir=${lower},upperdir=${upper},workdir=${work}`;
    const mounted = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', opts, merged], { stdio: 'ignore' }).status === 0;
    if (!mounted) return 'native';
    spawnSync('umount', [merged], { stdio: 'ignore' });
    return 'overlayfs';
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
