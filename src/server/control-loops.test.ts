import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../client/types.ts';
import { defaultControllerConfig, type ControllerFactory } from '../controllers/manager.ts';
import { useTestRegistry } from '../../test/harness/registry.ts';
import { startControlLoops, type ControlLoops } from './control-loops.ts';
import { sleep, waitUntil } from '../../test/harness/wait.ts';

/** Which candidates currently run their controllers. */
const running = new Set<string>();
const probe = (identity: string): Record<string, ControllerFactory> => ({
  probe: () => ({
    name: 'probe',
    async run(signal) {
      running.add(identity);
      await new Promise<void>((res) => (signal.aborted ? res() : signal.addEventListener('abort', () => res(), { once: true })));
      running.delete(identity);
    },
  }),
});

const until = (what: string, check: () => boolean | Promise<boolean>, ms = 4000) => waitUntil(what, check, ms);

describe('startControlLoops', () => {
  const env = useTestRegistry();

  const start = (identity: string, signal: AbortSignal, leaderElect = true): ControlLoops =>
    startControlLoops(
      {
        registry: env.registry,
        client: env.client,
        controllerConfig: { ...defaultControllerConfig, apiServerAddresses: ['10.0.0.1'] },
        disable: [],
        leaderElect,
        identity,
        apiServerID: `apiserver-${identity}`,
        factories: probe(identity),
        election: { leaseDurationSeconds: 1, renewDeadlineMs: 400, retryPeriodMs: 100 },
        apiServerLease: { renewIntervalMs: 200, leaseDurationSeconds: 1 },
      },
      signal,
    );

  it('without leader election runs the loops at once and writes no Lease', async () => {
    const stop = new AbortController();
    const loops = start('single', stop.signal, false);
    assert.equal(loops.isLeader(), true);
    await until('the probe runs', () => running.has('single'));
    await sleep(300);
    assert.deepEqual((await env.client.list(resources.leases, '')).items, []);
    stop.abort();
    await loops.done;
    assert.equal(running.has('single'), false);
  });

  it('runs the loops on one candidate only; the other takes over when the leader stops, and a deposed leader stops its loops and campaigns again', async () => {
    const stopA = new AbortController();
    const stopB = new AbortController();
    const a = start('a', stopA.signal);
    const b = start('b', stopB.signal);
    await until('a leader', () => running.size === 1);
    await sleep(500); // several renewals: the other candidate must stay out
    assert.equal(running.size, 1);
    assert.equal([a, b].filter((l) => l.isLeader()).length, 1);
    // Leader or not, each server keeps its API server identity Lease.
    for (const id of ['a', 'b']) {
      const l = await env.client.get(resources.leases, 'kube-system', `apiserver-${id}`);
      assert.equal(l['metadata'].labels['apiserver.kubernetes.io/identity'], 'kube-apiserver');
      assert.equal(l['metadata'].annotations['bramble.io/advertise-address'], '10.0.0.1:6443');
    }
    const lease = await env.client.get(resources.leases, 'kube-system', 'kube-controller-manager');
    const first: string = lease['spec'].holderIdentity;
    assert.ok(running.has(first));
    const [leader, , stopLeader, other] = first === 'a' ? [a, b, stopA, 'b'] : [b, a, stopB, 'a'];

    // The leader stops: the other candidate takes over once the lease expires (1 s).
    const stoppedAt = Date.now();
    stopLeader.abort();
    await leader.done;
    assert.equal(running.has(first), false);
    await until('takeover', () => running.has(other), 3000);
    assert.ok(Date.now() - stoppedAt < 2000, 'within the lease duration (1 s) plus retries');
    const survivor = other === 'a' ? a : b;
    assert.equal(survivor.isLeader(), true);

    // Someone else writes the lease over it: the survivor's renewals fail and it stops its loops...
    const cur = await env.client.get(resources.leases, 'kube-system', 'kube-controller-manager');
    const usurped = new Date(Date.now()).toISOString().replace('Z', '000Z');
    await env.client.update(resources.leases, 'kube-system', { ...cur, spec: { ...cur['spec'], holderIdentity: 'usurper', renewTime: usurped, leaseDurationSeconds: 2 } });
    await until('the deposed leader stops its loops', () => !running.has(other), 2000);
    assert.equal(survivor.isLeader(), false);
    // ...without exiting: once the usurper's lease expires it leads again.
    await until('leading again', () => running.has(other), 4000);
    assert.equal(survivor.isLeader(), true);
    (other === 'a' ? stopA : stopB).abort();
    await survivor.done;
    assert.equal(running.size, 0);
  });
});
