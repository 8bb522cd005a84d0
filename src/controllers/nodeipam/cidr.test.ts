import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr, parseCidr } from './cidr.ts';
import { CidrSet } from './cidr-set.ts';

describe('parseCidr / formatCidr', () => {
  const cases: [string, string][] = [
    ['10.42.0.0/16', '10.42.0.0/16'],
    ['10.42.7.9/16', '10.42.0.0/16'],
    ['192.168.1.128/25', '192.168.1.128/25'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:cafe:42::/56', '2001:cafe:42::/56'],
    ['2001:CAFE:0042:0000:0000:0000:0000:0001/64', '2001:cafe:42::/64'],
    ['fd00:0:0:1::/64', 'fd00:0:0:1::/64'],
    ['fd00:1:0:0:2:0:0:0/128', 'fd00:1:0:0:2::/128'],
    ['fd00:0:0:1:0:0:1:1/128', 'fd00::1:0:0:1:1/128'],
    ['::/0', '::/0'],
    ['::ffff:10.0.0.1/128', '::ffff:a00:1/128'],
  ];
  for (const [input, want] of cases) it(`${input} → ${want}`, () => assert.equal(formatCidr(parseCidr(input)), want));

  for (const bad of ['10.42.0.0', '10.42.0.0/33', '10.42.0/16', '10.42.0.256/24', '01.2.3.4/8', 'fd00::1::2/64', 'fd00:zz::/64', '1:2:3:4:5:6:7:8:9/64', 'abc/12']) {
    it(`rejects ${bad}`, () => assert.throws(() => parseCidr(bad), /invalid CIDR address/));
  }
});

describe('CidrSet', () => {
  it('hands out node blocks in order, round robin after releases', () => {
    const s = new CidrSet('10.42.0.0/22', 24);
    assert.equal(s.size, 4);
    assert.deepEqual([s.allocateNext(), s.allocateNext()], ['10.42.0.0/24', '10.42.1.0/24']);
    s.release('10.42.0.0/24');
    assert.equal(s.allocateNext(), '10.42.2.0/24', 'continues after the last one handed out');
    assert.equal(s.allocateNext(), '10.42.3.0/24');
    assert.equal(s.allocateNext(), '10.42.0.0/24', 'wraps around to the released block');
    assert.throws(() => s.allocateNext(), /no remaining CIDRs/);
    assert.equal(s.free, 0);
  });

  it('skips occupied blocks and rejects CIDRs outside the cluster', () => {
    const s = new CidrSet('10.42.0.0/16', 24);
    s.occupy('10.42.0.0/24');
    s.occupy('10.42.1.0/25');
    assert.equal(s.allocateNext(), '10.42.2.0/24');
    assert.throws(() => s.occupy('10.43.0.0/24'), /out the range of cluster cidr 10\.42\.0\.0\/16/);
    s.occupy('10.42.4.0/23');
    assert.equal(s.allocateNext(), '10.42.3.0/24');
    assert.equal(s.allocateNext(), '10.42.6.0/24', 'a /23 occupies two blocks');
  });

  it('carves IPv6 into /64s', () => {
    const s = new CidrSet('2001:cafe:42::/56', 64);
    assert.equal(s.size, 256);
    assert.deepEqual([s.allocateNext(), s.allocateNext()], ['2001:cafe:42::/64', '2001:cafe:42:1::/64']);
  });

  const bad: [string, number, RegExp][] = [
    ['10.42.0.0/24', 16, /larger than the cluster CIDR/],
    ['10.0.0.0/8', 26, /more than 2\^16 blocks/],
    ['10.42.0.0/16', 33, /invalid/],
  ];
  for (const [cidr, mask, want] of bad) it(`refuses ${cidr} in /${mask} blocks`, () => assert.throws(() => new CidrSet(cidr, mask), want));
});
