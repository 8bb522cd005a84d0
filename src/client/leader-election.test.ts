import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LeaderElector } from './leader-election.ts';
import { resources } from './types.ts';
import { useTestRegistry } from '../../test/harness/registry.ts';

describe('LeaderElector', () => {
  const env = useTestRegistry();

  const elector = (identity: string) =>
    new LeaderElector({ client: env.client, namespace: 'kube-system', name: 'bramble-controllers', identity, leaseDurationSeconds: 1, retryPeriodMs: 100, renewDeadlineMs: 300 });

  it('grants the lease to one candidate, renews it, and hands it over after expiry', async () => {
    const a = elector('server-a');
    const b = elector('server-b');
    assert.equal(await a.tryAcquireOrRenew(), true);
    assert.equal(await b.tryAcquireOrRenew(), false, 'held and fresh');
    assert.equal(b.leader, 'server-a');
    assert.equal(await a.tryAcquireOrRenew(), true, 'the holder renews');
    await new Promise((res) => setTimeout(res, 1100));
    assert.equal(await b.tryAcquireOrRenew(), true, 'expired: taken over');
    const lease = await env.client.get(resources.leases, 'kube-system', 'bramble-controllers');
    assert.equal(lease['spec'].holderIdentity, 'server-b');
    assert.equal(lease['spec'].leaseTransitions, 1);
  });

  it('runs the work only while leading, and stops it when leadership is lost', async () => {
    const stop = new AbortController();
    const a = elector('runner');
    let started = 0;
    let lost = false;
    await new Promise((res) => setTimeout(res, 1100));
    const running = a.run(stop.signal, async (leading) => {
      started++;
      await new Promise<void>((res) => leading.addEventListener('abort', () => res(), { once: true }));
      lost = true;
    });
    const deadline = Date.now() + 2000;
    while (started === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.equal(started, 1);
    // Another holder grabs the lease behind our back: renewals fail and we step down.
    const lease = await env.client.get(resources.leases, 'kube-system', 'bramble-controllers');
    await env.client.update(resources.leases, 'kube-system', { ...lease, spec: { ...lease['spec'], holderIdentity: 'usurper', renewTime: new Date(Date.now() + 60_000).toISOString().replace('Z', '000Z') } });
    const d2 = Date.now() + 3000;
    while (!lost && Date.now() < d2) await new Promise((res) => setTimeout(res, 20));
    assert.equal(lost, true);
    stop.abort();
    await running;
  });
});
