import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToIp, canonicalIp, ipToBytes } from './ip.ts';

test('IPv4 and IPv6 literals become the bytes an iPAddress SAN holds', () => {
  assert.equal(ipToBytes('127.0.0.1')?.toString('hex'), '7f000001');
  assert.equal(ipToBytes('::1')?.toString('hex'), '0'.repeat(31) + '1');
  assert.equal(ipToBytes('fe80::1:2')?.toString('hex'), 'fe80' + '0'.repeat(20) + '00010002');
  assert.equal(ipToBytes('::ffff:10.0.0.5')?.toString('hex'), '0'.repeat(20) + 'ffff0a000005');
  assert.equal(ipToBytes('1:2:3:4:5:6:7:8')?.toString('hex'), '00010002000300040005000600070008');
});

test('non-addresses are refused', () => {
  for (const s of ['', 'localhost', '1.2.3', '1.2.3.256', '01.2.3.4', '1::2::3', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', 'g::1']) {
    assert.equal(ipToBytes(s), undefined, s);
  }
});

test('canonical text follows RFC 5952', () => {
  const cases: Array<[string, string]> = [
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['fe80:0000::0001', 'fe80::1'],
    ['10.0.0.5', '10.0.0.5'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIp(input), want, input);
  assert.throws(() => bytesToIp(Buffer.alloc(5)), RangeError);
});
