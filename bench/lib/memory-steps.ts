/**
 * Where the server's idle RSS comes from: runs the control plane in this
 * process step by step and prints RSS and V8 heap figures after each step
 * (after a full GC, so only live memory counts in the heap figures).
 * A profiling aid for bench/footprint.ts, not a benchmark.
 *
 *   node_modules/.bin/node --expose-gc --max-semi-space-size=2 bench/lib/memory-steps.ts
 *
 * Use the same Node flags and NODE_COMPILE_CACHE as bin/bramble to match
 * what the launched server does (run twice: the first run fills the cache).
 */
import { defaultControllerConfig } from '../../src/controllers/manager.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';

const gc = (globalThis as { gc?: () => void }).gc;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-bench-mem-'));
let prevRss = 0;

function rssBytes(): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
}

async function step(label: string, fn: () => unknown): Promise<void> {
  await fn();
  await new Promise((r) => setTimeout(r, 200));
  gc?.();
  const m = process.memoryUsage();
  const rss = rssBytes();
  const code = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'code_space')?.space_used_size ?? 0;
  const f = (b: number) => (b / 1048576).toFixed(1).padStart(6);
  console.log(
    `${label.padEnd(44)} RSS ${f(rss)} MB (+${f(rss - prevRss)})  heap used ${f(m.heapUsed)}  heap total ${f(m.heapTotal)}  code ${f(code)}  external ${f(m.external)}  arrayBuffers ${f(m.arrayBuffers)}`,
  );
  prevRss = rss;
}

try {
  await step('node + this script', () => undefined);
  await step('node built-ins (tls, http2, sqlite, worker)', async () => {
    await import('node:tls');
    await import('node:http2');
    await import('node:https');
    await import('node:sqlite');
    await import('node:worker_threads');
  });
  // Subsystems in the order start.ts pulls them in; each line is what that import adds.
  await step('src/api/resources.ts', () => import('../../src/api/resources.ts'));
  await step('src/api/schema (+ data)', () => import('../../src/api/schema/index.ts'));
  await step('src/api/validation', () => import('../../src/api/validation/index.ts'));
  await step('src/api/defaults', () => import('../../src/api/defaults/index.ts'));
  await step('src/api/patch', () => import('../../src/api/patch/index.ts'));
  await step('src/api/apply', () => import('../../src/api/apply/index.ts'));
  await step('src/api/openapi', () => import('../../src/api/openapi/index.ts'));
  await step('src/api/tables', () => import('../../src/api/tables/index.ts'));
  await step('src/storage/sqlite', () => import('../../src/storage/sqlite/sqlite.ts'));
  await step('src/apiserver', () => import('../../src/apiserver/handler.ts').then(() => import('../../src/apiserver/server.ts')));
  await step('src/server/start.ts (the rest)', () => import('../../src/server/start.ts'));
  const { startServer } = await import('../../src/server/start.ts');
  const { setLogLevel } = await import('../../src/util/log.ts');
  setLogLevel('warn');
  let cp: { stop(): Promise<void> } | undefined;
  await step('startServer (datastore, PKI, listen, self-check)', async () => {
    cp = await startServer(
      {
        dataDir: path.join(dir, 'data'),
        bindAddress: '127.0.0.1',
        port: 0,
        advertiseAddress: '127.0.0.1',
        tlsSANs: [],
        kubeconfigPath: path.join(dir, 'kubeconfig.yaml'),
        kubeconfigMode: '0600',
        disableAgent: true,
        disable: [], controllers: defaultControllerConfig, compactionIntervalMs: 300_000,
      },
      'bench',
    );
  });
  await step('5 s later', () => new Promise((r) => setTimeout(r, 5000)));
  const h = v8.getHeapStatistics();
  console.log(`V8: total heap ${(h.total_heap_size / 1048576).toFixed(1)} MB, malloced ${(h.malloced_memory / 1048576).toFixed(1)} MB, peak malloced ${(h.peak_malloced_memory / 1048576).toFixed(1)} MB`);
  for (const s of v8.getHeapSpaceStatistics()) {
    console.log(`  ${s.space_name.padEnd(24)} size ${(s.space_size / 1048576).toFixed(1).padStart(6)} MB  used ${(s.space_used_size / 1048576).toFixed(1).padStart(6)} MB`);
  }
  await cp?.stop();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
