import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../client/types.ts';
import { openNodeTestCluster, ready, taintKeysOf, type NodeTestCluster } from './testing.ts';

const grace = 40_000;

async function withCluster(fn: (c: NodeTestCluster) => Promise<void>, nodes = ['n1', 'n2']): Promise<void> {
  const c = await openNodeTestCluster({ config: { nodeMonitorGracePeriodMs: grace } });
  try {
    for (const n of nodes) await c.addNode(n);
    await c.monitor(...nodes);
    await fn(c);
  } finally {
    await c.close();
  }
}

/** Lets `alive` nodes renew their Leases, moves time on, renews again, and runs a health pass. */
async function passTime(c: NodeTestCluster, ms: number, alive: string[]): Promise<void> {
  for (const n of alive) await c.renewLease(n);
  await c.monitor();
  await c.advance(ms);
  for (const n of alive) await c.renewLease(n);
  await c.monitor();
}

describe('node lifecycle controller', () => {
  it('a node that stops heartbeating turns Unknown after the grace period, with the upstream taints, event and pods not Ready', () =>
    withCluster(async (c) => {
      await c.runPod('p1', 'n1');
      await passTime(c, grace - 1000, ['n2']);
      assert.equal(ready(await c.node('n1'))!['status'], 'True', 'still within the grace period');

      await passTime(c, 2000, ['n2']);
      const n1 = await c.node('n1');
      const r = ready(n1)!;
      assert.equal(r['status'], 'Unknown');
      assert.equal(r['reason'], 'NodeStatusUnknown');
      assert.equal(r['message'], 'Kubelet stopped posting node status.');
      assert.equal(ready(await c.node('n2'))!['status'], 'True', 'the node renewing its Lease stays Ready');
      await c.eventually('unreachable NoSchedule taint (taint by condition)', async () => taintKeysOf(await c.node('n1')).includes('node.kubernetes.io/unreachable:NoSchedule'));
      await c.eventually('NodeNotReady event', async () => (await c.events('NodeNotReady')).some((e) => e['involvedObject'].kind === 'Node' && e['message'] === 'Node n1 status is now: NodeNotReady'));
      const pod = (await c.pod('p1'))!;
      assert.equal(ready(pod)!['status'], 'False', 'pods of an unreachable node are marked not Ready');
      assert.equal(ready(pod, 'ContainersReady')!['status'], 'True', 'only the Ready condition changes');
      await c.eventually('pod NodeNotReady warning', async () => (await c.events('NodeNotReady')).some((e) => e['involvedObject'].kind === 'Pod' && e['type'] === 'Warning'));

      // The next pass sees Unknown and queues the NoExecute taint; the tainting pass adds it.
      await c.monitor();
      await c.taintPass();
      await c.eventually('unreachable NoExecute taint', async () => taintKeysOf(await c.node('n1')).includes('node.kubernetes.io/unreachable:NoExecute'));
      const taint = ((await c.node('n1'))['spec'].taints as { key: string; effect: string; timeAdded?: string }[]).find((t) => t.effect === 'NoExecute')!;
      assert.ok(taint.timeAdded, 'NoExecute taints carry timeAdded');

      // The node comes back: taints go, Ready again.
      await c.postStatus('n1', 'True');
      await c.renewLease('n1');
      await c.monitor();
      await c.eventually('taints removed once Ready', async () => taintKeysOf(await c.node('n1')).length === 0);
    }));

  it('a node reporting Ready=False gets not-ready NoSchedule at once and NoExecute from the tainting pass; Unknown swaps it for unreachable', () =>
    withCluster(async (c) => {
      await c.postStatus('n1', 'False');
      await c.eventually('not-ready NoSchedule', async () => taintKeysOf(await c.node('n1')).includes('node.kubernetes.io/not-ready:NoSchedule'));
      await c.renewLease('n1');
      await c.monitor();
      await c.taintPass();
      await c.eventually('not-ready NoExecute', async () => taintKeysOf(await c.node('n1')).includes('node.kubernetes.io/not-ready:NoExecute'));

      // Silent now: Unknown; the NoExecute taint is swapped without waiting for the rate limiter.
      await passTime(c, grace + 1000, ['n2']);
      await c.monitor();
      await c.eventually('unreachable replaces not-ready', async () => {
        const keys = taintKeysOf(await c.node('n1'));
        return keys.includes('node.kubernetes.io/unreachable:NoExecute') && keys.includes('node.kubernetes.io/unreachable:NoSchedule') && !keys.some((k) => k.startsWith('node.kubernetes.io/not-ready'));
      });
    }));

  it('taints nodes by condition and spec.unschedulable, and keeps the beta os/arch labels', () =>
    withCluster(async (c) => {
      await c.client.patch(resources.nodes, '', 'n1', 'strategic', { spec: { unschedulable: true } });
      await c.eventually('unschedulable taint', async () => taintKeysOf(await c.node('n1')).includes('node.kubernetes.io/unschedulable:NoSchedule'));
      await c.postStatus('n2', 'True', [{ type: 'MemoryPressure', status: 'True' }, { type: 'DiskPressure', status: 'True' }]);
      await c.eventually('pressure taints', async () => {
        const keys = taintKeysOf(await c.node('n2'));
        return keys.includes('node.kubernetes.io/memory-pressure:NoSchedule') && keys.includes('node.kubernetes.io/disk-pressure:NoSchedule');
      });
      await c.client.patch(resources.nodes, '', 'n1', 'strategic', { spec: { unschedulable: null } });
      await c.postStatus('n2', 'True', [{ type: 'MemoryPressure', status: 'False' }, { type: 'DiskPressure', status: 'False' }]);
      await c.eventually('taints removed again', async () => taintKeysOf(await c.node('n1')).length === 0 && taintKeysOf(await c.node('n2')).length === 0);
      const labels = (await c.node('n1'))['metadata'].labels;
      assert.equal(labels['beta.kubernetes.io/os'], 'linux');
      assert.equal(labels['beta.kubernetes.io/arch'], 'amd64');
      assert.ok((await c.events('RegisteredNode')).some((e) => e['message'] === 'Node n1 event: Registered Node n1 in Controller'));
    }));

  it('evicts at a limited rate: one node tainted per 10 s in a zone', () =>
    withCluster(
      async (c) => {
        const alive = ['n3', 'n4', 'n5'];
        await passTime(c, grace + 1000, alive);
        await passTime(c, 1000, alive);
        await c.taintPass();
        const tainted = async () => (await Promise.all(['n1', 'n2'].map(async (n) => taintKeysOf(await c.node(n)).includes('node.kubernetes.io/unreachable:NoExecute')))).filter(Boolean).length;
        await c.eventually('first node tainted', async () => (await tainted()) === 1);
        await c.advance(5000);
        await c.taintPass();
        assert.equal(await tainted(), 1, 'the second waits for the rate limiter');
        await c.advance(5000);
        await c.taintPass();
        await c.eventually('second node tainted after 10 s', async () => (await tainted()) === 2);
      },
      ['n1', 'n2', 'n3', 'n4', 'n5'],
    ));

  it('when every node is unreachable (full disruption) it adds no NoExecute taints and evicts nothing', () =>
    withCluster(async (c) => {
      await c.runPod('p1', 'n1');
      await passTime(c, grace + 1000, []);
      await passTime(c, 1000, []);
      await c.taintPass();
      await c.advance(10_000);
      await c.taintPass();
      for (const n of ['n1', 'n2']) {
        assert.equal(ready(await c.node(n))!['status'], 'Unknown');
        assert.deepEqual(taintKeysOf(await c.node(n)), ['node.kubernetes.io/unreachable:NoSchedule']);
      }
      assert.equal((await c.pod('p1'))!['metadata'].deletionTimestamp, undefined);
      // One node back: normal operation resumes, the other is tainted after a fresh grace period.
      await c.postStatus('n2', 'True');
      await passTime(c, 1000, ['n2']);
      await passTime(c, 1000, ['n2']);
      await c.taintPass();
      assert.ok(!taintKeysOf(await c.node('n1')).includes('node.kubernetes.io/unreachable:NoExecute'), 'a fresh grace period first');
      await passTime(c, grace + 1000, ['n2']);
      await passTime(c, 1000, ['n2']);
      await c.advance(10_000);
      await c.taintPass();
      await c.eventually('tainted after the fresh grace period', async () => taintKeysOf(await c.node('n1')).includes('node.kubernetes.io/unreachable:NoExecute'));
    }));

  it('a pod bound to a node already unreachable is marked not Ready', () =>
    withCluster(async (c) => {
      await passTime(c, grace + 1000, ['n2']);
      assert.equal(ready(await c.node('n1'))!['status'], 'Unknown');
      // Bound after the node went silent (through pods/binding, as the scheduler does).
      await c.runPod('late', '');
      await c.client.createSubresource(resources.pods, 'default', 'late', 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'late' }, target: { kind: 'Node', name: 'n1' } });
      await c.eventually('late pod not Ready', async () => ready((await c.pod('late'))!)!['status'] === 'False');
    }));

  it('a node that never posted status is marked Unknown only after the start-up grace period', async () => {
    const c = await openNodeTestCluster({ config: { nodeMonitorGracePeriodMs: grace } });
    try {
      await c.client.create(resources.nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'fresh' } });
      await c.monitor('fresh');
      await c.advance(grace + 1000);
      await c.monitor();
      assert.equal(ready(await c.node('fresh')), undefined, 'within the start-up grace (1.5 × grace)');
      await c.advance(grace);
      await c.monitor();
      const r = ready(await c.node('fresh'))!;
      assert.equal(r['status'], 'Unknown');
      assert.equal(r['reason'], 'NodeStatusNeverUpdated');
    } finally {
      await c.close();
    }
  });
});
