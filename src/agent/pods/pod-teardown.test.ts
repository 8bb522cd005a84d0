/**
 * Pods deleted together are torn down together: a teardown (stop within the
 * grace period, StopPodSandbox, terminal status, API delete,
 * RemovePodSandbox) does not hold one of the sync loop's few workers, so a
 * slow stop of one pod does not delay the others. Per pod the order and
 * counts stay as before: its containers stopped before its sandbox, the
 * sandbox stopped once, the terminal status before the API delete. Run on
 * the real clock over the real registry, with a fake runtime whose stops
 * take a while (a process ignoring SIGTERM until the grace period ends).
 */
import { waitUntil } from '../../../test/harness/wait.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventRecorder } from '../../client/events.ts';
import { InProcessClient } from '../../client/in-process.ts';
import { InformerFactory } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { setLogLevel } from '../../util/log.ts';
import { openTestRegistry, systemUser } from '../../../test/harness/registry.ts';
import { FakeRuntime } from '../runtime/fake/index.ts';
import { PodSync, type SyncNode } from './pod-sync.ts';

if (!process.env.BRAMBLE_TEST_DEBUG) setLogLevel('error');

const stopMs = 300;

/** Stops take `stopMs`; records what happens to each pod's containers and sandboxes, in order. */
class SlowStopRuntime extends FakeRuntime {
  stopping = 0;
  maxStopping = 0;
  readonly log: string[] = [];
  override async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    this.stopping++;
    this.maxStopping = Math.max(this.maxStopping, this.stopping);
    await new Promise((r) => setTimeout(r, stopMs));
    this.stopping--;
    this.log.push(`stopContainer ${this.podOfContainer.get(id)}`);
    return super.stopContainer(id, timeoutSeconds);
  }
  override async stopPodSandbox(id: string): Promise<void> {
    const s = (await this.listPodSandboxes()).find((x) => x.id === id);
    if (s?.state === 'ready') this.log.push(`stopPodSandbox ${s.metadata.name}`);
    return super.stopPodSandbox(id);
  }
  override async createContainer(sandboxId: string, cfg: Parameters<FakeRuntime['createContainer']>[1]): Promise<string> {
    const id = await super.createContainer(sandboxId, cfg);
    const s = (await this.listPodSandboxes()).find((x) => x.id === sandboxId);
    this.podOfContainer.set(id, s?.metadata.name ?? '?');
    return id;
  }
  readonly podOfContainer = new Map<string, string>();
}

let reg: Awaited<ReturnType<typeof openTestRegistry>>;
let client: Client;
const abort = new AbortController();
let factory: InformerFactory;
const runtime = new SlowStopRuntime({ version: '0.1.0' });
let running: Promise<void>;

before(async () => {
  reg = await openTestRegistry();
  client = new InProcessClient(reg.registry, systemUser);
  factory = new InformerFactory(client);
  const pods = factory.informer(resources.pods, { fieldSelector: 'spec.nodeName=n1' });
  const node: SyncNode = { name: 'n1', runtime, runtimeName: 'fake', recorder: new EventRecorder(client, { component: 'kubelet', host: 'n1' }), hostIP: '192.168.7.10' };
  // Two workers: before teardowns left the workers, eight deletions took four stop times.
  const sync = new PodSync({ client, pods, node: (n) => (n === 'n1' ? node : undefined), workers: 2 });
  factory.start(abort.signal);
  await factory.synced();
  await runtime.updateRuntimeConfig({ podCIDR: '10.9.0.0/24' });
  sync.watchRuntime(node);
  running = sync.run(abort.signal);
});
after(async () => {
  abort.abort();
  await running;
  await factory.stopped();
  await reg.close();
});


const names = Array.from({ length: 8 }, (_, i) => `p${i}`);

describe('pod teardown', () => {
  it('pods deleted together stop together, each in order: containers, sandbox once, terminal status, delete', async () => {
    for (const name of names) {
      await client.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'n1', terminationGracePeriodSeconds: 5, containers: [{ name: 'app', image: 'nginx:1.27' }] } });
    }
    await waitUntil('all Running', async () => (await client.list(resources.pods, 'default', {})).items.filter((p: Obj) => p['status']?.phase === 'Running').length === names.length, 10_000);
    // The terminal phase each pod was given before its object went: seen in a watch.
    const list = await client.list(resources.pods, 'default', {});
    const watchAbort = new AbortController();
    const w = await client.watch(resources.pods, 'default', { resourceVersion: list.resourceVersion }, watchAbort.signal);
    const lastPhase = new Map<string, string>();
    const deleted = new Set<string>();
    const pumped = w.pump((evs) => {
      for (const e of evs) {
        const n = e.object['metadata']?.name as string;
        if (e.type === 'DELETED') deleted.add(n);
        else if (!deleted.has(n)) lastPhase.set(n, e.object['status']?.phase);
      }
    });

    const t0 = Date.now();
    await Promise.all(names.map((n) => client.delete(resources.pods, 'default', n)));
    await waitUntil('all deleted', () => deleted.size === names.length, 10_000);
    const took = Date.now() - t0;
    watchAbort.abort();
    await pumped;

    // Serialised through two workers this is 4 × 300 ms at least; together, about one stop.
    assert.ok(took < 3 * stopMs, `8 pods took ${took} ms to go`);
    assert.ok(runtime.maxStopping > 2, `at most ${runtime.maxStopping} stops at once`);
    for (const n of names) {
      assert.equal(lastPhase.get(n), 'Succeeded', `${n}'s last status before deletion`);
      const mine = runtime.log.filter((l) => l.endsWith(` ${n}`));
      assert.deepEqual(mine, [`stopContainer ${n}`, `stopPodSandbox ${n}`], `${n}: ${mine.join(', ')}`);
    }
    await waitUntil('sandboxes removed', async () => (await runtime.listPodSandboxes()).length === 0, 10_000);
  });
});
