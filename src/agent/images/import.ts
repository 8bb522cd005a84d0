/**
 * Side-loads image archives (OCI layout or docker-archive `.tar` files)
 * into containerd's `k8s.io` namespace, where the CRI plugin sees them:
 * how an air-gapped node gets its images, as k3s does with
 * `agent/images/*.tar`. Shells out to containerd's own `ctr`, which
 * imports and unpacks into the snapshotter in one go.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { logger, type Logger } from '../../util/log.ts';

export interface ImportOptions {
  /** containerd's gRPC socket. */
  address: string;
  /** Archives to import, in order. */
  files: string[];
  /** containerd namespace; the CRI plugin uses `k8s.io`. */
  namespace?: string;
  /** Snapshotter to unpack into: must be the CRI plugin's, or containers unpack again on create. */
  snapshotter?: string;
  /** The `ctr` binary; default from PATH. */
  ctr?: string;
  /** Per archive; default 10 minutes (a Pi's SD card is slow). */
  timeoutMs?: number;
  log?: Logger;
}

export interface ImportedArchive {
  file: string;
  /** Image names the archive carried, as containerd recorded them. */
  images: string[];
  bytes: number;
  ms: number;
}

export type ImageImportErrorCode =
  /** ctr exited non-zero or was killed at the timeout. */
  | 'IMPORT_FAILED'
  /** The archive or the ctr binary does not exist. */
  | 'NOT_FOUND';

export class ImageImportError extends Error {
  readonly code: ImageImportErrorCode;
  readonly file: string;
  constructor(code: ImageImportErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageImportError';
    this.code = code;
    this.file = file;
  }
}

/** Imports each archive in turn; the first failure stops and throws. */
export async function importImages(opts: ImportOptions): Promise<ImportedArchive[]> {
  const log = opts.log ?? logger('images');
  const out: ImportedArchive[] = [];
  for (const [i, file] of opts.files.entries()) {
    let bytes: number;
    try {
      bytes = fs.statSync(file).size;
    } catch (e) {
      throw new ImageImportError('NOT_FOUND', file, `image archive ${file} not found`, { cause: e });
    }
    log.info('importing image archive', { file, mb: +(bytes / 2 ** 20).toFixed(1), progress: `${i + 1}/${opts.files.length}` });
    const t0 = performance.now();
    const images = await runCtrImport(opts, file, log);
    const ms = Math.round(performance.now() - t0);
    log.info('imported image archive', { file, images: images.join(','), ms });
    out.push({ file, images, bytes, ms });
  }
  return out;
}

/** The `*.tar` files in a directory, sorted (k3s's airgap images folder); none if it does not exist. */
export function imageArchivesIn(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter((n) => n.endsWith('.tar')).sort().map((n) => path.join(dir, n));
}

function runCtrImport(opts: ImportOptions, file: string, log: Logger): Promise<string[]> {
  const args = ['--address', opts.address, '--namespace', opts.namespace ?? 'k8s.io', 'images', 'import'];
  if (opts.snapshotter) args.push('--snapshotter', opts.snapshotter);
  args.push(file);
  const ctr = opts.ctr ?? 'ctr';
  return new Promise((resolve, reject) => {
    const child = spawn(ctr, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const images: string[] = [];
    let stderr = '';
    let partial = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      // One line per image: "unpacking <name> (sha256:…)...done".
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        log.debug('ctr', { line });
        const m = /^unpacking (\S+) \(/.exec(line);
        if (m) images.push(m[1]);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = err.code === 'ENOENT' ? 'NOT_FOUND' : 'IMPORT_FAILED';
      reject(new ImageImportError(code, file, `cannot run ${ctr}: ${err.message}`, { cause: err }));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      if (partial) {
        const m = /^unpacking (\S+) \(/.exec(partial);
        if (m) images.push(m[1]);
      }
      if (status === 0) return resolve(images);
      const why = signal ? `killed by ${signal}` : `exit status ${status}`;
      reject(new ImageImportError('IMPORT_FAILED', file, `ctr images import ${file}: ${why}: ${stderr.trim()}`));
    });
  });
}
