import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostUpstreams, parseUpstream } from './forward.ts';

test('upstream addresses: IP, IP:port, [v6]:port', () => {
  assert.deepEqual(parseUpstream('10.0.0.2'), { host: '10.0.0.2', port: 53 });
  assert.deepEqual(parseUpstream('10.0.0.2:5353'), { host: '10.0.0.2', port: 5353 });
  assert.deepEqual(parseUpstream('fd00::53'), { host: 'fd00::53', port: 53 });
  assert.deepEqual(parseUpstream('[fd00::53]:5300'), { host: 'fd00::53', port: 5300 });
  assert.throws(() => parseUpstream('dns.example:53'));
});

test('resolv.conf: loopback stubs are dropped, and systemd-resolved’s own file is read when nothing is left', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-dns-'));
  try {
    const stub = path.join(dir, 'stub.conf');
    const real = path.join(dir, 'real.conf');
    fs.writeFileSync(stub, 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n');
    fs.writeFileSync(real, '# from DHCP\nnameserver 192.168.1.1\nnameserver ::1\nnameserver fd00::1\n');
    assert.deepEqual(hostUpstreams([stub, real]), [
      { host: '192.168.1.1', port: 53 },
      { host: 'fd00::1', port: 53 },
    ]);
    fs.writeFileSync(stub, 'nameserver 10.255.255.53\nnameserver 127.0.0.1\n');
    assert.deepEqual(hostUpstreams([stub, real]), [{ host: '10.255.255.53', port: 53 }]);
    assert.deepEqual(hostUpstreams([path.join(dir, 'missing')]), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
