/** lb-announce against a real kernel: a namespace of its own (root). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { announcedAddresses, reconcileAnnouncements } from './lb-announce.ts';
import { ipCommand } from './routes.ts';

const ns = `lbann-${process.pid}`;
const sh = (...a: string[]) => {
  const r = spawnSync(a[0]!, a.slice(1), { encoding: 'utf8' });
  assert.equal(r.status, 0, `${a.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const addrs = () => (JSON.parse(sh('ip', '-n', ns, '-j', '-4', 'addr', 'show', 'dev', 'lan0'))[0].addr_info as { local: string; label?: string }[]).map((a) => `${a.local} ${a.label ?? ''}`);

describe('lb-announce', () => {
  before(() => {
    sh('ip', 'netns', 'add', ns);
    sh('ip', '-n', ns, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1');
    sh('ip', '-n', ns, 'link', 'set', 'lan0', 'up');
    sh('ip', '-n', ns, 'link', 'set', 'lan1', 'up');
    sh('ip', '-n', ns, 'addr', 'add', '10.77.0.2/24', 'dev', 'lan0');
  });
  after(() => spawnSync('ip', ['netns', 'del', ns]));

  it('picks the addresses of Services announced by this node', () => {
    const svc = (name: string, node: string, ip: string, type = 'LoadBalancer') => ({
      metadata: { name, annotations: { 'svccontroller.bramble.io/announce-node': node } },
      spec: { type },
      status: { loadBalancer: { ingress: [{ ip }] } },
    });
    assert.deepEqual(announcedAddresses([svc('a', 'n1', '10.77.0.51'), svc('b', 'n2', '10.77.0.52'), svc('c', 'n1', '10.77.0.53', 'ClusterIP'), svc('d', 'n1', '10.77.0.50')], 'n1'), ['10.77.0.50', '10.77.0.51']);
  });

  it('adds wanted addresses as /32 with our label on the node address\'s interface, removes only ours', async () => {
    const ip = ipCommand(['ip', '-n', ns]);
    const arped: string[] = [];
    const arping = async (iface: string, a: string) => (arped.push(`${iface} ${a}`), true);
    sh('ip', '-n', ns, 'addr', 'add', '10.77.0.99/32', 'dev', 'lan0'); // someone else's
    let r = await reconcileAnnouncements(ip, arping, '10.77.0.2', ['10.77.0.50', '10.77.0.51']);
    assert.deepEqual(r, { added: ['10.77.0.50', '10.77.0.51'], removed: [] });
    assert.deepEqual(arped, ['lan0 10.77.0.50', 'lan0 10.77.0.51']);
    assert.ok(addrs().includes('10.77.0.50 lan0:lb') && addrs().includes('10.77.0.51 lan0:lb'), addrs().join());
    r = await reconcileAnnouncements(ip, arping, '10.77.0.2', ['10.77.0.51']);
    assert.deepEqual(r, { added: [], removed: ['10.77.0.50'] });
    r = await reconcileAnnouncements(ip, arping, '10.77.0.2', []);
    assert.deepEqual(r, { added: [], removed: ['10.77.0.51'] });
    assert.deepEqual(addrs().sort(), ['10.77.0.2 lan0', '10.77.0.99 lan0'].sort(), 'the foreign /32 and the node address stay');
  });
});
