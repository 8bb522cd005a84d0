/**
 * Makes sure containerd has the sandbox (pause) image before the first
 * pod: the agent writes it from the program in pause.ts and imports it,
 * so a node needs no image archive and no registry to run pods.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { logger, type Logger } from '../../util/log.ts';
import type { ImageServiceClient } from '../cri/image-client.ts';
import { ImageImportError, importImages } from './import.ts';
import { PAUSE_IMAGE, pauseImage } from './pause.ts';

export interface SandboxImageOptions {
  /** containerd's socket (for ctr). */
  address: string;
  /** The CRI image service of that containerd. */
  images: ImageServiceClient;
  /** Where the archive is written before import (removed afterwards). */
  workDir: string;
  snapshotter?: string;
  log?: Logger;
}

/** Imports the pause image unless the runtime has it; resolves with its image id. */
export async function ensureSandboxImage(opts: SandboxImageOptions): Promise<string> {
  const log = opts.log ?? logger('images');
  const present = await opts.images.imageStatus(PAUSE_IMAGE);
  if (present) return present.id;
  fs.mkdirSync(opts.workDir, { recursive: true });
  const file = path.join(opts.workDir, 'bramble-pause.tar');
  fs.writeFileSync(file, pauseImage().tar);
  try {
    await importImages({ address: opts.address, files: [file], snapshotter: opts.snapshotter, log });
  } finally {
    fs.rmSync(file, { force: true });
  }
  // The CRI plugin learns of imported images from containerd's events: wait for it to catch up.
  for (let i = 0; i < 50; i++) {
    const img = await opts.images.imageStatus(PAUSE_IMAGE);
    if (img) return img.id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ImageImportError('IMPORT_FAILED', file, `${PAUSE_IMAGE} was imported but the CRI does not list it`);
}
