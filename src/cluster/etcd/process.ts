/**
 * Runs one etcd member as a child process of the server (as k3s embeds
 * etcd), for the etcd storage backend in HA. Not restarted here: the
 * caller owns the lifecycle (`exited` tells it when etcd died).
 *
 * Dying with the parent: Node cannot set PR_SET_PDEATHSIG, so the child
 * stays in the parent's process group (not detached); a shutdown or a lab
 * teardown that signals the group stops both. A parent killed alone with
 * SIGKILL leaves etcd running: the pid file next to the data dir
 * (`<dataDir>.pid`) lets the next startEtcd on that data dir find and stop
 * it first (two etcds on one data dir would fight over its lock), as the
 * containerd supervisor does.
 *
 * Ready means the client URL answers Maintenance.Status. Etcd serves
 * clients only after it has joined its cluster, so the first member of a
 * new multi-member cluster is ready only once a quorum has started: start
 * such members concurrently.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { EtcdClient } from '../../storage/etcd/client.ts';
import { logger } from '../../util/log.ts';

const log = logger('cluster').child('etcd');

export interface EtcdProcessOptions {
  /** Member name. */
  name: string;
  /** --data-dir */
  dataDir: string;
  listenClientUrls: string[];
  advertiseClientUrls: string[];
  listenPeerUrls: string[];
  initialAdvertisePeerUrls: string[];
  /** Only for a new member: "name=https://ip:2380,..." and 'new' | 'existing'. Omitted when dataDir already holds a member. */
  initialCluster?: string;
  initialClusterState?: 'new' | 'existing';
  /** PEM file paths; when set, client and peer TLS with client-cert auth on both. */
  tls?: { caFile: string; certFile: string; keyFile: string; peerCaFile: string; peerCertFile: string; peerKeyFile: string };
  /** etcd's stderr/stdout go here (append). Without it, they go to this process's debug log. */
  logFile?: string;
  /** Default /usr/bin/etcd. */
  binary?: string;
  /** How long startEtcd waits for the client URL to answer; default 60 s. */
  readyTimeoutMs?: number;
  /** Watch progress notifications (the storage backend's bookmarks); default 5 s, etcd's minimum is 100 ms. */
  progressNotifyIntervalMs?: number;
}

export interface EtcdProcess {
  pid: number;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** The command line for these options (exported for tests and for logs). */
export function etcdArgs(o: EtcdProcessOptions): string[] {
  const args = [
    `--name=${o.name}`,
    `--data-dir=${o.dataDir}`,
    `--listen-client-urls=${o.listenClientUrls.join(',')}`,
    `--advertise-client-urls=${o.advertiseClientUrls.join(',')}`,
    `--listen-peer-urls=${o.listenPeerUrls.join(',')}`,
    `--initial-advertise-peer-urls=${o.initialAdvertisePeerUrls.join(',')}`,
    // bramble's compactor compacts (one server in HA); etcd must not on its own.
    '--auto-compaction-retention=0',
    // Fewer snapshots than the default 100000 keeps the raft log (memory) small on small boards.
    '--snapshot-count=10000',
    // Flash wear: etcd syncs every write to its WAL, which alone makes it
    // durable, and also commits its bbolt database every 100 ms by default,
    // rewriting several pages per idle Lease renewal (~34 KB a write against
    // ~8 KB with this). A crash replays the WAL into the database on start.
    '--backend-batch-interval=10s',
    `--experimental-watch-progress-notify-interval=${o.progressNotifyIntervalMs ?? 5000}ms`,
    '--logger=zap',
    '--log-outputs=stderr',
  ];
  if (o.initialCluster) args.push(`--initial-cluster=${o.initialCluster}`);
  if (o.initialClusterState) args.push(`--initial-cluster-state=${o.initialClusterState}`);
  if (o.tls) {
    const t = o.tls;
    args.push(
      `--trusted-ca-file=${t.caFile}`,
      `--cert-file=${t.certFile}`,
      `--key-file=${t.keyFile}`,
      '--client-cert-auth',
      `--peer-trusted-ca-file=${t.peerCaFile}`,
      `--peer-cert-file=${t.peerCertFile}`,
      `--peer-key-file=${t.peerKeyFile}`,
      '--peer-client-cert-auth',
    );
  }
  return args;
}

/** Etcd 3.4 refuses to start on architectures other than amd64 (and ppc64le) unless told which one it is on. */
function etcdEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const arch = process.arch === 'arm64' ? 'arm64' : process.arch === 'arm' ? 'arm' : undefined;
  if (arch) env.ETCD_UNSUPPORTED_ARCH = arch;
  return env;
}

/** Stops an etcd an earlier, killed parent left running on this data dir. */
async function stopStale(pidFile: string, dataDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  let cmdline: string[];
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return;
  }
  if (!pid || !cmdline.includes(`--data-dir=${dataDir}`)) return;
  log.warn('stopping an etcd left running by an earlier server', { pid, dataDir });
  try {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
    if (fs.existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

export async function startEtcd(opts: EtcdProcessOptions, signal?: AbortSignal): Promise<EtcdProcess> {
  const pidFile = `${opts.dataDir.replace(/\/+$/, '')}.pid`;
  await stopStale(pidFile, opts.dataDir);
  const logFd = opts.logFile ? fs.openSync(opts.logFile, 'a') : undefined;
  const tail: string[] = [];
  const child = spawn(opts.binary ?? '/usr/bin/etcd', etcdArgs(opts), {
    stdio: ['ignore', logFd ?? 'pipe', logFd ?? 'pipe'],
    env: etcdEnv(),
  });
  if (logFd !== undefined) fs.closeSync(logFd);
  else {
    for (const s of [child.stdout!, child.stderr!]) {
      s.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) {
          if (!line) continue;
          tail.push(line);
          if (tail.length > 20) tail.shift();
          log.debug('etcd', { name: opts.name, line });
        }
      });
    }
  }
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      resolve(null);
    });
    child.once('exit', (code) => resolve(code));
  });
  let done = false;
  void exited.then(() => {
    done = true;
    // Only our own: a later etcd on this data dir may have written its pid since.
    try {
      if (Number(fs.readFileSync(pidFile, 'utf8').trim()) === child.pid) fs.rmSync(pidFile, { force: true });
    } catch {
      // no pid file
    }
  });
  if (child.pid) fs.writeFileSync(pidFile, `${child.pid}\n`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    })());

  const lastOutput = (): string => {
    if (!opts.logFile) return tail.slice(-5).join('\n');
    try {
      const text = fs.readFileSync(opts.logFile, 'utf8');
      return text.slice(-2000);
    } catch {
      return '';
    }
  };

  const url = opts.advertiseClientUrls[0] ?? opts.listenClientUrls[0]!;
  const client = new EtcdClient({
    endpoint: url,
    tls: opts.tls
      ? { caPem: fs.readFileSync(opts.tls.caFile, 'utf8'), certPem: fs.readFileSync(opts.tls.certFile, 'utf8'), keyPem: fs.readFileSync(opts.tls.keyFile, 'utf8') }
      : undefined,
  });
  try {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (signal?.aborted) throw new Error('etcd start aborted');
      if (done) throw new Error(`etcd exited during start (${spawnError?.message ?? `code ${child.exitCode ?? child.signalCode}`}): ${lastOutput()}`);
      try {
        await client.status(Math.max(100, Math.min(1000, deadline - Date.now())));
        break;
      } catch (e) {
        if (Date.now() >= deadline) throw new Error(`etcd did not answer on ${url} in time: ${(e as Error).message}; last output: ${lastOutput()}`, { cause: e });
      }
      await Promise.race([new Promise((r) => setTimeout(r, 100)), exited]);
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    await client.close();
  }
  log.info('etcd started', { name: opts.name, pid: child.pid, url });
  return { pid: child.pid!, exited, stop };
}
