/**
 * hostPath `type` checks, with upstream's semantics and messages:
 * DirectoryOrCreate makes the directory (0755, parents too), FileOrCreate
 * makes an empty file (0644; its parent must exist), the others only check.
 * An empty type checks nothing.
 */
import * as fs from 'node:fs/promises';
import type { Stats } from 'node:fs';

async function stat(p: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(p);
  } catch {
    return undefined;
  }
}

/** Returns the failure text, or undefined when `p` satisfies `type`. */
export async function checkHostPathType(p: string, type: string | undefined): Promise<string | undefined> {
  const t = type ?? '';
  if (t === '') return undefined;
  let st = await stat(p);
  // The *OrCreate types create what is missing, then check like their plain forms.
  if (!st && (t === 'DirectoryOrCreate' || t === 'FileOrCreate')) {
    try {
      if (t === 'DirectoryOrCreate') await fs.mkdir(p, { recursive: true, mode: 0o755 });
      else await (await fs.open(p, 'a', 0o644)).close();
    } catch (e) {
      return (e as Error).message;
    }
    st = await stat(p);
  }
  switch (t) {
    case 'DirectoryOrCreate':
    case 'Directory':
      return st?.isDirectory() ? undefined : `hostPath type check failed: ${p} is not a directory`;
    case 'FileOrCreate':
    case 'File':
      return st?.isFile() ? undefined : `hostPath type check failed: ${p} is not a file`;
    case 'Socket':
      return st?.isSocket() ? undefined : `hostPath type check failed: ${p} is not a socket file`;
    case 'CharDevice':
      return st?.isCharacterDevice() ? undefined : `hostPath type check failed: ${p} is not a character device`;
    case 'BlockDevice':
      return st?.isBlockDevice() ? undefined : `hostPath type check failed: ${p} is not a block device`;
    default:
      return `${t} is an invalid volume type`;
  }
}
