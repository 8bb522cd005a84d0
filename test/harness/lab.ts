/**
 * Helpers for tests that drive `bramble lab` through its CLI: the lab
 * command on a lab directory, stock kubectl on the lab's host kubeconfig
 * (with a HOME of the test's own, so kubectl's cache stays out of the
 * user's), and polling until something holds.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { brambleBin, kubectlBin, run, type RunResult } from './server.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `f` every `everyMs` until it returns a value (errors count as not yet), or throws after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Asserts a command succeeded; returns its output. */
export const ok = (r: RunResult, what: string): string => {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
};

export function labHelpers(dir: string, home: string) {
  const kubeconfig = path.join(dir, 'kubeconfig.yaml');
  return {
    /** `bramble lab <args> --dir <dir>`. */
    lab: (args: string[], timeoutMs = 300_000) => run(brambleBin, ['lab', ...args, '--dir', dir], { timeoutMs }),
    /** kubectl on the lab's host kubeconfig; throws on failure. */
    async k(args: string[], input?: string): Promise<string> {
      const r = await run(kubectlBin, ['--kubeconfig', kubeconfig, ...args], { input, env: { ...process.env, HOME: home } });
      return ok(r, `kubectl ${args.join(' ')}`);
    },
  };
}
