import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../client/clock.ts';
import { resources, type Obj } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { PodGCController } from './podgc.ts';

interface GCCluster extends TestCluster {
  clock: FakeClock;
  gc(): Promise<void>;
  pod(name: string): Promise<Obj | undefined>;
  makePod(name: string, o?: { node?: string; phase?: string; reason?: string; finalizer?: boolean }): Promise<void>;
}

async function withGC(fn: (c: GCCluster) => Promise<void>): Promise<void> {
  const clock = new FakeClock(Date.now());
  let gc!: PodGCController;
  const cluster = await openTestCluster({ clock, controllers: { 'pod-garbage-collector': (ctx) => (gc = new PodGCController(ctx, { terminatedPodThreshold: 3, periodMs: 1e12 })) } });
  const { client } = cluster;
  const c: GCCluster = {
    ...cluster,
    clock,
    async gc() {
      // Let the informers catch up with the test's writes first.
      await cluster.eventually('pod cache in sync', async () => {
        const live = (await client.list(resources.pods, '')).items;
        return live.length === gc['pods'].list().length && live.every((p) => gc['pods'].getByName(p['metadata'].namespace, p['metadata'].name)?.['metadata'].resourceVersion === p['metadata'].resourceVersion);
      });
      await cluster.eventually('node cache in sync', async () => (await client.list(resources.nodes, '')).items.length === gc['nodes'].list().length);
      await gc.gc();
    },
    async pod(name) {
      try {
        return await client.get(resources.pods, 'default', name);
      } catch {
        return undefined;
      }
    },
    async makePod(name, o = {}) {
      await client.create(resources.pods, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, ...(o.finalizer ? { finalizers: ['test.bramble.dev/hold'] } : {}) },
        spec: { ...(o.node ? { nodeName: o.node } : {}), containers: [{ name: 'c', image: 'busybox' }] },
      });
      if (o.phase) await client.patch(resources.pods, 'default', name, 'merge', { status: { phase: o.phase, ...(o.reason ? { reason: o.reason } : {}) } }, { subresource: 'status' });
    },
  };
  try {
    await fn(c);
  } finally {
    await cluster.close();
  }
}

const setNotReady = (c: GCCluster, node: string) =>
  c.client.patch(resources.nodes, '', node, 'strategic', { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }] } }, { subresource: 'status' });

describe('pod garbage collector', () => {
  it('force-deletes pods of a vanished node after the 40 s quarantine, marking them Failed', () =>
    withGC(async (c) => {
      await c.addNode('n1');
      await c.makePod('orphan', { node: 'ghost', phase: 'Running' });
      await c.makePod('held-orphan', { node: 'ghost', phase: 'Running', finalizer: true });
      await c.makePod('fine', { node: 'n1', phase: 'Running' });
      await c.gc();
      c.clock.advance(39_000);
      await c.gc();
      assert.ok(await c.pod('orphan'), 'kept during the quarantine');
      c.clock.advance(1_000);
      await c.gc();
      assert.equal(await c.pod('orphan'), undefined);
      assert.ok(await c.pod('fine'));
      const held = (await c.pod('held-orphan'))!;
      assert.ok(held['metadata'].deletionTimestamp, 'deleted (a finalizer holds it)');
      assert.equal(held['status'].phase, 'Failed');
      const cond = (held['status'].conditions as Obj[]).find((x) => x['type'] === 'DisruptionTarget')!;
      assert.deepEqual([cond['status'], cond['reason'], cond['message']], ['True', 'DeletionByPodGC', 'PodGC: node no longer exists']);
    }));

  it('keeps pods whose node shows up during the quarantine', () =>
    withGC(async (c) => {
      await c.makePod('early', { node: 'late-node', phase: 'Running' });
      await c.gc();
      await c.addNode('late-node');
      c.clock.advance(60_000);
      await c.gc();
      assert.ok(await c.pod('early'));
    }));

  it('force-deletes terminating pods only on a not-Ready node with the out-of-service taint', () =>
    withGC(async (c) => {
      await c.addNode('dead', { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] });
      await c.addNode('ready-but-tainted', { taints: [{ key: 'node.kubernetes.io/out-of-service', effect: 'NoExecute' }] });
      await c.addNode('not-ready');
      await setNotReady(c, 'dead');
      await setNotReady(c, 'not-ready');
      for (const [pod, node] of [['a', 'dead'], ['b', 'ready-but-tainted'], ['c', 'not-ready']] as const) {
        await c.makePod(pod, { node, phase: 'Running' });
        await c.client.delete(resources.pods, 'default', pod);
        assert.ok((await c.pod(pod))!['metadata'].deletionTimestamp, 'graceful deletion waits for the node');
      }
      await c.gc();
      assert.equal(await c.pod('a'), undefined);
      assert.ok(await c.pod('b'));
      assert.ok(await c.pod('c'));
    }));

  it('force-deletes unscheduled terminating pods', () =>
    withGC(async (c) => {
      await c.makePod('stuck', { finalizer: true });
      await c.client.delete(resources.pods, 'default', 'stuck');
      await c.gc();
      const p = (await c.pod('stuck'))!;
      assert.equal(p['status'].phase, 'Failed', 'marked Failed before the force deletion (its finalizer keeps it)');
    }));

  it('deletes finished pods above the threshold: evicted first, then oldest', () =>
    withGC(async (c) => {
      await c.addNode('n1');
      for (const name of ['done-1', 'done-2', 'done-3', 'done-4']) await c.makePod(name, { node: 'n1', phase: 'Succeeded' });
      await c.makePod('z-evicted', { node: 'n1', phase: 'Failed', reason: 'Evicted' });
      await c.makePod('running', { node: 'n1', phase: 'Running' });
      await c.gc();
      const left = (await c.client.list(resources.pods, 'default')).items.map((p) => p['metadata'].name).sort();
      assert.deepEqual(left, ['done-2', 'done-3', 'done-4', 'running']);
    }));
});
