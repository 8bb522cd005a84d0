import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resources, type Obj } from '../../client/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { ANNOUNCE_ANNOTATION, chooseAnnouncer, ENABLELB_LABEL, MODE_ANNOTATION, POOL_ANNOTATION, serviceLBControllerFactory } from './servicelb.ts';
import { MetalLBConfigError, parseMetalLBConfig } from './metallb-config.ts';
import { firstFree, inPool, parsePool } from './pool.ts';

const lbService = (name: string, extra: { loadBalancerIP?: string; annotations?: Record<string, string> } = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
  spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }], ...(extra.loadBalancerIP ? { loadBalancerIP: extra.loadBalancerIP } : {}) },
});
const ingress = (s: Obj | undefined): string[] => ((s?.['status']?.loadBalancer?.ingress as Obj[] | undefined) ?? []).map((i) => i['ip']);

async function setReady(c: TestCluster, name: string, status: 'True' | 'Unknown') {
  const n = await c.client.get(resources.nodes, '', name);
  const cond = n['status'].conditions.map((x: Obj) => (x['type'] === 'Ready' ? { ...x, status } : x));
  await c.client.patch(resources.nodes, '', name, 'merge', { status: { conditions: cond } }, { subresource: 'status' });
}

describe('servicelb pool parsing', () => {
  it('reads ranges, CIDRs and addresses, comma-separated or repeated', () => {
    const p = parsePool(['10.10.10.50-10.10.10.52,10.0.0.8/30', '192.168.1.1']);
    assert.equal(inPool(p, '10.10.10.51'), true);
    assert.equal(inPool(p, '10.10.10.53'), false);
    assert.equal(inPool(p, '10.0.0.11'), true);
    assert.equal(inPool(p, '192.168.1.1'), true);
    assert.equal(firstFree(p, new Set(['10.10.10.50'])), '10.10.10.51');
    assert.throws(() => parsePool(['10.0.0.9-10.0.0.1']));
    assert.throws(() => parsePool(['nonsense']));
  });

  it('keeps a Ready announcer, else ranks by hash', () => {
    assert.equal(chooseAnnouncer(['a', 'b', 'c'], '10.0.0.1', 'b'), 'b');
    const first = chooseAnnouncer(['a', 'b', 'c'], '10.0.0.1');
    assert.ok(first && ['a', 'b', 'c'].includes(first));
    assert.equal(chooseAnnouncer(['c', 'b', 'a'], '10.0.0.1'), first, 'independent of order');
    const next = chooseAnnouncer(['a', 'b', 'c'].filter((n) => n !== first), '10.0.0.1', first);
    assert.notEqual(next, first);
    assert.equal(chooseAnnouncer([], '10.0.0.1', 'a'), undefined);
  });
});

describe('servicelb controller, address pool', () => {
  let c: TestCluster;
  before(async () => {
    c = await openTestCluster({ controllers: { servicelb: serviceLBControllerFactory }, config: { lbPools: ['10.10.10.50-10.10.10.52'] } });
    await c.addNode('board-a');
    await c.addNode('board-b');
    await c.addNode('board-c');
  });
  after(async () => c?.close());
  const get = (name: string) => c.client.get(resources.services, 'default', name);

  it('gives each LoadBalancer Service a distinct pool address and an announcing node', async () => {
    await c.client.create(resources.services, 'default', lbService('one'));
    await c.client.create(resources.services, 'default', lbService('two'));
    const one = await c.eventually('one allocated', async () => ingress(await get('one')).length === 1 && (await get('one')));
    const two = await c.eventually('two allocated', async () => ingress(await get('two')).length === 1 && (await get('two')));
    assert.deepEqual(new Set([...ingress(one), ...ingress(two)]), new Set(['10.10.10.50', '10.10.10.51']));
    const ann = await c.eventually('announcer', async () => (await get('one'))['metadata'].annotations?.[ANNOUNCE_ANNOTATION]);
    assert.ok(['board-a', 'board-b', 'board-c'].includes(ann));
  });

  it('honours a free loadBalancerIP in the pool and refuses one outside or taken, with an event', async () => {
    await c.client.create(resources.services, 'default', lbService('want', { loadBalancerIP: '10.10.10.52' }));
    await c.eventually('want gets .52', async () => ingress(await get('want'))[0] === '10.10.10.52');
    await c.client.create(resources.services, 'default', lbService('outside', { loadBalancerIP: '10.99.0.1' }));
    await c.client.create(resources.services, 'default', lbService('taken', { loadBalancerIP: '10.10.10.52' }));
    for (const name of ['outside', 'taken']) {
      const ev = await c.eventually(`${name} event`, async () => {
        const list = await c.client.list(resources.events, 'default');
        return list.items.find((e: Obj) => e['involvedObject']?.name === name && e['reason'] === 'AllocationFailed');
      });
      assert.match(ev['message'], name === 'outside' ? /not in the address pool/ : /already in use/);
      assert.deepEqual(ingress(await get(name)), []);
    }
    // Pool full (.50 .51 .52 taken): a plain Service waits with an event, and gets the address freed by a deletion.
    await c.client.create(resources.services, 'default', lbService('late'));
    await c.eventually('late event', async () => (await c.client.list(resources.events, 'default')).items.find((e: Obj) => e['involvedObject']?.name === 'late' && /no available IPs/.test(e['message'])));
    const freed = ingress(await get('one'))[0];
    await c.client.delete(resources.services, 'default', 'one');
    await c.eventually('late gets the freed address', async () => ingress(await get('late'))[0] === freed);
  });

  it('moves the announcement off a node that stops being Ready', async () => {
    const before = await c.eventually('two announced', async () => (await get('two'))['metadata'].annotations?.[ANNOUNCE_ANNOTATION]);
    await setReady(c, before, 'Unknown');
    const after = await c.eventually('moved', async () => {
      const a = (await get('two'))['metadata'].annotations?.[ANNOUNCE_ANNOTATION];
      return a && a !== before && a;
    });
    assert.notEqual(after, before);
    await setReady(c, before, 'True');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await get('two'))['metadata'].annotations?.[ANNOUNCE_ANNOTATION], after, 'stays put when the old node comes back');
  });

  it('uses node addresses for a Service annotated mode=nodes', async () => {
    await c.client.create(resources.services, 'default', lbService('nodes', { annotations: { [MODE_ANNOTATION]: 'nodes' } }));
    const s = await c.eventually('node addresses', async () => ingress(await get('nodes')).length === 3 && (await get('nodes')));
    assert.equal(s['metadata'].annotations?.[ANNOUNCE_ANNOTATION], undefined);
  });
});

describe('servicelb controller, node addresses (no pool, as k3s ServiceLB)', () => {
  let c: TestCluster;
  before(async () => {
    c = await openTestCluster({ controllers: { servicelb: serviceLBControllerFactory } });
  });
  after(async () => c?.close());
  const get = (name: string) => c.client.get(resources.services, 'default', name);

  it('lists Ready nodes, only enablelb ones when any is labelled, and clears when no longer a LoadBalancer', async () => {
    const a = await c.addNode('board-a');
    const b = await c.addNode('board-b');
    const ipOf = (n: Obj) => n['status'].addresses.find((x: Obj) => x['type'] === 'InternalIP')['address'];
    await c.client.create(resources.services, 'default', lbService('web'));
    await c.eventually('both nodes', async () => ingress(await get('web')).join() === [ipOf(a), ipOf(b)].join());
    await setReady(c, 'board-a', 'Unknown');
    await c.eventually('only board-b', async () => ingress(await get('web')).join() === ipOf(b));
    await setReady(c, 'board-a', 'True');
    await c.client.patch(resources.nodes, '', 'board-a', 'merge', { metadata: { labels: { [ENABLELB_LABEL]: 'true' } } });
    await c.eventually('only the labelled board-a', async () => ingress(await get('web')).join() === ipOf(a));
    await c.client.patch(resources.services, 'default', 'web', 'merge', { spec: { type: 'ClusterIP', allocateLoadBalancerNodePorts: null, externalTrafficPolicy: null, ports: [{ port: 80, targetPort: 8080, nodePort: null }] } });
    await c.eventually('cleared', async () => ingress(await get('web')).length === 0);
  });
});

describe('MetalLB ConfigMap parsing', () => {
  it('reads layer 2 pools with auto-assign, and skips what it cannot serve with a reason', () => {
    const { pools, skipped } = parseMetalLBConfig({
      config: [
        'address-pools:',
        '- name: company-office',
        '  protocol: layer2',
        '  addresses:',
        '  - 10.10.10.50-10.10.10.99',
        '- name: manual',
        '  protocol: layer2',
        '  auto-assign: false',
        '  addresses: [10.20.0.0/30]',
        '- name: routers',
        '  protocol: bgp',
        '  addresses: [10.30.0.0/24]',
        '- name: broken',
        '  protocol: layer2',
        '  addresses: [10.0.0.9-10.0.0.1]',
        '- name: company-office',
        '  protocol: layer2',
        '  addresses: [10.40.0.1]',
      ].join('\n'),
    });
    assert.deepEqual(pools.map((p) => [p.name, p.autoAssign]), [['company-office', true], ['manual', false]]);
    assert.equal(inPool(pools[0]!.ranges, '10.10.10.99'), true);
    assert.equal(inPool(pools[1]!.ranges, '10.20.0.3'), true);
    assert.equal(skipped.length, 3);
    assert.match(skipped[0]!, /routers.*protocol "bgp" is not supported/);
    assert.match(skipped[1]!, /broken.*invalid address range/);
    assert.match(skipped[2]!, /duplicate pool name "company-office"/);
  });

  it('rejects a document it cannot read, and reads an empty one as no pools', () => {
    assert.throws(() => parseMetalLBConfig({ config: 'address-pools: [' }), (e) => e instanceof MetalLBConfigError && /invalid YAML/.test(e.message));
    assert.throws(() => parseMetalLBConfig({ config: 'address-pools: 3' }), /must be a list/);
    assert.throws(() => parseMetalLBConfig({ config: '- a' }), /must be a mapping/);
    assert.deepEqual(parseMetalLBConfig({}).pools, []);
    assert.deepEqual(parseMetalLBConfig({ config: '' }).pools, []);
  });
});

describe('servicelb controller, pools from MetalLB\'s ConfigMap (seed 004)', () => {
  let c: TestCluster;
  before(async () => {
    c = await openTestCluster({ controllers: { servicelb: serviceLBControllerFactory } });
    await c.addNode('board-a');
    await c.client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'metallb-system' } });
  });
  after(async () => c?.close());
  const get = (name: string) => c.client.get(resources.services, 'default', name);
  const seedConfig = 'address-pools:\n- name: company-office\n  protocol: layer2\n  addresses:\n  - 10.10.10.50-10.10.10.99\n';
  const configMap = (config: string): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'metallb-system', name: 'config' }, data: { config } });
  const eventFor = (name: string, re: RegExp) => c.eventually(`event on ${name} ${re}`, async () => (await c.client.list(resources.events, name === 'config' ? 'metallb-system' : 'default')).items.find((e: Obj) => e['involvedObject']?.name === name && re.test(e['message'])));

  it('uses node addresses until the ConfigMap exists, then gives loadBalancerIP from its pool', async () => {
    await c.client.create(resources.services, 'default', lbService('my-web-app', { loadBalancerIP: '10.10.10.51' }));
    await c.eventually('node address first', async () => ingress(await get('my-web-app')).length === 1 && ingress(await get('my-web-app'))[0] !== '10.10.10.51');
    await c.client.create(resources.configmaps, 'metallb-system', configMap(seedConfig));
    await c.eventually('pool address', async () => ingress(await get('my-web-app')).join() === '10.10.10.51');
    await c.client.create(resources.services, 'default', lbService('auto'));
    await c.eventually('lowest free', async () => ingress(await get('auto')).join() === '10.10.10.50');
  });

  it('keeps the last good pools when the ConfigMap is broken, with a Warning event', async () => {
    await c.client.update(resources.configmaps, 'metallb-system', { ...configMap('address-pools: ['), metadata: { ...(await c.client.get(resources.configmaps, 'metallb-system', 'config'))['metadata'] } });
    await eventFor('config', /configuration rejected/);
    await c.client.create(resources.services, 'default', lbService('after-break'));
    await c.eventually('still allocates from the old pool', async () => ingress(await get('after-break')).join() === '10.10.10.52');
  });

  it('honours the address-pool annotation and auto-assign: false', async () => {
    const cm = await c.client.get(resources.configmaps, 'metallb-system', 'config');
    await c.client.update(resources.configmaps, 'metallb-system', { ...cm, data: { config: seedConfig + '- name: manual\n  protocol: layer2\n  auto-assign: false\n  addresses: [10.20.0.8/30]\n' } });
    await c.client.create(resources.services, 'default', lbService('picked', { annotations: { [POOL_ANNOTATION]: 'manual' } }));
    await c.eventually('from the named pool', async () => ingress(await get('picked')).join() === '10.20.0.8');
    await c.client.create(resources.services, 'default', lbService('nowhere', { annotations: { [POOL_ANNOTATION]: 'nope' } }));
    await eventFor('nowhere', /unknown pool "nope"/);
    await c.client.create(resources.services, 'default', lbService('plain'));
    await c.eventually('never from the manual pool', async () => ingress(await get('plain'))[0]?.startsWith('10.10.10.'));
  });
});

describe('servicelb controller, node mode: ports taken on the nodes (as k3s svclb pods that cannot bind)', () => {
  let c: TestCluster;
  before(async () => {
    c = await openTestCluster({ controllers: { servicelb: serviceLBControllerFactory } });
    await c.addNode('board-a');
  });
  after(async () => c?.close());
  const get = (name: string) => c.client.get(resources.services, 'default', name);
  const withPort = (name: string, port: number): Obj => {
    const s = lbService(name);
    s['spec'].ports = [{ port, targetPort: 8080 }];
    return s;
  };
  const warned = (name: string, re: RegExp) => c.eventually(`PortInUse on ${name}`, async () => (await c.client.list(resources.events, 'default')).items.find((e: Obj) => e['involvedObject']?.name === name && e['reason'] === 'PortInUse' && re.test(e['message'])));

  it('leaves port 80/443 to the built-in ingress while its IngressClass exists', async () => {
    const cls = { group: 'networking.k8s.io', version: 'v1', resource: 'ingressclasses' };
    await c.client.create(cls, '', { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'bramble' }, spec: { controller: 'bramble.io/ingress' } });
    await c.client.create(resources.services, 'default', withPort('web80', 80));
    await c.client.create(resources.services, 'default', withPort('web8080', 8080));
    await c.eventually('8080 gets the node', async () => ingress(await get('web8080')).length === 1);
    await warned('web80', /80\/TCP is used on the nodes by the built-in ingress/);
    assert.deepEqual(ingress(await get('web80')), []);
    await c.client.delete(cls, '', 'bramble');
    await c.eventually('80 gets the node once the ingress is gone', async () => ingress(await get('web80')).length === 1);
  });

  it('gives a port to the older Service; the newer one waits and gets it when freed', async () => {
    await c.client.create(resources.services, 'default', withPort('first', 9000));
    await c.eventually('first', async () => ingress(await get('first')).length === 1);
    await c.client.create(resources.services, 'default', withPort('second', 9000));
    await warned('second', /9000\/TCP is used on the nodes by Service default\/first/);
    assert.deepEqual(ingress(await get('second')), []);
    assert.equal(ingress(await get('first')).length, 1, 'the older one keeps it');
    await c.client.patch(resources.services, 'default', 'first', 'merge', { spec: { ports: [{ port: 9001, targetPort: 8080 }] } });
    await c.eventually('second gets the node when first moves off the port', async () => ingress(await get('second')).length === 1);
  });
});

describe('servicelb controller, pool mode: an announcing node whose agent stops answering', () => {
  let c: TestCluster;
  const dead = new Set<string>();
  const probed: string[] = [];
  before(async () => {
    // The probe stands in for the agents' /healthz: a node is dead when its address is in `dead`.
    const probe = async (address: string) => (probed.push(address), !dead.has(address));
    c = await openTestCluster({ controllers: { servicelb: serviceLBControllerFactory }, config: { lbPools: ['10.10.10.50-10.10.10.52'], agentProbe: probe } });
    for (const n of ['board-a', 'board-b', 'board-c']) await c.addNode(n);
  });
  after(async () => c?.close());
  const get = (name: string) => c.client.get(resources.services, 'default', name);
  const ipOf = async (node: string) => (await c.client.get(resources.nodes, '', node))['status'].addresses.find((a: Obj) => a['type'] === 'InternalIP')['address'];

  it('moves the address within seconds, while the node is still Ready', async () => {
    await c.client.create(resources.services, 'default', lbService('fast'));
    const first = await c.eventually('announced', async () => (await get('fast'))['metadata'].annotations?.[ANNOUNCE_ANNOTATION] as string | undefined);
    const firstIP = await ipOf(first);
    await c.eventually('the announcer is probed', async () => probed.includes(firstIP));
    const t0 = Date.now();
    dead.add(firstIP);
    const next = await c.eventually('moved', async () => {
      const a = (await get('fast'))['metadata'].annotations?.[ANNOUNCE_ANNOTATION];
      return a && a !== first && a;
    });
    const ms = Date.now() - t0;
    assert.ok(ms >= 2000 && ms < 6000, `moved after ${ms} ms (3 missed probes at 1 s)`);
    assert.notEqual(next, first);
    // Still Ready, but not picked for a new Service while it does not answer.
    for (const name of ['fresh-1', 'fresh-2']) {
      await c.client.create(resources.services, 'default', lbService(name));
      const a = await c.eventually(`${name} announced`, async () => (await get(name))['metadata'].annotations?.[ANNOUNCE_ANNOTATION] as string | undefined);
      assert.notEqual(a, first, `${name} went to the silent node`);
    }
    // It answers again: eligible again, and the moved address stays where it is.
    dead.delete(firstIP);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await get('fast'))['metadata'].annotations?.[ANNOUNCE_ANNOTATION], next);
  });
});
