/**
 * `bramble agent --cleanup` removes what the agent leaves in the kernel on
 * purpose (the service proxy's nftables table, pod routes, the masquerade
 * table, the vxlan device flannel.1 with its routes), run inside a network
 * namespace this test creates; routes and tables that are not the agent's
 * stay.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { brambleBin, run } from '../harness/server.ts';

const ns = `bramble-cl-${process.pid}`;
const inNs = (...cmd: string[]) => execFileSync('nsenter', [`--net=/var/run/netns/${ns}`, ...cmd], { encoding: 'utf8' });

before(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'lan0']);
  execFileSync('ip', ['-n', ns, 'addr', 'add', '192.168.251.2/24', 'dev', 'eth0']);
  for (const l of ['eth0', 'lan0', 'lo']) execFileSync('ip', ['-n', ns, 'link', 'set', l, 'up']);
  inNs('nft', 'add', 'table', 'ip', 'bramble-proxy');
  inNs('nft', 'add', 'table', 'ip', 'bramble-net');
  inNs('nft', 'add', 'table', 'ip', 'someone-else');
  inNs('ip', 'route', 'add', '10.42.7.0/24', 'via', '192.168.251.7', 'proto', '66');
  inNs('ip', 'route', 'add', '10.99.0.0/24', 'via', '192.168.251.9', 'proto', 'static');
  // What the vxlan backend leaves: flannel.1 and a route through it.
  inNs('ip', 'link', 'add', 'flannel.1', 'type', 'vxlan', 'id', '1', 'local', '192.168.251.2', 'dev', 'eth0', 'dstport', '8472', 'nolearning');
  inNs('ip', 'addr', 'add', '10.42.0.0/32', 'dev', 'flannel.1');
  inNs('ip', 'link', 'set', 'flannel.1', 'up');
  inNs('ip', 'route', 'add', '10.42.8.0/24', 'via', '10.42.8.0', 'dev', 'flannel.1', 'onlink', 'proto', '66');
});
after(() => {
  spawnSync('ip', ['netns', 'del', ns]);
});

describe('bramble agent --cleanup', () => {
  it('removes the agent\'s tables and routes and nothing else', async () => {
    const r = await run('nsenter', [`--net=/var/run/netns/${ns}`, brambleBin, 'agent', '--cleanup']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /removed service proxy rules/);
    assert.match(r.stdout, /removed pod routes, the vxlan device flannel\.1/);
    const tables = inNs('nft', 'list', 'tables');
    assert.doesNotMatch(tables, /bramble-proxy|bramble-net/);
    assert.match(tables, /someone-else/);
    const routes = inNs('ip', 'route');
    assert.doesNotMatch(routes, /10\.42\.7\.0|10\.42\.8\.0/);
    assert.doesNotMatch(inNs('ip', 'link'), /flannel\.1/);
    assert.match(routes, /10\.99\.0\.0\/24/);
    // Safe to repeat.
    assert.equal((await run('nsenter', [`--net=/var/run/netns/${ns}`, brambleBin, 'agent', '--cleanup'])).code, 0);
  });
});
