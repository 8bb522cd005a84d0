/**
 * Runtime failures during pod start, as the kubelet reports them: a sandbox
 * that cannot be created is a `FailedCreatePodSandBox` warning ("Failed to
 * create pod sandbox: …") with the pod left in ContainerCreating; a
 * container the runtime will not create or start is a `Failed` warning
 * ("Error: …") with CreateContainerError / RunContainerError. Retries back
 * off (10 s doubling), an early sync only re-reports, and repeated events
 * fold into one Event's count. PodSync is driven reconcile by reconcile on
 * a fake clock, over the real registry, with a fake runtime told to fail.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../client/clock.ts';
import { EventRecorder } from '../../client/events.ts';
import { InProcessClient } from '../../client/in-process.ts';
import { InformerFactory } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { setLogLevel } from '../../util/log.ts';
import { openTestRegistry, systemUser } from '../../../test/harness/registry.ts';
import { FakeRuntime } from '../runtime/fake/index.ts';
import { RuntimeError, type ContainerConfig, type SandboxConfig } from '../runtime/types.ts';
import { PodSync, type SyncNode } from './pod-sync.ts';

if (!process.env.BRAMBLE_TEST_DEBUG) setLogLevel('error');

/** A fake runtime that refuses the next N sandbox creations, container creations or starts. */
class FailingRuntime extends FakeRuntime {
  fail = { sandbox: 0, create: 0, start: 0 };
  calls = { sandbox: 0, create: 0, start: 0 };
  override async runPodSandbox(cfg: SandboxConfig): Promise<string> {
    this.calls.sandbox++;
    if (this.fail.sandbox > 0 && this.fail.sandbox--) throw new RuntimeError('Internal', 'plugin type="bridge" failed (add): failed to allocate for range 0');
    return super.runPodSandbox(cfg);
  }
  override async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    this.calls.create++;
    if (this.fail.create > 0 && this.fail.create--) throw new RuntimeError('InvalidArgument', 'failed to create containerd container: no such device');
    return super.createContainer(sandboxId, cfg);
  }
  override async startContainer(id: string): Promise<void> {
    this.calls.start++;
    if (this.fail.start > 0 && this.fail.start--) throw new RuntimeError('Internal', 'failed to start containerd task: exec: "nope": executable file not found in $PATH');
    return super.startContainer(id);
  }
}

let reg: Awaited<ReturnType<typeof openTestRegistry>>;
let client: Client;
const abort = new AbortController();
let factory: InformerFactory;
const clock = new FakeClock(Date.UTC(2026, 10, 22, 3, 0, 0));
const runtime = new FailingRuntime({ version: '0.1.0', clock });
const recorder = () => new EventRecorder(client, { component: 'kubelet', host: 'n1', clock });
let sync: PodSync;
let events: EventRecorder;

before(async () => {
  reg = await openTestRegistry();
  client = new InProcessClient(reg.registry, systemUser);
  factory = new InformerFactory(client);
  const pods = factory.informer(resources.pods, { fieldSelector: 'spec.nodeName=n1' });
  events = recorder();
  const node: SyncNode = { name: 'n1', runtime, runtimeName: 'fake', recorder: events, hostIP: '192.168.7.10' };
  sync = new PodSync({ client, pods, node: (n) => (n === 'n1' ? node : undefined), clock });
  factory.start(abort.signal);
  await factory.synced();
  await runtime.updateRuntimeConfig({ podCIDR: '10.9.0.0/24' });
});
after(async () => {
  abort.abort();
  await factory.stopped();
  await reg.close();
});

async function eventually<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Creates a pod bound to n1 and waits until the sync loop's informer has it. */
async function createPod(name: string): Promise<string> {
  await client.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'nginx:1.27' }] } });
  await eventually('pod in the informer', () => sync['o'].pods.get(`default/${name}`));
  return `default/${name}`;
}

/** Reconciles once the informer has caught up with the pod's latest write. */
async function reconcile(key: string) {
  const [ns, name] = key.split('/') as [string, string];
  const rv = (await client.get(resources.pods, ns, name))['metadata'].resourceVersion;
  await eventually('informer caught up', () => sync['o'].pods.get(key)?.['metadata']?.resourceVersion === rv);
  return sync.reconcile(key);
}

async function podEvents(name: string): Promise<Obj[]> {
  await events.flush();
  return (await client.list(resources.events, 'default', { fieldSelector: `involvedObject.name=${name}` })).items;
}

const state = async (name: string) => (await client.get(resources.pods, 'default', name))['status']?.containerStatuses?.[0]?.state;

describe('pod start failures', () => {
  it('a sandbox failure is FailedCreatePodSandBox, the pod waits in ContainerCreating, retries back off and events fold', async () => {
    runtime.fail.sandbox = 2;
    const key = await createPod('nosandbox');
    assert.deepEqual(await reconcile(key), { requeueAfterMs: 10_000 });
    assert.equal(runtime.calls.sandbox, 1);
    let evs = await podEvents('nosandbox');
    assert.equal(evs.length, 1);
    assert.equal(evs[0]!['type'], 'Warning');
    assert.equal(evs[0]!['reason'], 'FailedCreatePodSandBox');
    assert.equal(evs[0]!['message'], 'Failed to create pod sandbox: plugin type="bridge" failed (add): failed to allocate for range 0');
    assert.deepEqual(evs[0]!['source'], { component: 'kubelet', host: 'n1' });
    assert.equal(evs[0]!['involvedObject'].fieldPath, undefined);
    const pod = await client.get(resources.pods, 'default', 'nosandbox');
    assert.equal(pod['status'].phase, 'Pending');
    assert.deepEqual(pod['status'].containerStatuses[0].state, { waiting: { reason: 'ContainerCreating' } });

    // An early sync (another event, the periodic re-sync) does not try again.
    clock.advance(4_000);
    assert.deepEqual(await reconcile(key), { requeueAfterMs: 6_000 });
    assert.equal(runtime.calls.sandbox, 1);

    // Due: fails again; the wait doubles and the event's count goes up instead of a new Event.
    clock.advance(6_000);
    assert.deepEqual(await reconcile(key), { requeueAfterMs: 20_000 });
    assert.equal(runtime.calls.sandbox, 2);
    evs = await podEvents('nosandbox');
    assert.equal(evs.length, 1);
    assert.equal(evs[0]!['count'], 2);

    // The runtime recovers: the pod runs, and a later failure would start from 10 s again.
    clock.advance(20_000);
    await reconcile(key);
    assert.equal(runtime.calls.sandbox, 3);
    assert.ok((await state('nosandbox'))?.running, 'running after the sandbox came up');
    assert.deepEqual((await podEvents('nosandbox')).map((e) => e['reason']).sort(), ['Created', 'FailedCreatePodSandBox', 'Pulled', 'Started']);
    assert.equal(sync['failures'].blocked((await client.get(resources.pods, 'default', 'nosandbox'))['metadata'].uid, 'sandbox'), undefined);
  });

  it('a container the runtime will not create is Failed "Error: …" with CreateContainerError, retried after a back-off', async () => {
    runtime.fail.create = 1;
    const before = { ...runtime.calls };
    const key = await createPod('nocreate');
    assert.deepEqual(await reconcile(key), { requeueAfterMs: 10_000 });
    assert.equal(runtime.calls.create - before.create, 1);
    const failed = (await podEvents('nocreate')).filter((e) => e['reason'] === 'Failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!['type'], 'Warning');
    assert.equal(failed[0]!['message'], 'Error: failed to create containerd container: no such device');
    assert.equal(failed[0]!['involvedObject'].fieldPath, 'spec.containers{app}');
    assert.deepEqual(await state('nocreate'), { waiting: { reason: 'CreateContainerError', message: 'failed to create containerd container: no such device' } });

    clock.advance(3_000);
    assert.deepEqual(await reconcile(key), { requeueAfterMs: 7_000 });
    assert.equal(runtime.calls.create - before.create, 1, 'no create during the back-off');

    clock.advance(7_000);
    await reconcile(key);
    assert.equal(runtime.calls.create - before.create, 2);
    assert.ok((await state('nocreate'))?.running);
  });

  it('a container the runtime will not start is Failed with RunContainerError; the created container is started after the back-off', async () => {
    runtime.fail.start = 1;
    const before = { ...runtime.calls };
    const key = await createPod('nostart');
    assert.deepEqual(await reconcile(key), { requeueAfterMs: 10_000 });
    const reasons = (await podEvents('nostart')).map((e) => `${e['reason']}: ${e['message']}`).sort();
    assert.deepEqual(reasons, ['Created: Created container: app', 'Failed: Error: failed to start containerd task: exec: "nope": executable file not found in $PATH', 'Pulled: Container image "nginx:1.27" already present on machine']);
    assert.equal((await state('nostart'))?.waiting?.reason, 'RunContainerError');

    clock.advance(10_000);
    await reconcile(key);
    assert.equal(runtime.calls.create - before.create, 1, 'the created container is reused');
    assert.equal(runtime.calls.start - before.start, 2);
    assert.ok((await state('nostart'))?.running);
  });
});
