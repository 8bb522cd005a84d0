import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj, type ResourceId } from '../../client/types.ts';
import { expectedPodCount, scaledValue, type Workloads } from './expected-count.ts';
import { buildDisruptedPods, countHealthy, failSafeStatus, nextStatus } from './status.ts';
import { timeString } from '../node-lifecycle/conditions.ts';

describe('scaledValue', () => {
  const cases: [string, number | string, number, boolean, number | RegExp][] = [
    ['integer', 3, 10, true, 3],
    ['percentage rounded up', '25%', 10, true, 3],
    ['percentage rounded down', '25%', 10, false, 2],
    ['100%', '100%', 7, true, 7],
    ['not a percentage', '5', 10, true, /string is not a percentage/],
    ['garbage percentage', 'x%', 10, true, /invalid value "x%"/],
  ];
  for (const [name, v, total, up, want] of cases) {
    it(name, () => {
      if (want instanceof RegExp) assert.throws(() => scaledValue(v, total, up), want);
      else assert.equal(scaledValue(v, total, up), want);
    });
  }
});

/** An informer preloaded with objects (never run): enough for cache lookups. */
function cache(r: ResourceId, items: Obj[]): Informer {
  const inf = new Informer({} as Client, r);
  (inf as unknown as { replace(items: Obj[]): void }).replace(items);
  return inf;
}

const obj = (kind: string, name: string, uid: string, extra: Obj = {}): Obj => ({ kind, metadata: { name, namespace: 'ns', uid, ...(extra['metadata'] ?? {}) }, spec: extra['spec'] ?? {} });
const owned = (name: string, kind: string, apiVersion: string, ownerName: string, uid: string): Obj => ({
  metadata: { name, namespace: 'ns', uid: `pod-${name}`, ownerReferences: [{ apiVersion, kind, name: ownerName, uid, controller: true }] },
});

const workloads: Workloads = {
  deployments: cache(resources.deployments, [obj('Deployment', 'web', 'd1', { spec: { replicas: 5 } })]),
  replicaSets: cache(resources.replicasets, [
    obj('ReplicaSet', 'web-abc', 'rs1', { spec: { replicas: 3 }, metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }] } }),
    obj('ReplicaSet', 'solo', 'rs2', { spec: { replicas: 2 } }),
  ]),
  statefulSets: cache(resources.statefulsets, [obj('StatefulSet', 'db', 'ss1', { spec: { replicas: 3 } })]),
};

describe('expectedPodCount', () => {
  const webPods = [owned('w1', 'ReplicaSet', 'apps/v1', 'web-abc', 'rs1'), owned('w2', 'ReplicaSet', 'apps/v1', 'web-abc', 'rs1')];
  const cases: { name: string; spec: Obj; pods: Obj[]; want: { expected: number; desiredHealthy: number; unmanaged?: string[] } | RegExp }[] = [
    { name: 'minAvailable integer counts the selected pods', spec: { minAvailable: 2 }, pods: webPods, want: { expected: 2, desiredHealthy: 2 } },
    { name: 'minAvailable percentage uses the Deployment scale (through its ReplicaSet)', spec: { minAvailable: '50%' }, pods: webPods, want: { expected: 5, desiredHealthy: 3 } },
    { name: 'maxUnavailable integer', spec: { maxUnavailable: 1 }, pods: webPods, want: { expected: 5, desiredHealthy: 4 } },
    { name: 'maxUnavailable percentage rounds up', spec: { maxUnavailable: '30%' }, pods: webPods, want: { expected: 5, desiredHealthy: 3 } },
    { name: 'maxUnavailable above the scale floors at zero', spec: { maxUnavailable: 9 }, pods: webPods, want: { expected: 5, desiredHealthy: 0 } },
    { name: 'a ReplicaSet on its own', spec: { maxUnavailable: 1 }, pods: [owned('s1', 'ReplicaSet', 'apps/v1', 'solo', 'rs2')], want: { expected: 2, desiredHealthy: 1 } },
    { name: 'a StatefulSet', spec: { maxUnavailable: '34%' }, pods: [owned('db-0', 'StatefulSet', 'apps/v1', 'db', 'ss1')], want: { expected: 3, desiredHealthy: 1 } },
    {
      name: 'controllers counted once each, summed',
      spec: { maxUnavailable: 0 },
      pods: [...webPods, owned('db-0', 'StatefulSet', 'apps/v1', 'db', 'ss1'), owned('db-1', 'StatefulSet', 'apps/v1', 'db', 'ss1')],
      want: { expected: 8, desiredHealthy: 8 },
    },
    { name: 'unmanaged pods are reported and left out', spec: { maxUnavailable: 1 }, pods: [...webPods, { metadata: { name: 'bare', namespace: 'ns' } }], want: { expected: 5, desiredHealthy: 4, unmanaged: ['bare'] } },
    { name: 'a DaemonSet has no scale', spec: { maxUnavailable: 1 }, pods: [owned('d', 'DaemonSet', 'apps/v1', 'agent', 'ds1')], want: /daemonsets\.apps does not implement the scale subresource/ },
    { name: 'a controller missing from the cache', spec: { maxUnavailable: 1 }, pods: [owned('x', 'ReplicaSet', 'apps/v1', 'gone', 'rs9')], want: /found no controllers for pod "x"/ },
    { name: 'a stale uid is not the controller', spec: { maxUnavailable: 1 }, pods: [owned('x', 'StatefulSet', 'apps/v1', 'db', 'other-uid')], want: /found no controllers/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pdb = { metadata: { name: 'b', namespace: 'ns' }, spec: c.spec };
      if (c.want instanceof RegExp) assert.throws(() => expectedPodCount(pdb, c.pods, workloads), c.want);
      else assert.deepEqual(expectedPodCount(pdb, c.pods, workloads), { unmanaged: [], ...c.want });
    });
  }
});

describe('budget status', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  const pod = (name: string, ready: boolean, deleting = false): Obj => ({
    metadata: { name, ...(deleting ? { deletionTimestamp: timeString(now) } : {}) },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const pods = [pod('a', true), pod('b', true), pod('c', false), pod('d', true, true), pod('e', true)];

  it('counts Ready pods not being deleted and not recently evicted; prunes disruptedPods', () => {
    const pdb = { metadata: { generation: 1 }, status: { disruptedPods: { e: timeString(now - 30_000), b: timeString(now - 180_000), d: timeString(now), gone: timeString(now) } } };
    const { disrupted, recheckAt, overdue } = buildDisruptedPods(pods, pdb, now);
    assert.deepEqual(disrupted, { e: timeString(now - 30_000) }, 'kept: e (recent); dropped: b (overdue), d (deleting), gone');
    assert.deepEqual(overdue.map((p) => p['metadata'].name), ['b']);
    assert.equal(recheckAt, now - 30_000 + 120_000);
    assert.equal(countHealthy(pods, disrupted, now), 2, 'a and b');
  });

  const cases: [string, { currentHealthy: number; desiredHealthy: number; expectedPods: number }, number, string][] = [
    ['room for one disruption', { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 }, 1, 'SufficientPods'],
    ['at the minimum', { currentHealthy: 2, desiredHealthy: 2, expectedPods: 3 }, 0, 'InsufficientPods'],
    ['below the minimum', { currentHealthy: 1, desiredHealthy: 2, expectedPods: 3 }, 0, 'InsufficientPods'],
    ['no expected pods: none allowed', { currentHealthy: 2, desiredHealthy: 0, expectedPods: 0 }, 0, 'InsufficientPods'],
  ];
  for (const [name, counts, allowed, reason] of cases) {
    it(`status: ${name}`, () => {
      const st = nextStatus({ metadata: { generation: 3 } }, { ...counts, disrupted: {} }, now)!;
      assert.equal(st['disruptionsAllowed'], allowed);
      assert.equal(st['observedGeneration'], 3);
      assert.equal(st['conditions'][0].reason, reason);
      assert.equal(st['conditions'][0].status, allowed > 0 ? 'True' : 'False');
      assert.equal(st['conditions'][0].lastTransitionTime, timeString(now));
      assert.equal(nextStatus({ metadata: { generation: 3 }, status: st }, { ...counts, disrupted: {} }, now + 5000), undefined, 'unchanged: no write');
    });
  }

  it('fail-safe status allows nothing and says why', () => {
    const st = failSafeStatus({ metadata: { generation: 2 }, status: { disruptionsAllowed: 4, observedGeneration: 2 } }, new Error('boom'), now);
    assert.equal(st['disruptionsAllowed'], 0);
    assert.deepEqual(st['conditions'][0], { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'boom', observedGeneration: 2, lastTransitionTime: timeString(now) });
  });
});
