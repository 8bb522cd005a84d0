/**
 * The client half of bench/pod-startup.ts, run inside the board's network
 * namespace (where the server's loopback address is reachable):
 *
 *   node bench/lib/pod-startup-driver.ts '{"kubeconfig":…,"namespace":…,"pods":50,"rate":5,"image":…}'
 *
 * Creates the namespace and waits for its `default` ServiceAccount, opens
 * one pod watch on it, then creates the pods (open loop: at `rate` per
 * second, or all at once with rate 0), each stamped with the time its
 * create request was sent. From the watch it records when each pod was
 * first seen bound (spec.nodeName), Running, and Running with Ready=True.
 * Prints `start` just before the first create, `done` once every pod is
 * Ready (or at the timeout), then one JSON line of samples (ms since each
 * pod's create was sent). With `deletePods`, then deletes every pod at once
 * (one DELETE each, all in flight together) and records, per pod, delete
 * sent → DELETED seen in a watch (the agent has stopped the pod, posted its
 * terminal status and removed the object); prints `deletepods <json>`.
 * Finally deletes the namespace and waits until it is gone (prints
 * `deleted <ms>`).
 */
import { HttpClient } from '../../src/client/http.ts';
import { resources, type ApiWatchEvent, type Obj } from '../../src/client/types.ts';

interface Config {
  kubeconfig: string;
  namespace: string;
  pods: number;
  /** Creates per second; 0 = all at once. */
  rate: number;
  image: string;
  timeoutMs: number;
  /** Delete the pods one by one (all at once) and time each until gone. */
  deletePods?: boolean;
  /** The container's command (default: the image's); e.g. a shell that exits on SIGTERM. */
  command?: string[];
  /** terminationGracePeriodSeconds (default 1). */
  graceSeconds?: number;
}

const cfg = JSON.parse(process.argv[2]!) as Config;
const client = HttpClient.fromKubeconfig(cfg.kubeconfig);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PodTimes {
  sent: number;
  created?: number;
  bound?: number;
  running?: number;
  ready?: number;
}
const times = new Map<string, PodTimes>();
const isReady = (p: Obj) => (p['status']?.conditions ?? []).some((c: Obj) => c['type'] === 'Ready' && c['status'] === 'True');
let readyCount = 0;
let allReady: () => void = () => undefined;
const allReadyP = new Promise<void>((r) => (allReady = r));

function onEvent(e: ApiWatchEvent): void {
  if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
  const p = e.object;
  const t = times.get(p['metadata']?.name);
  if (!t) return;
  const now = performance.now();
  if (t.bound === undefined && p['spec']?.nodeName) t.bound = now;
  if (p['status']?.phase === 'Running') {
    t.running ??= now;
    if (t.ready === undefined && isReady(p)) {
      t.ready = now;
      if (++readyCount === cfg.pods) allReady();
    }
  }
}

async function main(): Promise<void> {
  await client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: cfg.namespace } });
  // Pods are refused until the namespace's default ServiceAccount exists (upstream admission).
  for (let i = 0; ; i++) {
    if (await client.get(resources.serviceaccounts, cfg.namespace, 'default').then(() => true, () => false)) break;
    if (i > 100) throw new Error('no default ServiceAccount after 10 s');
    await sleep(100);
  }
  const abort = new AbortController();
  const list = await client.list(resources.pods, cfg.namespace, {});
  const w = await client.watch(resources.pods, cfg.namespace, { resourceVersion: list.resourceVersion, allowWatchBookmarks: false }, abort.signal);
  const pumped = w.pump((events) => events.forEach(onEvent));

  const body = (name: string): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'startup' } },
    spec: {
      terminationGracePeriodSeconds: cfg.graceSeconds ?? 1,
      containers: [{ name: 'hello', image: cfg.image, ...(cfg.command ? { command: cfg.command } : {}), imagePullPolicy: 'IfNotPresent', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    },
  });
  const createErrors: string[] = [];
  const createOne = async (i: number) => {
    const name = `p-${String(i).padStart(3, '0')}`;
    const t: PodTimes = { sent: performance.now() };
    times.set(name, t);
    try {
      await client.create(resources.pods, cfg.namespace, body(name));
      t.created = performance.now();
    } catch (e) {
      createErrors.push(`${name}: ${(e as Error).message}`);
    }
  };
  console.log('start');
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < cfg.pods; i++) {
    if (cfg.rate > 0) {
      const due = t0 + (i * 1000) / cfg.rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    inflight.push(createOne(i));
  }
  await Promise.all(inflight);
  const sendSpanMs = Math.max(...[...times.values()].map((t) => t.sent)) - t0;
  const timedOut = await Promise.race([allReadyP.then(() => false), sleep(cfg.timeoutMs).then(() => true)]);
  const spanMs = performance.now() - t0;
  console.log('done');
  abort.abort();
  await pumped;

  const rel = (k: keyof PodTimes) => [...times.values()].filter((t) => t[k] !== undefined).map((t) => t[k]! - t.sent);
  const notReady = [...times.entries()].filter(([, t]) => t.ready === undefined).map(([n]) => n);
  console.log(
    JSON.stringify({
      createMs: rel('created'),
      boundMs: rel('bound'),
      runningMs: rel('running'),
      readyMs: rel('ready'),
      // bound → Ready: the node's share (sandbox, CNI, container start, status write, watch delivery)
      nodeMs: [...times.values()].filter((t) => t.ready !== undefined && t.bound !== undefined).map((t) => t.ready! - t.bound!),
      sendSpanMs,
      spanMs,
      timedOut,
      notReady,
      createErrors,
    }),
  );
  if (cfg.deletePods) await deletePods();
}

/**
 * Deletes every pod at once and waits for each DELETED event: the node's
 * teardown (stop, terminal status, API delete) for all of them together.
 */
async function deletePods(): Promise<void> {
  const abort = new AbortController();
  const list = await client.list(resources.pods, cfg.namespace, {});
  const names = (list.items as Obj[]).map((p) => p['metadata'].name as string);
  const sent = new Map<string, number>();
  const goneMs = new Map<string, number>();
  let allGone: () => void = () => undefined;
  const allGoneP = new Promise<void>((r) => (allGone = r));
  const w = await client.watch(resources.pods, cfg.namespace, { resourceVersion: list.resourceVersion, allowWatchBookmarks: false }, abort.signal);
  const pumped = w.pump((events) => {
    for (const e of events) {
      if (e.type !== 'DELETED') continue;
      const name = e.object['metadata']?.name as string;
      const t = sent.get(name);
      if (t === undefined || goneMs.has(name)) continue;
      goneMs.set(name, performance.now() - t);
      if (goneMs.size === names.length) allGone();
    }
  });
  console.log('deletestart');
  const t0 = performance.now();
  const errors: string[] = [];
  await Promise.all(
    names.map(async (n) => {
      sent.set(n, performance.now());
      await client.delete(resources.pods, cfg.namespace, n).catch((e) => errors.push(`${n}: ${(e as Error).message}`));
    }),
  );
  const timedOut = names.length > 0 && (await Promise.race([allGoneP.then(() => false), sleep(cfg.timeoutMs).then(() => true)]));
  const totalMs = performance.now() - t0;
  abort.abort();
  await pumped;
  console.log(`deletepods ${JSON.stringify({ goneMs: [...goneMs.values()], totalMs, timedOut, notGone: names.filter((n) => !goneMs.has(n)), errors })}`);
}

async function cleanup(): Promise<void> {
  const t0 = performance.now();
  await client.delete(resources.namespaces, '', cfg.namespace).catch(() => undefined);
  for (;;) {
    const gone = await client.get(resources.namespaces, '', cfg.namespace).then(() => false, () => true);
    if (gone) break;
    if (performance.now() - t0 > 180_000) {
      console.log(`cleanup: namespace ${cfg.namespace} still there after 180 s`);
      break;
    }
    await sleep(250);
  }
  console.log(`deleted ${Math.round(performance.now() - t0)}`);
}

// The client's HTTP/2 session is unref'd: keep the process up until done.
const keepAlive = setInterval(() => undefined, 1 << 30);
let code = 0;
try {
  await main();
} catch (e) {
  console.error(`driver failed: ${(e as Error).stack}`);
  code = 1;
}
await cleanup().catch((e) => console.error(`cleanup failed: ${(e as Error).message}`));
client.close();
clearInterval(keepAlive);
process.exit(code);
