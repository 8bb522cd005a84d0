/**
 * Pod routes against a real kernel, in a network namespace of the test's
 * own (root): a veth pair stands in for the LAN. Routes of others (other
 * protocols) are never touched; nodes off the LAN get none.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { nftCommand } from '../proxy/nft.ts';
import { cleanupPodRoutes, inCIDR, ipCommand, natScript, reconcileRoutes, ROUTE_PROTO, wantedRoutes } from './routes.ts';

const ns = `brt-routes-${process.pid}`;
const ip = ipCommand(['ip', '-n', ns]);
const nft = nftCommand(['ip', 'netns', 'exec', ns, 'nft']);
const sh = (...args: string[]) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
const ours = () => JSON.parse(sh('-json', '-4', 'route', 'show', 'proto', String(ROUTE_PROTO))) as { dst: string; gateway: string }[];

const node = (name: string, podCIDR: string | undefined, ip: string) => ({
  metadata: { name },
  spec: podCIDR ? { podCIDR } : {},
  status: { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] },
});

before(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  sh('link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1'); // (no dummy module everywhere)
  sh('link', 'set', 'lan1', 'up');
  sh('addr', 'add', '192.168.77.2/24', 'dev', 'lan0');
  sh('link', 'set', 'lan0', 'up');
  // Someone else's route in the same range: must survive everything below.
  sh('route', 'add', '10.42.9.0/24', 'via', '192.168.77.9', 'proto', 'static');
});
after(() => {
  execFileSync('ip', ['netns', 'del', ns]);
});

describe('pod routes (host-gw)', () => {
  it('wants one route per other node with a pod CIDR and an IPv4 InternalIP', () => {
    const ws = wantedRoutes([node('a', '10.42.0.0/24', '192.168.77.2'), node('b', '10.42.1.7/24', '192.168.77.3'), node('c', undefined, '192.168.77.4'), node('d', 'fd00::/64', '192.168.77.5')], 'a');
    assert.deepEqual(ws, [{ node: 'b', dst: '10.42.1.0/24', via: '192.168.77.3' }]);
    assert.ok(inCIDR('10.42.3.9', '10.42.0.0/16') && !inCIDR('10.43.0.1', '10.42.0.0/16'));
  });

  it('adds, changes and removes only its own routes; skips next hops off the LAN', async () => {
    const all = [node('a', '10.42.0.0/24', '192.168.77.2'), node('b', '10.42.1.0/24', '192.168.77.3'), node('c', '10.42.2.0/24', '192.168.77.4'), node('far', '10.42.3.0/24', '172.31.5.5')];
    let r = await reconcileRoutes(ip, wantedRoutes(all, 'a'));
    assert.deepEqual(r.unreachable.map((x) => x.node), ['far']);
    assert.deepEqual(ours().map((x) => [x.dst, x.gateway]), [['10.42.1.0/24', '192.168.77.3'], ['10.42.2.0/24', '192.168.77.4']]);

    // c moves to another address, b leaves.
    r = await reconcileRoutes(ip, wantedRoutes([all[0]!, node('c', '10.42.2.0/24', '192.168.77.14')], 'a'));
    assert.deepEqual(ours().map((x) => [x.dst, x.gateway]), [['10.42.2.0/24', '192.168.77.14']]);
    // Repair: a deleted route comes back.
    sh('route', 'del', '10.42.2.0/24');
    await reconcileRoutes(ip, r.applied);
    assert.deepEqual(ours().map((x) => x.dst), ['10.42.2.0/24']);

    await cleanupPodRoutes(ip, nft);
    assert.deepEqual(ours(), []);
    assert.match(sh('-4', 'route', 'show', '10.42.9.0/24'), /via 192\.168\.77\.9 .*proto static/);
  });

  it('masquerades only traffic leaving the cluster CIDR, replacing its table atomically', async () => {
    await nft(natScript('10.42.0.0/16'));
    await nft(natScript('10.42.0.0/16')); // idempotent
    const text = execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'ip', 'bramble-net'], { encoding: 'utf8' });
    assert.match(text, /ip saddr 10\.42\.0\.0\/16 ip daddr != 10\.42\.0\.0\/16 masquerade/);
    assert.equal(text.match(/masquerade/g)!.length, 1);
    await cleanupPodRoutes(ip, nft);
    await cleanupPodRoutes(ip, nft);
    assert.doesNotMatch(execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8' }), /bramble-net/);
  });
});
