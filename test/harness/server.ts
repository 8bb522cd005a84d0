/**
 * Test harness: runs a real `bramble server` process (bin/bramble) on a free
 * loopback port with its own data dir, and stock `/usr/bin/kubectl` against
 * it with an isolated HOME (so kubectl's discovery cache never leaks between
 * tests). Always call `stop()` (use `after`/`t.after`): it SIGTERMs the
 * process and removes the temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const brambleBin = path.join(repoRoot, 'bin', 'bramble');
export const kubectlBin = process.env['KUBECTL'] ?? '/usr/bin/kubectl';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestServer {
  dir: string;
  dataDir: string;
  kubeconfig: string;
  port: number;
  proc: ChildProcess;
  log(): Promise<string>;
  kubectl(args: string[], opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult>;
  /** kubectl that must succeed; returns stdout. */
  k(args: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<string>;
  /** SIGKILL, then wait for exit. */
  kill(): Promise<void>;
  /** Start again on the same data dir (after stop or kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Servers this process started: killed when it exits, even by a crash, so none outlives its test. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    // A command that exits before reading its input (nc refused) must not fail the caller with EPIPE.
    p.stdin.on('error', () => undefined);
    p.stdin.end(opts.input ?? '');
  });
}

async function waitForFile(file: string, proc: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`bramble server exited early (${proc.exitCode}):\n${await fs.readFile(logFile, 'utf8').catch(() => '')}`);
    try {
      await fs.access(file);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`bramble server did not write ${file} within ${timeoutMs} ms:\n${await fs.readFile(logFile, 'utf8').catch(() => '')}`);
}

export async function startServer(extraArgs: string[] = []): Promise<TestServer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bramble-test-'));
  const dataDir = path.join(dir, 'data');
  const kubeconfig = path.join(dir, 'kubeconfig.yaml');
  const home = path.join(dir, 'home');
  await fs.mkdir(home);
  const logFile = path.join(dir, 'server.log');
  let proc!: ChildProcess;
  const launch = async () => {
    await fs.rm(kubeconfig, { force: true });
    const out = await fs.open(logFile, 'a');
    proc = spawn(
      brambleBin,
      // No embedded agent unless a test asks for one (--agent-runtime): tests bring their own nodes.
      ['server', '--data-dir', dataDir, '--bind-address', '127.0.0.1', '--https-listen-port', '0', '--write-kubeconfig', kubeconfig, ...(extraArgs.includes('--agent-runtime') ? [] : ['--disable-agent']), ...extraArgs],
      { stdio: ['ignore', out.fd, out.fd] },
    );
    await out.close();
    children.add(proc);
    proc.once('exit', () => children.delete(proc));
    await waitForFile(kubeconfig, proc, logFile, 15_000);
    const text = await fs.readFile(kubeconfig, 'utf8');
    server.port = Number(/server: https:\/\/127\.0\.0\.1:(\d+)/.exec(text)?.[1]);
    server.proc = proc;
  };
  const env = (extra?: Record<string, string>) => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig, ...extra });
  const waitExit = () => new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())));
  const server: TestServer = {
    dir,
    dataDir,
    kubeconfig,
    port: 0,
    proc,
    log: () => fs.readFile(logFile, 'utf8'),
    kubectl: (args, opts = {}) => run(kubectlBin, args, { input: opts.input, env: env(opts.env), timeoutMs: opts.timeoutMs }),
    async k(args, opts = {}) {
      const r = await run(kubectlBin, args, { input: opts.input, env: env(opts.env) });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    async kill() {
      proc.kill('SIGKILL');
      await waitExit();
    },
    async restart() {
      await launch();
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await waitExit();
        clearTimeout(t);
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  await launch();
  return server;
}
