import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../client/clock.ts';
import { runRuntimeSuite } from '../runtime.suite.ts';
import { exitCodeAnnotation, runSecondsAnnotation } from './behaviour.ts';
import { FakeRuntime, fakeImageRef } from './fake-runtime.ts';
import { restoreFromPods } from './restore.ts';
import { IpPool, parseCIDR } from './ip-pool.ts';

runRuntimeSuite('fake', { make: () => new FakeRuntime(), image: 'nginx:1.27', podCIDR: '10.42.7.0/24', networkNeedsCIDR: true });

const sandbox = (uid: string, annotations: Record<string, string> = {}) => ({
  metadata: { name: uid, namespace: 'ns', uid, attempt: 0 },
  hostname: uid,
  labels: {},
  annotations,
  hostNetwork: false,
});

describe('fake runtime behaviour', () => {
  it('a container exits on its own after fake-run-seconds, with fake-exit-code', async () => {
    const clock = new FakeClock(1_000_000);
    const rt = new FakeRuntime({ clock });
    await rt.updateRuntimeConfig({ podCIDR: '10.42.0.0/24' });
    const sb = await rt.runPodSandbox(sandbox('a', { [runSecondsAnnotation]: '2.5', [exitCodeAnnotation]: '3' }));
    const id = await rt.createContainer(sb, { metadata: { name: 'job', attempt: 0 }, image: 'busybox' });
    await rt.startContainer(id);
    clock.advance(2_499);
    assert.equal((await rt.listContainers())[0]?.state, 'running');
    clock.advance(1);
    const [c] = await rt.listContainers();
    assert.equal(c?.state, 'exited');
    assert.equal(c.exitCode, 3);
    assert.equal(c.reason, 'Error');
    assert.equal(c.finishedAt - c.startedAt, 2_500);
  });

  it('without annotations a container runs until stopped; stop exits 0, or 137 with no grace', async () => {
    const clock = new FakeClock(0);
    const rt = new FakeRuntime({ clock });
    await rt.updateRuntimeConfig({ podCIDR: '10.42.0.0/24' });
    const sb = await rt.runPodSandbox(sandbox('b'));
    const a = await rt.createContainer(sb, { metadata: { name: 'a', attempt: 0 }, image: 'nginx' });
    const b = await rt.createContainer(sb, { metadata: { name: 'b', attempt: 0 }, image: 'nginx' });
    await rt.startContainer(a);
    await rt.startContainer(b);
    clock.advance(3_600_000);
    await rt.stopContainer(a, 30);
    await rt.stopContainer(b, 0);
    const byName = Object.fromEntries((await rt.listContainers()).map((c) => [c.metadata.name, c]));
    assert.deepEqual([byName['a']?.exitCode, byName['a']?.reason], [0, 'Completed']);
    assert.deepEqual([byName['b']?.exitCode, byName['b']?.reason], [137, 'Error']);
  });

  it('init containers exit 0 as soon as they start', async () => {
    const rt = new FakeRuntime({ clock: new FakeClock(0) });
    await rt.updateRuntimeConfig({ podCIDR: '10.42.0.0/24' });
    const sb = await rt.runPodSandbox(sandbox('c'));
    const id = await rt.createContainer(sb, { metadata: { name: 'init', attempt: 0 }, image: 'busybox', init: true });
    await rt.startContainer(id);
    const [c] = await rt.listContainers();
    assert.deepEqual([c?.state, c?.exitCode, c?.reason], ['exited', 0, 'Completed']);
  });

  it('normalises image names and derives stable fake image ids', async () => {
    const rt = new FakeRuntime();
    await rt.updateRuntimeConfig({ podCIDR: '10.42.0.0/24' });
    const sb = await rt.runPodSandbox(sandbox('d'));
    await rt.createContainer(sb, { metadata: { name: 'x', attempt: 0 }, image: 'nginx' });
    const [c] = await rt.listContainers();
    assert.equal(c?.image, 'docker.io/library/nginx:latest');
    assert.match(c!.imageRef, /^fake:\/\/docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.equal(fakeImageRef('docker.io/library/nginx:latest'), c!.imageRef);
    assert.match(c!.id, /^[0-9a-f]{64}$/);
  });

  it('restores sandboxes and containers from pod statuses after a restart', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:01:00Z'));
    const rt = new FakeRuntime({ clock });
    await rt.updateRuntimeConfig({ podCIDR: '10.42.0.0/24' });
    const pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u1', annotations: { [runSecondsAnnotation]: '90' } },
      spec: {},
      status: {
        phase: 'Running',
        startTime: '2026-01-01T00:00:00Z',
        podIPs: [{ ip: '10.42.0.2' }],
        containerStatuses: [
          {
            name: 'app',
            restartCount: 1,
            image: 'docker.io/library/nginx:1.27',
            imageID: fakeImageRef('nginx:1.27'),
            containerID: `fake://${'a'.repeat(64)}`,
            state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2025-12-31T23:59:00Z', finishedAt: '2025-12-31T23:59:30Z', containerID: `fake://${'b'.repeat(64)}` } },
          },
        ],
      },
    };
    assert.equal(restoreFromPods(rt, [pod]), 1);
    const [s] = await rt.listPodSandboxes({ podUid: 'u1' });
    assert.deepEqual([s?.state, s?.ips], ['ready', ['10.42.0.2']]);
    const cs = (await rt.listContainers({ podUid: 'u1' })).sort((a, b) => a.metadata.attempt - b.metadata.attempt);
    assert.deepEqual(cs.map((c) => [c.id[0], c.metadata.attempt, c.state, c.exitCode]), [['b', 0, 'exited', 1], ['a', 1, 'running', 0]]);
    // The restored IP is taken: the next pod gets another.
    const sb = await rt.runPodSandbox(sandbox('e'));
    assert.notEqual((await rt.listPodSandboxes()).find((x) => x.id === sb)?.ips[0], '10.42.0.2');
    // It still exits when it would have: 90 s after it started.
    clock.advance(29_999);
    assert.equal((await rt.listContainers({ podUid: 'u1' })).find((c) => c.metadata.attempt === 1)?.state, 'running');
    clock.advance(1);
    assert.equal((await rt.listContainers({ podUid: 'u1' })).find((c) => c.metadata.attempt === 1)?.state, 'exited');
  });
});

describe('pod IP pool', () => {
  it('parses CIDRs and rejects bad ones', () => {
    assert.deepEqual(parseCIDR('10.42.3.7/24'), { base: (10 * 2 ** 24) + (42 << 16) + (3 << 8), bits: 24, size: 256 });
    for (const bad of ['10.42.0.0', '10.42.0.0/31', '300.1.1.1/24', 'fe80::/64']) assert.throws(() => parseCIDR(bad), /invalid/);
  });

  it('skips the network, gateway and broadcast addresses and hands out round robin', () => {
    const pool = new IpPool('192.168.5.0/29');
    const got = [pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()];
    assert.deepEqual(got, ['192.168.5.2', '192.168.5.3', '192.168.5.4', '192.168.5.5', '192.168.5.6']);
    assert.throws(() => pool.allocate(), /no free pod IPs/);
    pool.release('192.168.5.3');
    pool.release('192.168.5.5');
    assert.equal(pool.allocate(), '192.168.5.3', 'wraps around to the first free address');
    assert.equal(pool.allocate(), '192.168.5.5');
  });

  it('does not reuse a freed address at once', () => {
    const pool = new IpPool('10.0.0.0/24');
    const a = pool.allocate();
    pool.release(a);
    assert.notEqual(pool.allocate(), a);
  });
});
