/**
 * Helpers for tests that drive `bramble lab` through its CLI: a file's lab
 * fixture (useLab), the lab command on a lab directory, stock kubectl on
 * the lab's host kubeconfig
 * (with a HOME of the test's own, so kubectl's cache stays out of the
 * user's), and polling until something holds.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { brambleBin, kubectlBin, run, type RunResult } from './server.ts';
import type { LabRecord } from '../../src/lab/state.ts';

export { sleep, until } from './wait.ts';
import { until } from './wait.ts';

/** Asserts a command succeeded; returns its output. */
export const ok = (r: RunResult, what: string): string => {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
};

/** What a test file's lab fixture (useLab) offers. */
export interface LabFixture extends ReturnType<typeof labHelpers> {
  dir: string;
  home: string;
}

/**
 * The lab a test file runs in: a temp lab dir and kubectl HOME now; `lab
 * up <upArgs>` in a `before` hook (printing how long it took, then calling
 * `onUp` with DIR/lab.json for the file's own setup); `beforeDown`, `lab
 * down` and the temp dirs' removal in an `after` hook, whatever failed.
 * A file's own setup that needs the lab goes in `onUp`, not in a `before`
 * of its own: node:test starts a file's top-level `before` hooks without
 * waiting for one to finish before the next.
 */
export function useLab(
  name: string,
  upArgs: string[],
  opts: { onUp?: (lab: LabRecord, upStdout: string, upSeconds: number) => void | Promise<void>; beforeDown?: () => void | Promise<void> } = {},
): LabFixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bramble-${name}-`));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `bramble-${name}-home-`));
  const fixture = { dir, home, ...labHelpers(dir, home) };
  before(async () => {
    const t0 = Date.now();
    const r = await fixture.lab(['up', ...upArgs]);
    const seconds = (Date.now() - t0) / 1000;
    ok(r, 'lab up');
    process.stdout.write(`# lab up (${upArgs.filter((a) => a !== 'up').join(' ')}): ${seconds.toFixed(1)} s\n`);
    const lab = JSON.parse(fs.readFileSync(path.join(dir, 'lab.json'), 'utf8')) as LabRecord;
    await opts.onUp?.(lab, r.stdout, seconds);
  });
  after(async () => {
    try {
      await opts.beforeDown?.();
    } finally {
      await fixture.lab(['down']);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
  return fixture;
}

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

/**
 * Seed 000's hello-node as a Deployment of `replicas` pods spread one per
 * board (topology spread on the hostname), applied with `k`; resolves with
 * the pods once all are Running with an IP.
 */
export async function spreadHello(k: (args: string[], input?: string) => Promise<string>, replicas: number): Promise<any[]> {
  const labels = { app: 'hello' };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'hello', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }],
          containers: [{ name: 'hello', image: 'bramble.local/hello-node:1.0', ports: [{ containerPort: 8080 }] }],
        },
      },
    },
  };
  await k(['apply', '-f', '-'], JSON.stringify(deployment));
  return until(`${replicas} Running hello pods`, 180_000, async () => {
    const list = JSON.parse(await k(['get', 'pods', '-l', 'app=hello', '-o', 'json'])) as { items: any[] };
    const running = list.items.filter((p) => p.status.phase === 'Running' && p.status.podIP);
    return running.length === replicas ? running : undefined;
  });
}

/**
 * Exposes the spread hello pods (spreadHello) as a ClusterIP Service, sends
 * 24 requests to it from `client` (one exec; the proxy picks an endpoint for
 * each) and asserts all were answered; resolves with the Service's address
 * and the requests each pod logged, by node.
 */
export async function clusterIPHits(
  k: (args: string[], input?: string) => Promise<string>,
  pods: { name: string; node: string }[],
  client: string,
): Promise<{ clusterIP: string; hits: Record<string, number> }> {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hello', namespace: 'default' }, spec: { selector: { app: 'hello' }, ports: [{ port: 80, targetPort: 8080 }] } };
  await k(['apply', '-f', '-'], JSON.stringify(svc));
  const clusterIP = (await k(['get', 'svc', 'hello', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  const count = async () => Object.fromEntries(await Promise.all(pods.map(async (p) => [p.node, (await k(['logs', p.name])).split('\n').filter((l) => l.includes('url:/')).length] as const)));
  const before = await count();
  const script = `for i in $(seq 24); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${clusterIP} 80 | head -1; done`;
  const out = await until('the Service to answer', 30_000, async () => {
    const o = await k(['exec', client, '--', 'sh', '-c', script]);
    return o.includes('200') ? o : undefined;
  });
  assert.equal(out.split('\n').filter((l) => / 200 /.test(l)).length, 24, out);
  const afterCount = await until('every pod to log', 10_000, async () => {
    const c = await count();
    return pods.every((p) => c[p.node]! > before[p.node]!) ? c : undefined;
  }).catch(count);
  return { clusterIP, hits: Object.fromEntries(pods.map((p) => [p.node, afterCount[p.node]! - before[p.node]!])) };
}
