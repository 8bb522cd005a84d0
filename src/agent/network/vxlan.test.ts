/**
 * The vxlan backend: what to program, computed from Node objects alone;
 * then programmed into a real kernel, in a network namespace of the test's
 * own (root) with a veth pair standing in for the LAN.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { flannelAnnotations, readVxlanData } from './flannel-annotations.ts';
import { ipCommand, reconcileRoutes, ROUTE_PROTO, hostGwBackend } from './routes.ts';
import { cleanupPodNetwork, removeOtherBackend } from './pod-network.ts';
import { nftCommand } from '../proxy/nft.ts';
import { deleteVxlanDevice, ensureVxlanDevice, parentOf, reconcileVxlanPeers, vtepMAC, vxlanDevice, vxlanPeers } from './vxlan.ts';

const node = (name: string, o: { podCIDR?: string; ip?: string; ann?: Record<string, string> } = {}) => ({
  metadata: { name, annotations: o.ann ?? {} },
  spec: o.podCIDR ? { podCIDR: o.podCIDR } : {},
  status: { addresses: o.ip ? [{ type: 'InternalIP', address: o.ip }, { type: 'Hostname', address: name }] : [] },
});
const vx = (mac: string, ip: string) => flannelAnnotations('vxlan', ip, { VNI: 1, VtepMAC: mac });

describe('vxlan desired state (pure)', () => {
  it('derives a stable, locally administered unicast MAC from the node IP', () => {
    const m = vtepMAC('192.168.1.10');
    assert.match(m, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.equal(m, vtepMAC('192.168.1.10'));
    assert.notEqual(m, vtepMAC('192.168.1.11'));
    const first = parseInt(m.slice(0, 2), 16);
    assert.equal(first & 0x03, 0x02, 'locally administered, not multicast');
  });

  it('wants flannel.1 with VNI 1, port 8472, the node IP, parent MTU − 50 and the podCIDR network /32', () => {
    assert.deepEqual(vxlanDevice({ nodeIP: '192.168.1.10', parent: 'eth0', parentMTU: 1500, podCIDR: '10.42.3.0/24' }), {
      name: 'flannel.1', vni: 1, port: 8472, local: '192.168.1.10', parent: 'eth0', mtu: 1450, mac: vtepMAC('192.168.1.10'), address: '10.42.3.0/32',
    });
    assert.equal(vxlanDevice({ nodeIP: '192.168.1.10', parent: 'eth0', parentMTU: 9000 }).address, undefined, 'no podCIDR yet: no address');
    assert.equal(vxlanDevice({ nodeIP: '192.168.1.10', parent: 'eth0', parentMTU: 9000 }).mtu, 8950);
  });

  it('peers with every other node that has a podCIDR and vxlan backend-data; the public-ip annotation wins over the InternalIP', () => {
    const nodes = [
      node('a', { podCIDR: '10.42.0.0/24', ip: '192.168.1.10', ann: vx('02:00:00:00:00:0a', '192.168.1.10') }),
      node('b', { podCIDR: '10.42.1.0/24', ip: '192.168.1.11', ann: vx('02:00:00:00:00:0B', '172.16.0.11') }),
      node('c', { podCIDR: '10.42.2.7/24', ip: '192.168.1.12', ann: { 'flannel.alpha.coreos.com/backend-type': 'vxlan', 'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"02:00:00:00:00:0c"}' } }),
      node('no-cidr', { ip: '192.168.1.13', ann: vx('02:00:00:00:00:0d', '192.168.1.13') }),
      node('host-gw', { podCIDR: '10.42.4.0/24', ip: '192.168.1.14', ann: flannelAnnotations('host-gw', '192.168.1.14') }),
      node('not-yet', { podCIDR: '10.42.5.0/24', ip: '192.168.1.15' }),
      node('bad-data', { podCIDR: '10.42.6.0/24', ip: '192.168.1.16', ann: { 'flannel.alpha.coreos.com/backend-type': 'vxlan', 'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"nope"}' } }),
      node('other-vni', { podCIDR: '10.42.7.0/24', ip: '192.168.1.17', ann: { 'flannel.alpha.coreos.com/backend-type': 'vxlan', 'flannel.alpha.coreos.com/backend-data': '{"VNI":2,"VtepMAC":"02:00:00:00:00:11"}' } }),
      node('v6', { podCIDR: 'fd00::/64', ip: '192.168.1.18', ann: vx('02:00:00:00:00:12', '192.168.1.18') }),
    ];
    assert.deepEqual(vxlanPeers(nodes, 'a'), [
      { node: 'b', podCIDR: '10.42.1.0/24', vtepIP: '10.42.1.0', vtepMAC: '02:00:00:00:00:0b', publicIP: '172.16.0.11' },
      { node: 'c', podCIDR: '10.42.2.0/24', vtepIP: '10.42.2.0', vtepMAC: '02:00:00:00:00:0c', publicIP: '192.168.1.12' },
    ]);
  });

  it('publishes flannel\'s annotations: vxlan data as JSON, host-gw data as null', () => {
    assert.deepEqual(flannelAnnotations('vxlan', '192.168.1.10', { VNI: 1, VtepMAC: 'aa:bb:cc:dd:ee:ff' }), {
      'flannel.alpha.coreos.com/backend-type': 'vxlan',
      'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"aa:bb:cc:dd:ee:ff"}',
      'flannel.alpha.coreos.com/public-ip': '192.168.1.10',
    });
    assert.equal(flannelAnnotations('host-gw', '192.168.1.10')['flannel.alpha.coreos.com/backend-data'], 'null');
    assert.equal(readVxlanData({ metadata: { annotations: flannelAnnotations('host-gw', '1.2.3.4') } }), undefined);
  });
});

const ns = `brt-vxlan-${process.pid}`;
const ip = ipCommand(['ip', '-n', ns]);
const bridge = ipCommand(['bridge', '-n', ns]);
const nft = nftCommand(['ip', 'netns', 'exec', ns, 'nft']);
const sh = (...args: string[]) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const json = <T>(...args: string[]) => JSON.parse(sh('-json', ...args) || '[]') as T;
const routes = () => json<{ dst: string; gateway: string; dev: string; flags: string[] }[]>('-4', 'route', 'show', 'proto', String(ROUTE_PROTO)).map((r) => `${r.dst} via ${r.gateway} dev ${r.dev}${r.flags.includes('onlink') ? ' onlink' : ''}`);
const neigh = () => json<{ dst: string; lladdr: string; state: string[] }[]>('-4', 'neigh', 'show', 'dev', 'flannel.1').map((n) => `${n.dst} ${n.lladdr} ${n.state.join(',')}`).sort(); // the kernel lists neighbours in hash order
const fdb = () => (JSON.parse(execFileSync('bridge', ['-n', ns, '-json', 'fdb', 'show', 'dev', 'flannel.1'], { encoding: 'utf8' }) || '[]') as { mac: string; dst?: string }[]).filter((f) => f.dst).map((f) => `${f.mac} ${f.dst}`).sort();

describe('vxlan in the kernel', () => {
  before(() => {
    execFileSync('ip', ['netns', 'add', ns]);
    sh('link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1');
    sh('link', 'set', 'lan1', 'up');
    sh('link', 'set', 'lan0', 'mtu', '1400');
    sh('addr', 'add', '192.168.78.2/24', 'dev', 'lan0');
    sh('link', 'set', 'lan0', 'up');
    // Someone else's route in the same range: must survive everything below.
    sh('route', 'add', '10.42.9.0/24', 'via', '192.168.78.9', 'proto', 'static');
  });
  after(() => {
    execFileSync('ip', ['netns', 'del', ns]);
  });

  const self = { nodeIP: '192.168.78.2', podCIDR: '10.42.0.0/24' };
  const b = node('b', { podCIDR: '10.42.1.0/24', ip: '192.168.78.3', ann: vx('02:00:00:00:00:0b', '192.168.78.3') });
  const c = node('c', { podCIDR: '10.42.2.0/24', ip: '10.99.0.4', ann: vx('02:00:00:00:00:0c', '10.99.0.4') }); // off the LAN: vxlan does not care

  it('finds the parent and creates flannel.1 as wanted, idempotently', async () => {
    assert.deepEqual(await parentOf(ip, '192.168.78.2'), { parent: 'lan0', mtu: 1400 });
    const want = vxlanDevice({ ...self, parent: 'lan0', parentMTU: 1400 });
    await ensureVxlanDevice(ip, want);
    await ensureVxlanDevice(ip, want);
    const [l] = json<any[]>('-d', 'link', 'show', 'dev', 'flannel.1');
    assert.equal(l.mtu, 1350);
    assert.equal(l.address, vtepMAC('192.168.78.2'));
    assert.ok(l.flags.includes('UP'));
    assert.deepEqual([l.linkinfo.info_kind, l.linkinfo.info_data.id, l.linkinfo.info_data.port, l.linkinfo.info_data.local, l.linkinfo.info_data.learning], ['vxlan', 1, 8472, '192.168.78.2', false]);
    const [a] = json<any[]>('-4', 'addr', 'show', 'dev', 'flannel.1');
    assert.deepEqual(a.addr_info.map((x: any) => `${x.local}/${x.prefixlen}`), ['10.42.0.0/32']);
  });

  it('replaces host-gw routes and programs route, neighbour and fdb entry per peer; only differences change', async () => {
    // An earlier run on host-gw left a route.
    await reconcileRoutes(ip, [{ node: 'b', dst: '10.42.1.0/24', via: '192.168.78.3' }]);
    await reconcileVxlanPeers(ip, bridge, vxlanPeers([b, c], 'a'));
    assert.deepEqual(routes(), ['10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink', '10.42.2.0/24 via 10.42.2.0 dev flannel.1 onlink']);
    assert.deepEqual(neigh(), ['10.42.1.0 02:00:00:00:00:0b PERMANENT', '10.42.2.0 02:00:00:00:00:0c PERMANENT']);
    assert.deepEqual(fdb(), ['02:00:00:00:00:0b 192.168.78.3', '02:00:00:00:00:0c 10.99.0.4']);

    // Nothing to do: no command but listings runs.
    const calls: string[] = [];
    const spy = (r: typeof ip) => async (args: string[]) => (calls.push(args.join(' ')), r(args));
    await reconcileVxlanPeers(spy(ip), spy(bridge), vxlanPeers([b, c], 'a'));
    assert.deepEqual(calls.filter((x) => !x.startsWith('-json')), []);

    // c gets a new MAC (its device was recreated elsewhere) and moves; b leaves.
    const c2 = node('c', { podCIDR: '10.42.2.0/24', ip: '10.99.0.5', ann: vx('02:00:00:00:00:cc', '10.99.0.5') });
    await reconcileVxlanPeers(ip, bridge, vxlanPeers([c2], 'a'));
    assert.deepEqual(routes(), ['10.42.2.0/24 via 10.42.2.0 dev flannel.1 onlink']);
    assert.deepEqual(neigh(), ['10.42.2.0 02:00:00:00:00:cc PERMANENT']);
    assert.deepEqual(fdb(), ['02:00:00:00:00:cc 10.99.0.5']);

    // Repair: deleted entries come back.
    sh('route', 'del', '10.42.2.0/24');
    sh('neigh', 'del', '10.42.2.0', 'dev', 'flannel.1');
    await reconcileVxlanPeers(ip, bridge, vxlanPeers([c2], 'a'));
    assert.deepEqual(routes(), ['10.42.2.0/24 via 10.42.2.0 dev flannel.1 onlink']);
    assert.deepEqual(neigh(), ['10.42.2.0 02:00:00:00:00:cc PERMANENT']);
    assert.match(sh('-4', 'route', 'show', '10.42.9.0/24'), /proto static/);
  });

  it('recreates a device whose settings changed', async () => {
    await ensureVxlanDevice(ip, { ...vxlanDevice({ ...self, parent: 'lan0', parentMTU: 1400 }), vni: 7 });
    assert.equal(json<any[]>('-d', 'link', 'show', 'dev', 'flannel.1')[0].linkinfo.info_data.id, 7);
    await ensureVxlanDevice(ip, vxlanDevice({ ...self, parent: 'lan0', parentMTU: 1400 }));
    assert.equal(json<any[]>('-d', 'link', 'show', 'dev', 'flannel.1')[0].linkinfo.info_data.id, 1);
  });

  it('a start on host-gw removes flannel.1 and programs its routes; cleanup removes both', async () => {
    await removeOtherBackend('vxlan', ip);
    assert.ok(sh('link', 'show', 'flannel.1'), 'vxlan keeps its own device');
    await removeOtherBackend('host-gw', ip);
    assert.throws(() => sh('link', 'show', 'flannel.1'));
    await hostGwBackend({ ip, nodeName: 'a' }).sync([node('b', { podCIDR: '10.42.1.0/24', ip: '192.168.78.3' })]);
    assert.deepEqual(routes(), ['10.42.1.0/24 via 192.168.78.3 dev lan0']);
    await ensureVxlanDevice(ip, vxlanDevice({ ...self, parent: 'lan0', parentMTU: 1400 }));
    await reconcileVxlanPeers(ip, bridge, vxlanPeers([b], 'a'));
    await cleanupPodNetwork(ip, nft);
    assert.throws(() => sh('link', 'show', 'flannel.1'));
    assert.deepEqual(routes(), []);
    assert.equal(await deleteVxlanDevice(ip), false);
    assert.match(sh('-4', 'route', 'show', '10.42.9.0/24'), /proto static/);
  });
});
