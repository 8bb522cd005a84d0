/**
 * The server list on disk, `<data-dir>/agent/etc/bramble-agent-load-balancer.json`
 * (k3s keeps `k3s-agent-load-balancer.json` there): an agent that restarts
 * while its `--server` board is dead still knows the other servers.
 *
 * Written only when the list changes (flash wear on SD cards), atomically
 * (a power cut leaves the old list or the new one). The list is tied to the
 * `--server` it was learned under: started with another `--server`, the
 * agent has joined something else, and the old list is ignored (as k3s).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../cluster/atomic-file.ts';
import { logger } from '../../util/log.ts';
import { normalizeAddresses } from './address.ts';

const log = logger('server-lb');

export interface LoadBalancerState {
  /** The `--server` URL the list was learned under. */
  serverURL: string;
  /** Every known server, `host:port`, sorted. */
  serverAddresses: string[];
}

export function stateFilePath(dataDir: string): string {
  return path.join(dataDir, 'agent', 'etc', 'bramble-agent-load-balancer.json');
}

/** The saved list for this `--server`, or none (missing, unreadable, or another server's). */
export async function readState(file: string, serverURL: string): Promise<LoadBalancerState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn('cannot read the saved API server list', { file, error: (e as Error).message });
    return undefined;
  }
  try {
    const s = JSON.parse(text) as Partial<LoadBalancerState>;
    if (typeof s.serverURL !== 'string' || !Array.isArray(s.serverAddresses) || !s.serverAddresses.every((a) => typeof a === 'string')) throw new Error('unexpected shape');
    if (s.serverURL !== serverURL) {
      log.info('the saved API server list belongs to another --server: ignored', { saved: s.serverURL, server: serverURL });
      return undefined;
    }
    return { serverURL: s.serverURL, serverAddresses: normalizeAddresses(s.serverAddresses) };
  } catch (e) {
    log.warn('the saved API server list is damaged: ignored', { file, error: (e as Error).message });
    return undefined;
  }
}

/**
 * Saves lists one after another (never two writes racing on the file),
 * skipping any equal to what the file already holds.
 */
export class StateWriter {
  private last: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly file: string;
  private readonly serverURL: string;
  /** Writes done (tests count them). */
  writes = 0;

  constructor(file: string, serverURL: string, onDisk?: LoadBalancerState) {
    this.file = file;
    this.serverURL = serverURL;
    this.last = onDisk ? render(onDisk) : undefined;
  }

  save(addresses: string[]): Promise<void> {
    const text = render({ serverURL: this.serverURL, serverAddresses: normalizeAddresses(addresses) });
    this.queue = this.queue.then(async () => {
      if (text === this.last) return;
      try {
        await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
        await writeFileAtomic(this.file, text, 0o600);
        this.last = text;
        this.writes++;
      } catch (e) {
        log.warn('cannot save the API server list', { file: this.file, error: (e as Error).message });
      }
    });
    return this.queue;
  }

  /** Resolves once every save asked for so far is done. */
  flush(): Promise<void> {
    return this.queue;
  }
}

function render(s: LoadBalancerState): string {
  return JSON.stringify({ serverURL: s.serverURL, serverAddresses: s.serverAddresses }, null, 2) + '\n';
}
