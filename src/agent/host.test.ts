/**
 * The agent against the real registry (in-process client): registration,
 * Lease, pod lifecycle on the fake runtime (IPs, init containers, Jobs,
 * restarts, deletion, events), the pod CIDR wait and fallback, and a
 * restart that adopts running pods without writing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessClient } from '../client/in-process.ts';
import { resources, type Client, type Obj } from '../client/types.ts';
import { openTestRegistry, systemUser } from '../../test/harness/registry.ts';
import { fakeNodeConfig } from './config.ts';
import { AgentHost } from './host.ts';
import { exitCodeAnnotation, fakeNodeRuntime, FakeRuntime, runSecondsAnnotation } from './runtime/fake/index.ts';

let reg: Awaited<ReturnType<typeof openTestRegistry>>;
let client: Client;
const hosts: AgentHost[] = [];

before(async () => {
  reg = await openTestRegistry();
  client = new InProcessClient(reg.registry, systemUser);
});
after(async () => {
  for (const h of hosts) await h.stop();
  await reg.close();
});

async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startHost(name: string, opts: { podCIDRWaitMs?: number; labels?: Record<string, string>; taints?: Obj[]; resyncMs?: number } = {}): AgentHost {
  const config = fakeNodeConfig({ name, internalIP: '192.168.7.10', labels: opts.labels ?? {}, taints: opts.taints ?? [], capacity: { cpu: '4', memory: '8Gi', pods: '110' }, runtimeVersion: '0.1.0' });
  const host = new AgentHost({
    client,
    nodes: [{ config, fallbackPodCIDR: '10.200.0.0/24' }],
    runtimeFor: () => fakeNodeRuntime({ version: '0.1.0' }),
    podFieldSelector: `spec.nodeName=${name}`,
    nodeSelector: { fieldSelector: `metadata.name=${name}` },
    podCIDRWaitMs: opts.podCIDRWaitMs ?? 60_000,
    resyncMs: opts.resyncMs,
  });
  hosts.push(host);
  return host;
}

const pod = (name: string, node: string, spec: Obj = {}, annotations: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, annotations },
  spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec },
});
const getPod = (name: string) => client.get(resources.pods, 'default', name);
const setCIDR = (node: string, cidr: string) => client.patch(resources.nodes, '', node, 'merge', { spec: { podCIDR: cidr, podCIDRs: [cidr] } });

describe('agent host on the fake runtime', () => {
  it('registers its Node as a kubelet does, and holds its Lease', async () => {
    await startHost('n1', { labels: { zone: 'a' }, taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] }).start();
    const n = await client.get(resources.nodes, '', 'n1');
    assert.equal(n['metadata'].labels['kubernetes.io/hostname'], 'n1');
    assert.equal(n['metadata'].labels['type'], 'bramble-fake');
    assert.equal(n['metadata'].labels['zone'], 'a');
    assert.deepEqual(n['spec'].taints, [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
    assert.deepEqual(n['status'].conditions.map((c: Obj) => `${c['type']}=${c['status']}`), ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True']);
    assert.equal(n['status'].nodeInfo.kubeletVersion, 'v1.32.4+bramble');
    assert.equal(n['status'].nodeInfo.containerRuntimeVersion, 'fake://0.1.0');
    assert.deepEqual(n['status'].addresses, [{ type: 'InternalIP', address: '192.168.7.10' }, { type: 'Hostname', address: 'n1' }]);
    const lease = await client.get(resources.leases, 'kube-node-lease', 'n1');
    assert.equal(lease['spec'].holderIdentity, 'n1');
    assert.equal(lease['spec'].leaseDurationSeconds, 40);
    assert.deepEqual(lease['metadata'].ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: n['metadata'].uid }]);
  });

  it('a bound pod waits for the pod CIDR, then runs with an IP from it; one status write per change', async () => {
    await client.create(resources.pods, 'default', pod('web', 'n1'));
    const pending = await eventually('Pending status', async () => (await getPod('web'))['status']?.containerStatuses && getPod('web'));
    assert.equal(pending['status'].phase, 'Pending');
    assert.deepEqual(pending['status'].containerStatuses[0].state, { waiting: { reason: 'ContainerCreating' } });
    await setCIDR('n1', '10.42.3.0/24');
    const p = await eventually('Running', async () => ((await getPod('web'))['status']?.phase === 'Running' ? getPod('web') : undefined));
    assert.equal(p['status'].podIP, '10.42.3.2');
    assert.equal(p['status'].hostIP, '192.168.7.10');
    assert.equal(p['status'].qosClass, 'BestEffort');
    assert.match(p['status'].containerStatuses[0].containerID, /^fake:\/\/[0-9a-f]{64}$/);
    // Settled: nothing more is written.
    const rv = p['metadata'].resourceVersion;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await getPod('web'))['metadata'].resourceVersion, rv);
  });

  it('records Pulled, Created and Started as the kubelet, naming the container', async () => {
    const evs = await eventually('three events', async () => {
      const l = (await client.list(resources.events, 'default', { fieldSelector: 'involvedObject.name=web' })).items;
      return l.length >= 3 && l;
    });
    const by = Object.fromEntries(evs.map((e) => [e['reason'], e]));
    assert.equal(by['Pulled']?.['message'], 'Container image "nginx:1.27" already present on machine');
    assert.equal(by['Created']?.['message'], 'Created container: app');
    assert.equal(by['Started']?.['message'], 'Started container app');
    assert.deepEqual(by['Started']?.['source'], { component: 'kubelet', host: 'n1' });
    assert.equal(by['Started']?.['involvedObject'].fieldPath, 'spec.containers{app}');
  });

  it('init containers complete first', async () => {
    await client.create(resources.pods, 'default', pod('with-init', 'n1', { initContainers: [{ name: 'setup', image: 'busybox:1.36' }, { name: 'migrate', image: 'busybox:1.36' }] }));
    const p = await eventually('Running', async () => ((await getPod('with-init'))['status']?.phase === 'Running' ? getPod('with-init') : undefined));
    assert.deepEqual(p['status'].initContainerStatuses.map((c: Obj) => [c['name'], c['state'].terminated?.reason]), [['setup', 'Completed'], ['migrate', 'Completed']]);
    assert.equal(p['status'].conditions.find((c: Obj) => c['type'] === 'Initialized').status, 'True');
  });

  it('Job-style pods finish as Succeeded or Failed after fake-run-seconds', async () => {
    await client.create(resources.pods, 'default', pod('job-ok', 'n1', { restartPolicy: 'Never' }, { [runSecondsAnnotation]: '0.2' }));
    await client.create(resources.pods, 'default', pod('job-bad', 'n1', { restartPolicy: 'Never' }, { [runSecondsAnnotation]: '0.2', [exitCodeAnnotation]: '3' }));
    const ok = await eventually('Succeeded', async () => ((await getPod('job-ok'))['status']?.phase === 'Succeeded' ? getPod('job-ok') : undefined));
    assert.equal(ok['status'].containerStatuses[0].state.terminated.reason, 'Completed');
    assert.equal(ok['status'].conditions.find((c: Obj) => c['type'] === 'Ready').reason, 'PodCompleted');
    const bad = await eventually('Failed', async () => ((await getPod('job-bad'))['status']?.phase === 'Failed' ? getPod('job-bad') : undefined));
    assert.equal(bad['status'].containerStatuses[0].state.terminated.exitCode, 3);
  });

  it('OnFailure restarts a failing container (the first restart at once)', async () => {
    await client.create(resources.pods, 'default', pod('flaky', 'n1', { restartPolicy: 'OnFailure' }, { [runSecondsAnnotation]: '0.1', [exitCodeAnnotation]: '1' }));
    const p = await eventually('a restart', async () => {
      const s = (await getPod('flaky'))['status']?.containerStatuses?.[0];
      return s?.restartCount >= 1 && getPod('flaky');
    });
    assert.equal(p['status'].containerStatuses[0].lastState.terminated.exitCode, 1);
    const waiting = await eventually('CrashLoopBackOff', async () => (await getPod('flaky'))['status']?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff');
    assert.ok(waiting);
    assert.equal((await getPod('flaky'))['status'].phase, 'Running');
  });

  it('deletion: Killing, terminal status, then the pod goes (uid precondition, grace 0)', async () => {
    await client.delete(resources.pods, 'default', 'web');
    await eventually('pod gone', async () => !(await getPod('web').then(() => true, () => false)));
    // Events are recorded asynchronously (the pod may be gone before its Killing event is written): wait for it.
    const evs = await eventually('a Killing event', async () => {
      const l = (await client.list(resources.events, 'default', { fieldSelector: 'involvedObject.name=web,reason=Killing' })).items;
      return l.length > 0 && l;
    });
    assert.equal(evs[0]?.['message'], 'Stopping container app');
  });

  it('a pod removed behind its back (force delete) is cleaned from the runtime', async () => {
    const host = hosts[0]!;
    const rt = host.agents.get('n1')!.runtime as FakeRuntime;
    const before = rt.ipsInUse;
    await client.create(resources.pods, 'default', pod('forced', 'n1'));
    await eventually('Running', async () => (await getPod('forced'))['status']?.phase === 'Running');
    assert.equal(rt.ipsInUse, before + 1);
    await client.delete(resources.pods, 'default', 'forced', { gracePeriodSeconds: 0 });
    await eventually('IP released', async () => rt.ipsInUse === before);
  });

  it('a node without a pod CIDR falls back to its private range after the wait', async () => {
    await startHost('n2', { podCIDRWaitMs: 150 }).start();
    await client.create(resources.pods, 'default', pod('fallback', 'n2'));
    const p = await eventually('Running', async () => ((await getPod('fallback'))['status']?.phase === 'Running' ? getPod('fallback') : undefined));
    assert.equal(p['status'].podIP, '10.200.0.2');
  });

  it('a new image restarts the container; a status edited by someone else is put right at the next re-sync', async () => {
    await startHost('n3', { podCIDRWaitMs: 0, resyncMs: 600 }).start();
    await client.create(resources.pods, 'default', pod('edited', 'n3'));
    await eventually('Running', async () => (await getPod('edited'))['status']?.phase === 'Running');
    await client.patch(resources.pods, 'default', 'edited', 'strategic', { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } });
    const p = await eventually('restarted', async () => {
      const s = (await getPod('edited'))['status']?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.state?.running && getPod('edited');
    });
    assert.equal(p['status'].containerStatuses[0].image, 'docker.io/library/nginx:1.28');
    // Recorded asynchronously: the restarted container may show in the status before the event is written.
    const killing = await eventually('a Killing event', async () => {
      const l = (await client.list(resources.events, 'default', { fieldSelector: 'involvedObject.name=edited,reason=Killing' })).items;
      return l.length > 0 && l;
    });
    assert.equal(killing[0]?.['message'], 'Container app definition changed, will be restarted');

    const conditions = p['status'].conditions.map((c: Obj) => (c['type'] === 'Ready' ? { ...c, status: 'False' } : c));
    await client.patch(resources.pods, 'default', 'edited', 'strategic', { status: { conditions } }, { subresource: 'status' });
    const ready = async () => (await getPod('edited'))['status'].conditions.find((c: Obj) => c['type'] === 'Ready').status;
    assert.equal(await ready(), 'False', 'a status-only change does not trigger a sync at once');
    await eventually('Ready again after the re-sync', async () => (await ready()) === 'True', 5_000);
  });

  it('a restarted agent adopts its running pods and rewrites nothing', async () => {
    const first = hosts[0]!;
    const running = await getPod('with-init');
    await first.stop();
    hosts.splice(0, 1);
    const again = startHost('n1');
    await again.start();
    await new Promise((r) => setTimeout(r, 400));
    const now = await getPod('with-init');
    assert.equal(now['metadata'].resourceVersion, running['metadata'].resourceVersion);
    // And the adopted pod is still managed: deleting it completes.
    await client.delete(resources.pods, 'default', 'with-init');
    await eventually('pod gone', async () => !(await getPod('with-init').then(() => true, () => false)));
  });
});
