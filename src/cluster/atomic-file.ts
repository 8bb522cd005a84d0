/**
 * Crash-safe file replacement for keys, certificates and kubeconfigs.
 * A reader (or the next start after a power cut, common on a Pi) sees the
 * old file or the new one, never a torn one; and a secret is never readable
 * by others, even briefly, whatever the umask.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `data` to a temporary file beside `file` with mode 0600, fsyncs it,
 * sets the exact `mode` (chmod is not subject to the umask), renames it over
 * `file`, then fsyncs the directory so the rename itself survives a power cut.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode: number): Promise<void> {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new RangeError(`invalid file mode ${mode}`);
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(data);
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the data itself is already synced.
  } finally {
    await dh.close();
  }
}
