import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cidrString, collides, defaultSubnet, hostAt, parseCIDR } from './subnet.ts';

describe('lab subnet', () => {
  it('parses a CIDR to its network, and numbers host then boards from .1', () => {
    const s = parseCIDR('10.231.0.77/24');
    assert.equal(cidrString(s), '10.231.0.0/24');
    assert.equal(hostAt(s, 1), '10.231.0.1');
    assert.equal(hostAt(s, 4), '10.231.0.4');
    assert.throws(() => hostAt(s, 255), /no room/);
    assert.throws(() => parseCIDR('10.231.0.0'), /invalid subnet/);
    assert.throws(() => parseCIDR('10.231.0.0/30'), /prefix/);
  });

  it('skips /24s that overlap a host route', () => {
    const routes = [parseCIDR('10.231.0.0/24'), parseCIDR('10.231.1.0/25')];
    assert.equal(cidrString(defaultSubnet(routes)), '10.231.2.0/24');
    assert.equal(cidrString(defaultSubnet([parseCIDR('192.0.2.0/24')])), '10.231.0.0/24');
    assert.ok(collides(parseCIDR('10.0.0.0/8'), routes));
    assert.ok(!collides(parseCIDR('10.232.0.0/24'), routes));
  });
});
