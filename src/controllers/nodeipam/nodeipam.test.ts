import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../client/clock.ts';
import { InformerFactory } from '../../client/informer.ts';
import { resources, type Obj } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { recorderFactory, runControllers } from '../manager.ts';
import { NodeIpamController, podCIDRsOf } from './nodeipam.ts';

const cidrsOf = async (c: TestCluster, name: string) => {
  const n = await c.client.get(resources.nodes, '', name);
  return { podCIDR: n['spec']?.podCIDR as string | undefined, podCIDRs: podCIDRsOf(n) };
};
const allocated = (c: TestCluster, name: string) => c.eventually(`${name} has a pod CIDR`, async () => ((await cidrsOf(c, name)).podCIDRs.length ? cidrsOf(c, name) : undefined));

async function withIpam(clusterCIDR: string, fn: (c: TestCluster) => Promise<void>): Promise<void> {
  const c = await openTestCluster({ config: { clusterCIDR }, controllers: { nodeipam: (ctx) => new NodeIpamController(ctx) } });
  try {
    await fn(c);
  } finally {
    await c.close();
  }
}

describe('node IPAM controller', () => {
  it('gives each new node its own /24 from the cluster CIDR, podCIDR and podCIDRs alike', () =>
    withIpam('10.42.0.0/16', async (c) => {
      await c.addNode('n1');
      assert.deepEqual(await allocated(c, 'n1'), { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] });
      await c.addNode('n2');
      assert.deepEqual((await allocated(c, 'n2')).podCIDRs, ['10.42.1.0/24']);
    }));

  it('dual stack: one IPv4 /24 and one IPv6 /64 per node', () =>
    withIpam('10.42.0.0/16,2001:cafe:42::/56', async (c) => {
      await c.addNode('n1');
      await c.addNode('n2');
      assert.deepEqual(await allocated(c, 'n1'), { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24', '2001:cafe:42::/64'] });
      assert.deepEqual((await allocated(c, 'n2')).podCIDRs, ['10.42.1.0/24', '2001:cafe:42:1::/64']);
    }));

  it('keeps a CIDR a node registers with, and never hands it out again', () =>
    withIpam('10.42.0.0/16', async (c) => {
      await c.client.create(resources.nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'preset' }, spec: { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] } });
      await c.addNode('n1');
      assert.deepEqual((await allocated(c, 'n1')).podCIDRs, ['10.42.1.0/24']);
      assert.deepEqual((await cidrsOf(c, 'preset')).podCIDRs, ['10.42.0.0/24']);
    }));

  it('releases a deleted node’s block; with the range exhausted it reports CIDRNotAvailable until one is free', () =>
    withIpam('10.42.0.0/23', async (c) => {
      await c.addNode('n1');
      await c.addNode('n2');
      await allocated(c, 'n1');
      await allocated(c, 'n2');
      await c.addNode('n3');
      await c.eventually('CIDRNotAvailable event', async () =>
        (await c.client.list(resources.events, 'default')).items.some((e) => e['reason'] === 'CIDRNotAvailable' && e['message'] === 'Node n3 status is now: CIDRNotAvailable'),
      );
      assert.deepEqual((await cidrsOf(c, 'n3')).podCIDRs, []);
      await c.client.delete(resources.nodes, '', 'n1');
      assert.deepEqual((await allocated(c, 'n3')).podCIDRs, ['10.42.0.0/24'], "n1's block, free again");
    }));

  it('after a restart it rebuilds what is taken from the Nodes and allocates around it', async () => {
    // The "previous run": nodes already holding blocks, some with holes between them.
    const c = await openTestCluster({ config: { clusterCIDR: '10.42.0.0/16' } });
    const stop = new AbortController();
    try {
      for (const [name, cidr] of [['old-a', '10.42.0.0/24'], ['old-b', '10.42.1.0/24'], ['old-c', '10.42.3.0/24']] as const) {
        await c.client.create(resources.nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { podCIDR: cidr, podCIDRs: [cidr] } } as Obj);
      }
      const ctx = { client: c.client, informers: new InformerFactory(c.client), recorder: recorderFactory(c.client), config: c.config, clock: realClock };
      const running = runControllers(ctx, { nodeipam: (x) => new NodeIpamController(x) }, stop.signal);
      await c.addNode('new-1');
      await c.addNode('new-2');
      const got = [(await allocated(c, 'new-1')).podCIDRs[0], (await allocated(c, 'new-2')).podCIDRs[0]].sort();
      assert.deepEqual(got, ['10.42.2.0/24', '10.42.4.0/24']);
      stop.abort();
      await running;
    } finally {
      stop.abort();
      await c.close();
    }
  });
});
