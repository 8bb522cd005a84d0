/**
 * Runs containerd as a supervised child of the agent: writes its config,
 * starts `containerd --config <file>`, waits until its CRI socket answers
 * Version, restarts it with backoff if it dies, and stops it on shutdown.
 *
 * Containers outlive containerd (each has its own shim), so a containerd
 * restart, or an agent restart, leaves pods running; the agent finds them
 * again through the CRI. A containerd left behind by an agent that was
 * killed is found through the pid file and stopped before a new one
 * starts (two on one root would fight over its database lock).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { logger, type Logger } from '../../util/log.ts';
import { GrpcClient } from '../cri/grpc.ts';
import { RuntimeServiceClient } from '../cri/runtime-client.ts';
import { canLowerOomScore, containerdPaths, renderContainerdConfig, type ContainerdConfigOptions } from './config.ts';
import { parseRegistries } from './registries.ts';
import { detectSnapshotter } from './snapshotter.ts';

export interface ContainerdOptions extends Omit<ContainerdConfigOptions, 'snapshotter' | 'restrictOomScoreAdj' | 'registries'> {
  /** Default: detected (overlayfs where it mounts, else native). */
  snapshotter?: 'overlayfs' | 'native';
  /** Default: true when this process cannot lower oom_score_adj. */
  restrictOomScoreAdj?: boolean;
  /** A k3s-format registries.yaml; a missing file means no mirrors or credentials. */
  registriesFile?: string;
  /** The containerd binary; default from PATH. */
  containerdPath?: string;
  /** Run containerd, and so the CNI plugins it calls, inside this network namespace (a path such as /var/run/netns/x). */
  netnsPath?: string;
  /** How long start() waits for the CRI to answer; default 30 s. */
  readyTimeoutMs?: number;
  /** Restart delays: doubling from initialMs up to maxMs; reset after a minute of running. */
  restartBackoff?: { initialMs: number; maxMs: number };
  log?: Logger;
}

export interface ContainerdHandle {
  socketPath: string;
  configPath: string;
  cniConfDir: string;
  snapshotter: 'overlayfs' | 'native';
  /** The running containerd's pid, if one is running. */
  readonly pid: number | undefined;
  /** How many times it was restarted after dying. */
  readonly restarts: number;
  /** Resolves once the CRI answers Version (again, after a restart). */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops containerd (SIGTERM, then SIGKILL after 10 s) and its supervision. Containers keep running. */
  stop(): Promise<void>;
}

export type ContainerdErrorCode =
  /** containerd exited, or did not answer, before it became ready. */
  | 'START_FAILED'
  /** It did not answer within the wait. */
  | 'NOT_READY'
  /** stop() was called. */
  | 'STOPPED';

export class ContainerdError extends Error {
  readonly code: ContainerdErrorCode;
  constructor(code: ContainerdErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContainerdError';
    this.code = code;
  }
}

/** Starts containerd and resolves once it serves the CRI; aborting `signal` stops it. */
export async function startContainerd(opts: ContainerdOptions, signal?: AbortSignal): Promise<ContainerdHandle> {
  const log = opts.log ?? logger('containerd');
  const paths = containerdPaths(opts);
  for (const d of [opts.dataDir, paths.root, paths.state, paths.cniConfDir]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  const snapshotter = opts.snapshotter ?? detectSnapshotter(paths.root);
  const restrictOomScoreAdj = opts.restrictOomScoreAdj ?? !canLowerOomScore();
  let registries;
  if (opts.registriesFile && fs.existsSync(opts.registriesFile)) {
    registries = parseRegistries(fs.readFileSync(opts.registriesFile, 'utf8'));
    for (const w of registries.warnings) log.warn(w, { file: opts.registriesFile });
  }
  // 0600: registry credentials may be in it.
  fs.writeFileSync(paths.config, renderContainerdConfig({ ...opts, snapshotter, restrictOomScoreAdj, registries }), { mode: 0o600 });
  log.info('starting containerd', { config: paths.config, socket: paths.socket, snapshotter, restrictOomScoreAdj });

  const sup = new Supervisor(opts, paths, log);
  await sup.stopStale();
  sup.spawn();
  const onAbort = () => void sup.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await sup.waitReady(opts.readyTimeoutMs ?? 30_000, true);
  } catch (e) {
    await sup.stop();
    throw e;
  }
  log.info('containerd ready', { pid: sup.pid });
  return {
    socketPath: paths.socket,
    configPath: paths.config,
    cniConfDir: paths.cniConfDir,
    snapshotter,
    get pid() {
      return sup.pid;
    },
    get restarts() {
      return sup.restarts;
    },
    waitReady: (timeoutMs = 30_000) => sup.waitReady(timeoutMs, false),
    stop: () => {
      signal?.removeEventListener('abort', onAbort);
      return sup.stop();
    },
  };
}

class Supervisor {
  private readonly opts: ContainerdOptions;
  private readonly paths: ReturnType<typeof containerdPaths>;
  private readonly log: Logger;
  private readonly pidFile: string;
  private readonly probe: RuntimeServiceClient;
  private readonly grpc: GrpcClient;
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  /** The last lines containerd wrote, for start failures. */
  private tail: string[] = [];
  restarts = 0;

  constructor(opts: ContainerdOptions, paths: ReturnType<typeof containerdPaths>, log: Logger) {
    this.opts = opts;
    this.paths = paths;
    this.log = log;
    this.pidFile = path.join(opts.dataDir, 'containerd.pid');
    this.grpc = new GrpcClient({ socketPath: paths.socket, log });
    this.probe = new RuntimeServiceClient(this.grpc);
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Stops a containerd that an earlier, killed agent left running on this config. */
  async stopStale(): Promise<void> {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(this.pidFile, 'utf8').trim());
    } catch {
      return;
    }
    const cmdline = readOr(`/proc/${pid}/cmdline`).split('\0');
    if (!pid || !cmdline.includes(this.paths.config)) return;
    this.log.warn('stopping a containerd left running by an earlier agent', { pid });
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`); i++) await sleep(100);
    if (fs.existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
  }

  spawn(): void {
    const bin = this.opts.containerdPath ?? 'containerd';
    const args = ['--config', this.paths.config];
    const [cmd, argv] = this.opts.netnsPath ? ['nsenter', [`--net=${this.opts.netnsPath}`, '--', bin, ...args]] : [bin, args];
    // runc and the shims are looked up on PATH; make sure the sbin directories are on it.
    const PATH = [...new Set([...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'])].join(':');
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH } });
    this.child = child;
    this.startedAt = Date.now();
    this.tail = [];
    if (child.pid) fs.writeFileSync(this.pidFile, `${child.pid}\n`);
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const line of lines) this.output(line);
      });
    }
    child.on('error', (err) => {
      this.tail.push(`cannot run ${cmd}: ${err.message}`);
      this.log.error('cannot run containerd', { cmd, err });
    });
    child.on('exit', (code, sig) => this.exited(child, code, sig));
  }

  private output(line: string): void {
    if (!line) return;
    this.tail.push(line);
    if (this.tail.length > 20) this.tail.shift();
    // containerd logs logfmt. Its `error` lines include every failed CRI
    // call (a NotFound the agent expects), so only fatal ones rise above debug;
    // an unexpected exit is logged with these last lines anyway.
    const level = /\blevel=(\w+)/.exec(line)?.[1];
    if (level === 'fatal' || level === 'panic') this.log.error('containerd', { line });
    else this.log.debug('containerd', { line });
  }

  private exited(child: ChildProcess, code: number | null, sig: NodeJS.Signals | null): void {
    if (child !== this.child || this.stopping) return;
    const ranMs = Date.now() - this.startedAt;
    if (ranMs > 60_000) this.failures = 0;
    const { initialMs, maxMs } = this.opts.restartBackoff ?? { initialMs: 1000, maxMs: 30_000 };
    const delay = Math.min(maxMs, initialMs * 2 ** this.failures++);
    this.log.warn('containerd exited; restarting', { code, signal: sig, ranMs, restartInMs: delay, last: this.tail.at(-1) });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.restarts++;
      this.spawn();
    }, delay);
  }

  /** Polls CRI Version; with `initial`, an exit of the first containerd fails at once with its output. */
  async waitReady(timeoutMs: number, initial: boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const first = this.child;
    let last: unknown;
    for (;;) {
      if (this.stopping) throw new ContainerdError('STOPPED', 'containerd is stopped');
      if (initial && first && (first.exitCode !== null || first.signalCode !== null)) {
        throw new ContainerdError('START_FAILED', `containerd exited during start (${first.exitCode ?? first.signalCode}): ${this.tail.slice(-5).join('\n')}`);
      }
      try {
        await this.probe.version({ timeoutMs: Math.max(100, Math.min(2000, deadline - Date.now())) });
        return;
      } catch (e) {
        last = e;
      }
      if (Date.now() >= deadline) {
        const code = initial ? 'START_FAILED' : 'NOT_READY';
        throw new ContainerdError(code, `containerd did not answer on ${this.paths.socket} within ${timeoutMs} ms: ${(last as Error)?.message}; last output: ${this.tail.slice(-3).join('\n')}`, { cause: last });
      }
      await sleep(100);
    }
  }

  stop(): Promise<void> {
    return (this.stopping ??= this.doStop());
  }

  private async doStop(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.grpc.close();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      this.log.info('containerd stopped', { pid: child.pid, code: child.exitCode, signal: child.signalCode });
    }
    fs.rmSync(this.pidFile, { force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
