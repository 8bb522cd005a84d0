import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiServerID, liveAPIServers } from './apiserver-lease.ts';

test('apiServerID: stable per hostname, upstream shape (apiserver- + 26 base32 characters)', () => {
  assert.equal(apiServerID('board-1'), apiServerID('board-1'));
  assert.notEqual(apiServerID('board-1'), apiServerID('board-2'));
  assert.match(apiServerID('board-1'), /^apiserver-[a-z2-7]{26}$/);
});

test('liveAPIServers: unexpired identity Leases only, with the soonest expiry', () => {
  const lease = (adv: string, renewMs: number, seconds: number, identity = 'kube-apiserver') => ({
    metadata: { labels: { 'apiserver.kubernetes.io/identity': identity }, annotations: { 'bramble.io/advertise-address': adv } },
    spec: { renewTime: new Date(renewMs).toISOString(), leaseDurationSeconds: seconds },
  });
  const now = 1_000_000_000_000;
  const got = liveAPIServers(
    [lease('10.0.0.1:6443', now - 1000, 15), lease('10.0.0.2:6443', now - 20_000, 15), lease('10.0.0.3:6443', now, 15, 'other'), lease('10.0.0.4:6444', now - 5000, 15)],
    now,
  );
  assert.deepEqual(got.servers, [{ address: '10.0.0.1', port: 6443 }, { address: '10.0.0.4', port: 6444 }]);
  assert.equal(got.nextExpiry, now + 10_000);
});
