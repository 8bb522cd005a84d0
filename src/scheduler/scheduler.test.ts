/**
 * The scheduler in a test cluster: real registry and storage, the
 * controller manager running only the scheduler, Node objects, pods
 * created through the client as kubectl would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resources, type Client, type Obj } from '../client/types.ts';
import { openTestCluster, type TestCluster } from '../../test/harness/cluster.ts';
import { defaultPlugins } from './framework/profile.ts';
import type { BindPlugin } from './framework/interfaces.ts';
import { errorStatus } from './framework/status.ts';
import { DefaultBinder } from './plugins/default-binder.ts';
import { Scheduler } from './scheduler.ts';

const HOST = 'kubernetes.io/hostname';

interface PodOpts {
  labels?: Record<string, string>;
  requests?: Record<string, string>;
  spec?: Obj;
}

function pod(name: string, o: PodOpts = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: o.labels ?? {} },
    spec: { containers: [{ name: 'c', image: 'nginx:1.14.2', ...(o.requests ? { resources: { requests: o.requests } } : {}) }], ...(o.spec ?? {}) },
  };
}

const nginxAntiAffinity = {
  affinity: {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['nginx'] }] }, topologyKey: HOST }],
    },
  },
};

async function getPod(c: Client, name: string, ns = 'default'): Promise<Obj> {
  return c.get(resources.pods, ns, name);
}

function scheduledCond(p: Obj): Obj | undefined {
  return (p['status']?.conditions ?? []).find((c: Obj) => c.type === 'PodScheduled');
}

async function eventsFor(c: Client, name: string, reason: string, ns = 'default'): Promise<Obj[]> {
  const l = await c.list(resources.events, ns);
  return l.items.filter((e) => e['involvedObject']?.name === name && e['reason'] === reason);
}

async function boundTo(tc: TestCluster, name: string, ns = 'default'): Promise<string> {
  return tc.eventually(`${ns}/${name} bound`, async () => (await getPod(tc.client, name, ns))['spec']?.nodeName);
}

async function pendingWith(tc: TestCluster, name: string): Promise<Obj> {
  return tc.eventually(`${name} marked unschedulable`, async () => {
    const p = await getPod(tc.client, name);
    const cond = scheduledCond(p);
    return cond?.status === 'False' ? cond : undefined;
  });
}

function cluster(): { tc: () => TestCluster } {
  let tc: TestCluster;
  before(async () => {
    tc = await openTestCluster({ controllers: { scheduler: (ctx) => new Scheduler(ctx) } });
  });
  after(async () => tc?.close());
  return { tc: () => tc };
}

describe('scheduler: seed 001 anti-affinity pods', () => {
  const { tc } = cluster();

  it('places one per node on two nodes, leaves the third pending with upstream’s reasons, and places it on a new node', async () => {
    const c = tc();
    await c.addNode('node-1');
    await c.addNode('node-2');
    for (const n of ['web-1', 'web-2', 'web-3']) await c.client.create(resources.pods, 'default', pod(n, { labels: { app: 'nginx' }, spec: nginxAntiAffinity }));
    const pending = await pendingWith(c, 'web-3');
    const placed = [];
    for (const n of ['web-1', 'web-2']) placed.push(await boundTo(c, n));
    assert.deepEqual(placed.sort(), ['node-1', 'node-2']);
    const want =
      "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..";
    assert.equal(pending['reason'], 'Unschedulable');
    assert.equal(pending['message'], want);
    const failed = await c.eventually('FailedScheduling event', async () => (await eventsFor(c.client, 'web-3', 'FailedScheduling'))[0]);
    assert.equal(failed['type'], 'Warning');
    assert.equal(failed['message'], want);
    assert.equal(failed['source'].component, 'default-scheduler');
    const ok = await c.eventually('Scheduled event', async () => (await eventsFor(c.client, 'web-1', 'Scheduled'))[0]);
    assert.match(ok['message'], /^Successfully assigned default\/web-1 to node-[12]$/);
    assert.equal(ok['type'], 'Normal');

    // Bound pods turning Running (status-only updates) are no reason to retry: no new FailedScheduling.
    c.startKubelet();
    await c.eventually('pods running', async () => (await getPod(c.client, 'web-1'))['status']?.phase === 'Running' && (await getPod(c.client, 'web-2'))['status']?.phase === 'Running');
    await new Promise((r) => setTimeout(r, 300));
    const again = await eventsFor(c.client, 'web-3', 'FailedScheduling');
    assert.equal(again.length, 1);
    assert.equal(again[0]!['count'], 1);

    await c.addNode('node-3');
    assert.equal(await boundTo(c, 'web-3'), 'node-3');
    assert.equal(scheduledCond(await getPod(c.client, 'web-3'))?.status, 'True');
  });
});

describe('scheduler: resources', () => {
  const { tc } = cluster();

  it('fills nodes by cpu requests, reports Insufficient cpu, and retries when a pod goes', async () => {
    const c = tc();
    await c.addNode('small-1', { capacity: { cpu: '2' } });
    await c.addNode('small-2', { capacity: { cpu: '2' } });
    for (let i = 1; i <= 5; i++) await c.client.create(resources.pods, 'default', pod(`job-${i}`, { requests: { cpu: '1' } }));
    const cond = await pendingWith(c, 'job-5');
    assert.equal(cond['message'], '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..');
    const counts = new Map<string, number>();
    for (let i = 1; i <= 4; i++) {
      const n = await boundTo(c, `job-${i}`);
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    assert.deepEqual([...counts.values()], [2, 2]);
    await c.client.delete(resources.pods, 'default', 'job-1', { gracePeriodSeconds: 0 });
    assert.ok(['small-1', 'small-2'].includes(await boundTo(c, 'job-5')));
  });

  it('a pod larger than any node stays pending', async () => {
    const c = tc();
    await c.client.create(resources.pods, 'default', pod('huge', { requests: { cpu: '3', memory: '16Gi' } }));
    const cond = await pendingWith(c, 'huge');
    assert.equal(cond['message'], '0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..');
  });
});

describe('scheduler: taints, tolerations, nodeSelector and cordon', () => {
  const { tc } = cluster();

  it('keeps pods off tainted nodes unless they tolerate the taint', async () => {
    const c = tc();
    await c.addNode('gpu-1', { labels: { accel: 'gpu' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await c.client.create(resources.pods, 'default', pod('plain', { spec: { nodeSelector: { accel: 'gpu' } } }));
    const cond = await pendingWith(c, 'plain');
    assert.equal(
      cond['message'],
      '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..',
    );
    await c.client.create(resources.pods, 'default', pod('tolerant', { spec: { nodeSelector: { accel: 'gpu' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] } }));
    assert.equal(await boundTo(c, 'tolerant'), 'gpu-1');
  });

  it('waits for a node with the selected label and places the pod once a node is labelled', async () => {
    const c = tc();
    await c.addNode('plain-1');
    await c.client.create(resources.pods, 'default', pod('ssd-only', { spec: { nodeSelector: { disk: 'ssd' } } }));
    const cond = await pendingWith(c, 'ssd-only');
    assert.match(cond['message'], /^0\/2 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector, 1 node\(s\) had untolerated taint \{dedicated: gpu\}\./);
    await c.client.patch(resources.nodes, '', 'plain-1', 'merge', { metadata: { labels: { disk: 'ssd' } } });
    assert.equal(await boundTo(c, 'ssd-only'), 'plain-1');
  });

  it('does not use a cordoned node until it is uncordoned', async () => {
    const c = tc();
    await c.client.patch(resources.nodes, '', 'plain-1', 'merge', { spec: { unschedulable: true } });
    await c.client.create(resources.pods, 'default', pod('after-cordon', { spec: { nodeSelector: { disk: 'ssd' } } }));
    const cond = await pendingWith(c, 'after-cordon');
    assert.match(cond['message'], /1 node\(s\) were unschedulable/);
    await c.client.patch(resources.nodes, '', 'plain-1', 'merge', { spec: { unschedulable: false } });
    assert.equal(await boundTo(c, 'after-cordon'), 'plain-1');
  });

  it('places a DaemonSet-style pod (matchFields on metadata.name) on its node', async () => {
    const c = tc();
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['plain-1'] }] }] } } };
    await c.client.create(resources.pods, 'default', pod('ds-pod', { spec: { affinity } }));
    assert.equal(await boundTo(c, 'ds-pod'), 'plain-1');
  });
});

describe('scheduler: topology spread and responsibility', () => {
  const { tc } = cluster();

  it('spreads across zones with maxSkew 1', async () => {
    const c = tc();
    await c.addNode('z1-a', { labels: { 'topology.kubernetes.io/zone': 'z1' } });
    await c.addNode('z1-b', { labels: { 'topology.kubernetes.io/zone': 'z1' } });
    await c.addNode('z2-a', { labels: { 'topology.kubernetes.io/zone': 'z2' } });
    const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }] };
    for (let i = 1; i <= 6; i++) await c.client.create(resources.pods, 'default', pod(`s-${i}`, { labels: { app: 'spread' }, spec: spread }));
    const zones = { z1: 0, z2: 0 };
    for (let i = 1; i <= 6; i++) {
      const n = await boundTo(c, `s-${i}`);
      zones[n.startsWith('z1') ? 'z1' : 'z2']++;
    }
    assert.deepEqual(zones, { z1: 3, z2: 3 });
  });

  it('leaves pods for other schedulers, and pods being deleted, alone', async () => {
    const c = tc();
    await c.client.create(resources.pods, 'default', pod('other', { spec: { schedulerName: 'my-scheduler' } }));
    await c.client.create(resources.pods, 'default', pod('mine'));
    await boundTo(c, 'mine');
    const other = await getPod(c.client, 'other');
    assert.equal(other['spec'].nodeName, undefined);
    assert.equal(scheduledCond(other), undefined);

    // A pending pod held by a finalizer and then deleted is not placed when a node would fit.
    const held = pod('held', { spec: { nodeSelector: { pool: 'later' } } });
    held['metadata'].finalizers = ['example.com/hold'];
    await c.client.create(resources.pods, 'default', held);
    await pendingWith(c, 'held');
    await c.client.delete(resources.pods, 'default', 'held');
    assert.ok((await getPod(c.client, 'held'))['metadata'].deletionTimestamp);
    await c.client.patch(resources.nodes, '', 'z2-a', 'merge', { metadata: { labels: { pool: 'later' } } });
    await c.client.create(resources.pods, 'default', pod('later', { spec: { nodeSelector: { pool: 'later' } } }));
    assert.equal(await boundTo(c, 'later'), 'z2-a');
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await getPod(c.client, 'held'))['spec'].nodeName, undefined);
    await c.client.patch(resources.pods, 'default', 'held', 'merge', { metadata: { finalizers: null } });
  });

  it('does not schedule gated pods until their gates are removed', async () => {
    const c = tc();
    await c.client.create(resources.pods, 'default', pod('gated', { spec: { schedulingGates: [{ name: 'example.com/wait' }] } }));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await getPod(c.client, 'gated'))['spec'].nodeName, undefined);
    await c.client.patch(resources.pods, 'default', 'gated', 'merge', { spec: { schedulingGates: null } });
    await boundTo(c, 'gated');
  });
});

describe('scheduler: a failed binding', () => {
  let tc: TestCluster;
  let scheduler: Scheduler;
  let calls = 0;
  before(async () => {
    tc = await openTestCluster({
      controllers: {
        scheduler: (ctx) => {
          const real = new DefaultBinder(ctx.client);
          const flaky: BindPlugin = { name: 'FlakyBinder', bind: (s, p, n) => (++calls === 1 ? Promise.resolve(errorStatus(new Error('etcdserver: request timed out'))) : real.bind(s, p, n)) };
          return (scheduler = new Scheduler(ctx, { plugins: (h, rf) => defaultPlugins(h, ctx.client, rf).map((e) => (e.plugin.name === 'DefaultBinder' ? { plugin: flaky } : e)) }));
        },
      },
    });
  });
  after(async () => tc?.close());

  it('reports SchedulerError, forgets the assumed pod and binds on the retry', async () => {
    await tc.addNode('only', { capacity: { cpu: '2' } });
    await tc.client.create(resources.pods, 'default', pod('retry', { requests: { cpu: '1500m' } }));
    const cond = await pendingWith(tc, 'retry');
    assert.equal(cond['reason'], 'SchedulerError');
    assert.equal(cond['message'], 'running Bind plugin "FlakyBinder": etcdserver: request timed out');
    assert.equal(await boundTo(tc, 'retry'), 'only');
    assert.equal(calls, 2);
    await tc.eventually('bound pod confirmed in the cache', async () => !scheduler.cache.isAssumed((await getPod(tc.client, 'retry'))['metadata'].uid));
    assert.equal(scheduler.cache.get('only')!.requested.milliCPU, 1500, 'counted once');
    assert.equal(scheduler.metrics.bindFailures, 1);
  });
});
