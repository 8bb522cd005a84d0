/**
 * The etcd member controller over an in-memory membership (the seam; the
 * real etcd path is covered by test/e2e/lab-ha.test.ts): server Nodes get
 * the finalizer, deleting one removes its member before the Node goes,
 * agent Nodes and the last member are left alone.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { EtcdMemberController, etcdMemberFinalizer, type EtcdMembership, type MemberInfo } from './etcd-member.ts';

class FakeMembership implements EtcdMembership {
  members: MemberInfo[];
  removed: string[] = [];
  failRemovals = 0;
  constructor(names: string[]) {
    this.members = names.map((name, i) => ({ id: String(1000 + i), name }));
  }
  async list() {
    return this.members.map((m) => ({ ...m }));
  }
  async remove(id: string) {
    if (this.failRemovals > 0) {
      this.failRemovals--;
      throw new Error('etcdserver: unhealthy cluster');
    }
    if (!this.members.some((m) => m.id === id)) throw new Error('etcdserver: member not found');
    this.members = this.members.filter((m) => m.id !== id);
    this.removed.push(id);
  }
}

const server = { labels: { 'node-role.kubernetes.io/control-plane': 'true' } };

async function withController(members: FakeMembership | undefined, fn: (c: TestCluster) => Promise<void>): Promise<void> {
  const c = await openTestCluster({ config: { etcdMembers: members }, controllers: { 'etcd-member': (ctx) => new EtcdMemberController(ctx) } });
  try {
    await fn(c);
  } finally {
    await c.close();
  }
}

const finalizers = async (c: TestCluster, name: string): Promise<string[]> => (await c.client.get(resources.nodes, '', name))['metadata'].finalizers ?? [];
const gone = async (c: TestCluster, name: string) => c.client.get(resources.nodes, '', name).then(() => false, () => true);

describe('etcd member controller', () => {
  it('server Nodes get the finalizer, agent Nodes do not', async () => {
    const m = new FakeMembership(['s1', 's2', 's3']);
    await withController(m, async (c) => {
      for (const n of ['s1', 's2', 's3']) await c.addNode(n, server);
      await c.addNode('agent');
      for (const n of ['s1', 's2', 's3']) await c.eventually(`${n} marked`, async () => (await finalizers(c, n)).includes(etcdMemberFinalizer));
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(await finalizers(c, 'agent'), []);
    });
  });

  it('kubectl delete node of a server: its member is removed, then the Node goes; other members stay', async () => {
    const m = new FakeMembership(['s1', 's2', 's3']);
    await withController(m, async (c) => {
      for (const n of ['s1', 's2', 's3']) await c.addNode(n, server);
      await c.eventually('s3 marked', async () => (await finalizers(c, 's3')).includes(etcdMemberFinalizer));
      m.failRemovals = 2; // etcd refuses for a while (a member just joined): retried
      await c.client.delete(resources.nodes, '', 's3');
      await c.eventually('s3 gone', () => gone(c, 's3'));
      assert.deepEqual(m.removed, ['1002']);
      assert.deepEqual(m.members.map((x) => x.name), ['s1', 's2']);
      // Events are recorded asynchronously: wait for it rather than read at once.
      await c.eventually('a RemovedEtcdMember event', async () =>
        (await c.client.list(resources.events, 'default')).items.some((e) => e['reason'] === 'RemovedEtcdMember' && e['involvedObject']?.name === 's3'),
      );
    });
  });

  it('a finalizer someone else holds keeps the Node; ours is dropped after the removal', async () => {
    const m = new FakeMembership(['s1', 's2']);
    await withController(m, async (c) => {
      await c.addNode('s2', server);
      await c.eventually('s2 marked', async () => (await finalizers(c, 's2')).includes(etcdMemberFinalizer));
      await c.client.patch(resources.nodes, '', 's2', 'merge', { metadata: { finalizers: [etcdMemberFinalizer, 'example.com/keep'] } });
      await c.client.delete(resources.nodes, '', 's2');
      await c.eventually('our finalizer dropped', async () => (await finalizers(c, 's2')).join() === 'example.com/keep');
      assert.deepEqual(m.removed, ['1001']);
    });
  });

  it('the last member is never removed; its Node still goes', async () => {
    const m = new FakeMembership(['only']);
    await withController(m, async (c) => {
      await c.addNode('only', server);
      await c.eventually('marked', async () => (await finalizers(c, 'only')).includes(etcdMemberFinalizer));
      await c.client.delete(resources.nodes, '', 'only');
      await c.eventually('gone', () => gone(c, 'only'));
      assert.deepEqual(m.removed, []);
      assert.equal(m.members.length, 1);
    });
  });

  it('without etcd (a single SQLite server) it does nothing', async () => {
    await withController(undefined, async (c) => {
      await c.addNode('s1', server);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(await finalizers(c, 's1'), []);
      await c.client.delete(resources.nodes, '', 's1');
      assert.ok(await gone(c, 's1'));
    });
  });
});
