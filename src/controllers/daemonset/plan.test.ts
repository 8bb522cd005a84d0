import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Obj } from '../../client/types.ts';
import { Backoff } from './backoff.ts';
import { planManage, scaledValue } from './manage.ts';
import { planRollingUpdate } from './rolling-update.ts';
import { computeStatus } from './status.ts';

const now = Date.parse('2025-06-01T00:00:00Z');
const node = (name: string, labels: Record<string, string> = {}): Obj => ({ metadata: { name, labels } });

const ds = (o: { selector?: Record<string, string>; surge?: number | string; unavailable?: number | string; minReady?: number } = {}): Obj => ({
  metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 1 },
  spec: {
    minReadySeconds: o.minReady ?? 0,
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: o.unavailable ?? 1, maxSurge: o.surge ?? 0 } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'x' }], ...(o.selector ? { nodeSelector: o.selector } : {}) } },
  },
  status: {},
});

let seq = 0;
const pod = (nodeName: string, o: { hash?: string; phase?: string; ready?: boolean; created?: string; deleting?: boolean; bound?: boolean; readySince?: string } = {}): Obj => ({
  metadata: {
    name: `agent-${++seq}`,
    namespace: 'default',
    creationTimestamp: o.created ?? '2025-05-01T00:00:00Z',
    labels: { app: 'agent', 'controller-revision-hash': o.hash ?? 'new' },
    ...(o.deleting ? { deletionTimestamp: '2025-06-01T00:00:00Z' } : {}),
  },
  spec: {
    ...(o.bound === false ? {} : { nodeName }),
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] } } },
  },
  status: {
    phase: o.phase ?? 'Running',
    conditions: o.ready === false ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: o.readySince ?? '2025-05-01T00:00:00Z' }],
  },
});

const byNode = (...pods: Obj[]) => {
  const m = new Map<string, Obj[]>();
  for (const p of pods) {
    const n = p['spec'].nodeName ?? p['spec'].affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0];
    m.set(n, [...(m.get(n) ?? []), p]);
  }
  return m;
};
const names = (ps: Obj[]) => ps.map((p) => p['metadata'].name);

describe('manage plan', () => {
  it('creates on eligible nodes without pods and deletes from ineligible ones', () => {
    const off = pod('b');
    const plan = planManage(ds({ selector: { sensor: 'camera' } }), [node('a', { sensor: 'camera' }), node('b'), node('c', { sensor: 'camera' })], byNode(off, pod('c')), 'new', now, new Backoff(1000, 900_000));
    assert.deepEqual(plan.create, ['a']);
    assert.deepEqual(plan.delete, names([off]));
  });

  it('keeps only the oldest pod on a node, and waits for terminating ones', () => {
    const oldest = pod('a', { created: '2025-01-01T00:00:00Z' });
    const younger = pod('a', { created: '2025-02-01T00:00:00Z' });
    const plan = planManage(ds(), [node('a'), node('b')], byNode(younger, oldest, pod('b', { deleting: true })), 'new', now, new Backoff(1000, 900_000));
    assert.deepEqual(plan.delete, names([younger]));
    assert.deepEqual(plan.create, [], 'b still has its terminating pod');
  });

  it('deletes failed pods with backoff, succeeded ones at once', () => {
    const backoff = new Backoff(1000, 900_000);
    const failed = pod('a', { phase: 'Failed' });
    const done = pod('b', { phase: 'Succeeded' });
    const first = planManage(ds(), [node('a'), node('b')], byNode(failed, done), 'new', now, backoff);
    assert.deepEqual(first.delete, names([failed, done]));
    assert.deepEqual(first.events.map((e) => e.reason), ['FailedDaemonPod', 'SucceededDaemonPod']);
    const again = planManage(ds(), [node('a')], byNode(pod('a', { phase: 'Failed' })), 'new', now + 500, backoff);
    assert.deepEqual(again.delete, [], 'in backoff');
    assert.equal(again.requeueAfterMs, 1000);
    assert.equal(planManage(ds(), [node('a')], byNode(pod('a', { phase: 'Failed' })), 'new', now + 1500, backoff).delete.length, 1);
  });

  it('deletes unbound pods aimed at nodes that are gone', () => {
    const orphan = pod('gone', { bound: false });
    assert.deepEqual(planManage(ds(), [node('a')], byNode(pod('a'), orphan), 'new', now, new Backoff(1000, 900_000)).delete, names([orphan]));
  });

  it('with surge keeps one old and one new pod until the new one is available', () => {
    const d = ds({ surge: 1, unavailable: 0 });
    const oldPod = pod('a', { hash: 'old', created: '2025-01-01T00:00:00Z' });
    const fresh = pod('a', { ready: false });
    assert.deepEqual(planManage(d, [node('a')], byNode(oldPod, fresh), 'new', now, new Backoff(1000, 900_000)).delete, []);
    const readyNew = pod('a');
    assert.deepEqual(planManage(d, [node('a')], byNode(oldPod, readyNew), 'new', now, new Backoff(1000, 900_000)).delete, names([oldPod]));
  });
});

describe('rolling update plan', () => {
  const nodes = ['a', 'b', 'c', 'd'].map((n) => node(n));

  it('deletes up to maxUnavailable available old pods', () => {
    const plan = planRollingUpdate(ds({ unavailable: 2 }), nodes, byNode(pod('a', { hash: 'old' }), pod('b', { hash: 'old' }), pod('c', { hash: 'old' }), pod('d')), 'new', now);
    assert.equal(plan.delete.length, 2);
    assert.deepEqual(plan.create, []);
  });

  it('counts unavailable new pods and missing pods against maxUnavailable', () => {
    const plan = planRollingUpdate(ds({ unavailable: '50%' }), nodes, byNode(pod('a', { hash: 'old' }), pod('b', { hash: 'old' }), pod('c', { ready: false })), 'new', now);
    assert.deepEqual(plan.delete, [], 'c not ready and d missing use both slots');
  });

  it('replaces unavailable old pods regardless of the budget', () => {
    const broken = pod('a', { hash: 'old', ready: false });
    const plan = planRollingUpdate(ds({ unavailable: 1 }), nodes, byNode(broken, pod('b', { hash: 'old' }), pod('c', { hash: 'old' }), pod('d', { hash: 'old' })), 'new', now);
    assert.deepEqual(plan.delete, names([broken]));
  });

  it('surges new pods beside old ones and deletes the old once the new is available', () => {
    const d = ds({ surge: 1, unavailable: 0 });
    const start = planRollingUpdate(d, nodes, byNode(pod('a', { hash: 'old' }), pod('b', { hash: 'old' }), pod('c', { hash: 'old' }), pod('d', { hash: 'old' })), 'new', now);
    assert.deepEqual([start.create.length, start.delete.length], [1, 0]);
    const oldA = pod('a', { hash: 'old' });
    const mid = planRollingUpdate(d, nodes, byNode(oldA, pod('a'), pod('b', { hash: 'old' }), pod('c', { hash: 'old' }), pod('d', { hash: 'old' })), 'new', now);
    assert.deepEqual(mid.delete, names([oldA]));
    assert.equal(mid.create.length, 1, 'the slot is free again: a new pod on a is available');
  });

  it('scales percentages rounding up, and allows one unavailable when both are zero', () => {
    assert.equal(scaledValue('25%', 5, true), 2);
    assert.equal(scaledValue('25%', 5, false), 1);
    assert.equal(scaledValue(3, 5, true), 3);
    const plan = planRollingUpdate(ds({ unavailable: 0, surge: 0 }), nodes, byNode(pod('a', { hash: 'old' }), pod('b', { hash: 'old' }), pod('c'), pod('d')), 'new', now);
    assert.equal(plan.delete.length, 1);
  });
});

describe('status', () => {
  it('counts desired, current, misscheduled, ready, available and updated nodes', () => {
    const d = ds({ selector: { sensor: 'camera' }, minReady: 60 });
    const nodes = [node('a', { sensor: 'camera' }), node('b', { sensor: 'camera' }), node('c', { sensor: 'camera' }), node('d')];
    const s = computeStatus(d, nodes, byNode(pod('a'), pod('b', { hash: 'old', readySince: '2025-05-31T23:59:30Z' }), pod('d')), 'new', now);
    assert.deepEqual(s, {
      desiredNumberScheduled: 3,
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 2,
      updatedNumberScheduled: 1,
      numberAvailable: 1,
      numberUnavailable: 2,
    });
  });
});
