import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resources, type Obj } from '../../client/types.ts';
import { ReplicaSetController } from '../replicaset/controller.ts';
import { startTestScheduler } from './test-scheduler.ts';
import { openNodeTestCluster, type NodeTestCluster } from './testing.ts';

const dedicated = { key: 'dedicated', value: 'ci', effect: 'NoExecute' };
const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };

async function withCluster(fn: (c: NodeTestCluster) => Promise<void>): Promise<void> {
  const c = await openNodeTestCluster({ config: { defaultNotReadyTolerationSeconds: 300, defaultUnreachableTolerationSeconds: 300 } });
  try {
    await c.addNode('n1');
    await c.addNode('n2');
    await c.monitor('n1', 'n2');
    await fn(c);
  } finally {
    await c.close();
  }
}

const setTaints = (c: NodeTestCluster, node: string, taints: Obj[]) => c.client.patch(resources.nodes, '', node, 'merge', { spec: { taints: taints.length ? taints : null } });
const deleting = async (c: NodeTestCluster, pod: string) => Boolean((await c.pod(pod))?.['metadata'].deletionTimestamp);
const evictionEvents = async (c: NodeTestCluster, pod: string) => (await c.events('TaintManagerEviction')).filter((e) => e['involvedObject'].name === pod).map((e) => e['message']);

describe('taint eviction controller', () => {
  it('deletes at once a pod that does not tolerate a NoExecute taint, marking it a disruption target', () =>
    withCluster(async (c) => {
      await c.runPod('p', 'n1');
      await c.runPod('other', 'n2');
      await setTaints(c, 'n1', [dedicated]);
      await c.eventually('pod deleted', () => deleting(c, 'p'));
      const cond = ((await c.pod('p'))!['status'].conditions as Obj[]).find((x) => x['type'] === 'DisruptionTarget')!;
      assert.equal(cond['status'], 'True');
      assert.equal(cond['reason'], 'DeletionByTaintManager');
      assert.equal(cond['message'], 'Taint manager: deleting due to NoExecute taint');
      await c.eventually('eviction event', async () => (await evictionEvents(c, 'p')).includes('Marking for deletion Pod default/p'));
      assert.equal(await deleting(c, 'other'), false, 'pods on other nodes stay');
    }));

  const timed: { name: string; tolerations?: Obj[]; taint: Obj; evictAfterMs: number | undefined }[] = [
    { name: 'default tolerations (300 s) from admission', taint: unreachable, evictAfterMs: 300_000 },
    { name: 'own shorter toleration', tolerations: [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 20 }], taint: unreachable, evictAfterMs: 20_000 },
    { name: 'tolerated forever', tolerations: [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute' }], taint: unreachable, evictAfterMs: undefined },
    { name: 'tolerate-everything (DaemonSet style)', tolerations: [{ operator: 'Exists' }], taint: dedicated, evictAfterMs: undefined },
  ];
  for (const t of timed) {
    it(`tolerationSeconds: ${t.name}`, () =>
      withCluster(async (c) => {
        await c.runPod('p', 'n1', t.tolerations ? { tolerations: t.tolerations } : {});
        await setTaints(c, 'n1', [t.taint]);
        await c.eventually('taint seen', async () => c.eviction['tainted'].has('n1'));
        const wait = t.evictAfterMs ?? 3_600_000;
        await c.advance(wait - 1000);
        assert.equal(await deleting(c, 'p'), false, 'still tolerated');
        await c.advance(1000);
        if (t.evictAfterMs === undefined) assert.equal(await deleting(c, 'p'), false, 'never evicted');
        else await c.eventually('evicted when the toleration ran out', () => deleting(c, 'p'));
      }));
  }

  it('cancels a scheduled eviction when the taint goes away', () =>
    withCluster(async (c) => {
      await c.runPod('p', 'n1');
      await setTaints(c, 'n1', [unreachable]);
      await c.eventually('eviction scheduled', async () => c.eviction.evictions.get('default/p') !== undefined);
      await setTaints(c, 'n1', []);
      await c.eventually('cancel event', async () => (await evictionEvents(c, 'p')).includes('Cancelling deletion of Pod default/p'));
      await c.advance(400_000);
      assert.equal(await deleting(c, 'p'), false);
    }));

  it("a dead board's ReplicaSet pods are evicted and recreated on the other node", async () => {
    const c = await openNodeTestCluster({
      config: { nodeMonitorGracePeriodMs: 40_000, defaultUnreachableTolerationSeconds: 30 },
      extra: { replicaset: (ctx) => new ReplicaSetController(ctx) },
    });
    const stop = new AbortController();
    const binder = startTestScheduler(c.client, stop.signal);
    try {
      await c.addNode('n1');
      await c.addNode('n2');
      await c.monitor('n1', 'n2');
      c.startKubelet(['n1', 'n2']);
      await c.client.create(resources.replicasets, 'default', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web' },
        spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      });
      const podsOn = async (node: string) =>
        (await c.client.list(resources.pods, 'default', { labelSelector: 'app=web' })).items.filter((p) => p['spec'].nodeName === node && !p['metadata'].deletionTimestamp && p['status']?.phase === 'Running');
      await c.eventually('two pods running per node', async () => (await podsOn('n1')).length === 2 && (await podsOn('n2')).length === 2);

      // n1 dies: its agent (here the test kubelet) stops, and only n2 keeps renewing its Lease.
      await c.renewLease('n2');
      await c.monitor();
      await c.advance(41_000);
      await c.renewLease('n2');
      await c.monitor(); // n1 → Unknown, unreachable:NoSchedule
      await c.renewLease('n2');
      await c.monitor(); // queued for unreachable:NoExecute
      await c.taintPass();
      await c.eventually('n1 tainted', async () => c.eviction['tainted'].has('n1'));
      await c.advance(30_000); // the pods' unreachable toleration runs out
      await c.eventually('all four running on n2', async () => (await podsOn('n2')).length === 4, 15_000);
      const rs = await c.client.get(resources.replicasets, 'default', 'web');
      assert.equal(rs['spec'].replicas, 4);
    } finally {
      stop.abort();
      await binder;
      await c.close();
    }
  });
});
