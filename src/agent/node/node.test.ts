import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.ts';
import { FakeClock } from '../../client/clock.ts';
import type { Client, Obj } from '../../client/types.ts';
import { ConfigError, fakeNodeConfig, fallbackPodCIDR, parseCapacity, parseLabels, parseTaints, simNodeIP } from '../config.ts';
import { NodeLease } from './lease.ts';
import { nodeForRegistration, nodeStatus, reconcileExisting } from './node-object.ts';
import { NodeStatusReporter, nodeStatusChanged } from './status.ts';

const cfg = fakeNodeConfig({ name: 'pi-1', internalIP: '10.0.0.5', labels: { zone: 'a' }, taints: [], capacity: parseCapacity('cpu=4,memory=8192Mi'), runtimeVersion: '0.1.0' });

/** A Client that records calls and answers from a script. */
function recordingClient(answer: (verb: string, args: unknown[]) => unknown = () => ({})): Client & { calls: [string, ...unknown[]][] } {
  const calls: [string, ...unknown[]][] = [];
  const call = (verb: string) => async (...args: unknown[]) => {
    calls.push([verb, ...args]);
    const a = answer(verb, args);
    if (a instanceof Error) throw a;
    return a;
  };
  return {
    userName: 'test',
    calls,
    get: call('get'),
    list: call('list'),
    watch: call('watch'),
    create: call('create'),
    update: call('update'),
    patch: call('patch'),
    delete: call('delete'),
    createSubresource: call('createSubresource'),
  } as never;
}

const settle = () => new Promise((r) => setImmediate(r));

describe('node flags', () => {
  it('parses labels, taints and capacity; rejects bad ones', () => {
    assert.deepEqual(parseLabels(['a=b', 'example.com/tier=edge', 'empty=']), { a: 'b', 'example.com/tier': 'edge', empty: '' });
    assert.throws(() => parseLabels(['novalue']), ConfigError);
    assert.throws(() => parseLabels(['a=b c']), ConfigError);
    assert.deepEqual(parseTaints(['gpu=true:NoSchedule', 'edge:PreferNoSchedule']), [
      { key: 'gpu', value: 'true', effect: 'NoSchedule' },
      { key: 'edge', effect: 'PreferNoSchedule' },
    ]);
    assert.throws(() => parseTaints(['gpu=true:Sometimes']), /NoSchedule, PreferNoSchedule, NoExecute/);
    assert.deepEqual(parseCapacity('cpu=4,memory=8192Mi'), { cpu: '4', memory: '8Gi', pods: '110' });
    assert.throws(() => parseCapacity('cpu=lots'), ConfigError);
  });

  it('gives simulated nodes distinct IPs and fallback ranges', () => {
    assert.equal(simNodeIP(0), '172.16.0.1');
    assert.equal(simNodeIP(300), '172.16.1.45');
    assert.equal(fallbackPodCIDR(0), '10.128.0.0/24');
    assert.equal(fallbackPodCIDR(257), '10.129.1.0/24');
    assert.match(fallbackPodCIDR('pi-1'), /^10\.(1[2-9]\d|2[0-5]\d)\.\d+\.0\/24$/);
    assert.equal(fallbackPodCIDR('pi-1'), fallbackPodCIDR('pi-1'));
  });
});

describe('node object', () => {
  it('registers with default labels over --node-labels, the CMAD annotation, status and no taints', () => {
    const n = nodeForRegistration({ ...cfg, labels: { 'kubernetes.io/hostname': 'spoof', zone: 'a' } }, { ready: true }, Date.parse('2026-11-22T10:00:00Z'));
    assert.equal(n['metadata'].labels['kubernetes.io/hostname'], 'pi-1');
    assert.equal(n['metadata'].labels['zone'], 'a');
    assert.equal(n['metadata'].labels['beta.kubernetes.io/os'], 'linux');
    assert.equal(n['metadata'].annotations['volumes.kubernetes.io/controller-managed-attach-detach'], 'true');
    assert.deepEqual(n['spec'], {});
    assert.deepEqual(n['status'].capacity, { cpu: '4', memory: '8Gi', pods: '110' });
    assert.deepEqual(n['status'].allocatable, n['status'].capacity);
    assert.equal(n['status'].conditions[3].lastHeartbeatTime, '2026-11-22T10:00:00Z');
  });

  it('reconciles only default labels and the annotation of an existing Node', () => {
    const existing = { metadata: { name: 'pi-1', labels: { 'kubernetes.io/hostname': 'pi-1', custom: 'kept' }, annotations: {} }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } };
    const fixed = reconcileExisting(cfg, existing)!;
    assert.equal(fixed['metadata'].labels['custom'], 'kept');
    assert.equal(fixed['metadata'].labels['type'], 'bramble-fake');
    assert.equal(fixed['metadata'].labels['zone'], undefined, '--node-labels apply at registration only');
    assert.deepEqual(fixed['spec'], existing.spec);
    assert.equal(reconcileExisting(cfg, fixed), undefined);
  });

  it('Ready=False with the runtime\'s reason; transition times kept while the status holds', () => {
    const t1 = Date.parse('2026-11-22T10:00:00Z');
    const down = nodeStatus(cfg, { ready: false, message: 'container runtime is down' }, undefined, t1);
    assert.deepEqual([down['conditions'][3].status, down['conditions'][3].reason], ['False', 'KubeletNotReady']);
    const up = nodeStatus(cfg, { ready: true }, down, t1 + 60_000);
    const again = nodeStatus(cfg, { ready: true }, up, t1 + 120_000);
    assert.equal(again['conditions'][3].lastTransitionTime, '2026-11-22T10:01:00Z');
    assert.equal(again['conditions'][0].lastTransitionTime, '2026-11-22T10:00:00Z');
    assert.equal(nodeStatusChanged(up, again), false, 'heartbeat times alone are no change');
    assert.equal(nodeStatusChanged(down, up), true);
  });
});

describe('node status reporter', () => {
  it('writes when something changed or every 5 minutes, never just because 10 s passed', async () => {
    const clock = new FakeClock(Date.parse('2026-11-22T10:00:00Z'));
    const client = recordingClient();
    let current: Obj | undefined = { status: nodeStatus(cfg, { ready: true }, undefined, clock.now()) };
    let ready = true;
    const r = new NodeStatusReporter({ client, clock, config: cfg, readiness: async () => ({ ready }), current: () => current }, clock.now());
    for (let i = 0; i < 29; i++) assert.equal(await r.check(), false, `check ${i}`);
    clock.advance(300_000);
    assert.equal(await r.check(), true, 'the 5-minute report');
    const body = client.calls.at(-1)![5] as Obj;
    assert.equal(body['status'].conditions[3].lastHeartbeatTime, '2026-11-22T10:05:00Z');
    ready = false;
    assert.equal(await r.check(), true, 'a condition changed');
    current = undefined;
    assert.equal(await r.check(), true, 'Node not seen yet');
    r.stop();
  });
});

describe('node lease', () => {
  it('creates the Lease, renews it every 10 s by PUT of the last copy, and refetches after a conflict', async () => {
    const clock = new FakeClock(Date.parse('2026-11-22T10:00:00Z'));
    let stored: Obj | undefined;
    let conflictOnce = false;
    const client = recordingClient((verb, args) => {
      if (verb === 'get') return stored ?? new ApiError('NotFound', 'not found');
      const obj = args[2] as Obj;
      if (verb === 'update' && conflictOnce) {
        conflictOnce = false;
        return new ApiError('Conflict', 'stale');
      }
      stored = { ...obj, metadata: { ...obj['metadata'], resourceVersion: String(Number(stored?.['metadata'].resourceVersion ?? 0) + 1), managedFields: [{ manager: 'x' }] } };
      return stored;
    });
    const lease = new NodeLease({ client, clock, nodeName: 'pi-1', nodeUid: 'uid-1' });
    await lease.start();
    assert.deepEqual(client.calls.map((c) => c[0]), ['get', 'create']);
    assert.deepEqual(stored!['spec'], { holderIdentity: 'pi-1', leaseDurationSeconds: 40, renewTime: '2026-11-22T10:00:00.000000Z' });
    assert.deepEqual(stored!['metadata'].ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'pi-1', uid: 'uid-1' }]);
    clock.advance(9_999);
    await settle();
    assert.equal(client.calls.length, 2);
    clock.advance(1);
    await settle();
    const put = client.calls.at(-1)!;
    assert.equal(put[0], 'update');
    assert.equal((put[3] as Obj)['metadata'].resourceVersion, '1', 'a PUT of the last Lease (optimistic concurrency)');
    assert.equal((put[3] as Obj)['metadata'].managedFields, undefined, 'managed fields are left to the server');
    assert.equal((put[3] as Obj)['spec'].renewTime, '2026-11-22T10:00:10.000000Z');
    conflictOnce = true;
    clock.advance(10_000);
    await settle();
    await settle();
    assert.deepEqual(client.calls.slice(-3).map((c) => c[0]), ['update', 'get', 'update']);
    assert.equal(lease.renewals, 3);
    lease.stop();
    assert.equal(clock.pending(), 0, 'no renewals after stop');
  });

  it('retries failures with back-off from 200 ms', async () => {
    const clock = new FakeClock(0);
    let fail = true;
    const client = recordingClient((verb) => (fail ? new ApiError('ServiceUnavailable', 'down') : verb === 'get' ? new ApiError('NotFound', '') : { metadata: { resourceVersion: '1' } }));
    const lease = new NodeLease({ client, clock, nodeName: 'pi-1', nodeUid: 'u' });
    await lease.start();
    assert.equal(lease.renewals, 0);
    fail = false;
    clock.advance(199);
    await settle();
    assert.equal(lease.renewals, 0);
    clock.advance(1);
    await settle();
    await settle();
    assert.equal(lease.renewals, 1);
    lease.stop();
  });
});
