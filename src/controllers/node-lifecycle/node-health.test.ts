import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { getCondition, timeString } from './conditions.ts';
import { NodeHealthTracker } from './node-health.ts';

const created = '2025-01-01T00:00:00Z';
const t0 = Date.parse(created);
const grace = 40_000;

function node(ready?: { status: string; heartbeat: number; transition?: number }, extra: Obj[] = []): Obj {
  const conditions = ready
    ? [{ type: 'Ready', status: ready.status, reason: 'KubeletReady', message: 'ok', lastHeartbeatTime: timeString(ready.heartbeat), lastTransitionTime: timeString(ready.transition ?? t0) }, ...extra]
    : extra;
  return { metadata: { name: 'n1', creationTimestamp: created }, status: { conditions } };
}
const lease = (renew: number): Obj => ({ spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: new Date(renew).toISOString().replace('Z', '000Z') } });

/** A step: at controller time `at`, the node (and lease) look like this; expect this outcome. */
interface Step {
  at: number;
  node: Obj;
  lease?: Obj;
  write: boolean;
  ready?: string;
}

const cases: { name: string; steps: Step[]; check?: (n: Obj) => void }[] = [
  {
    name: 'a node posting heartbeats stays as it is',
    steps: [
      { at: t0, node: node({ status: 'True', heartbeat: t0 }), write: false, ready: 'True' },
      { at: t0 + 30_000, node: node({ status: 'True', heartbeat: t0 + 30_000 }), write: false, ready: 'True' },
      { at: t0 + 65_000, node: node({ status: 'True', heartbeat: t0 + 60_000 }), write: false, ready: 'True' },
    ],
  },
  {
    name: 'a silent node turns Unknown once the grace period has passed',
    steps: [
      { at: t0, node: node({ status: 'True', heartbeat: t0 }), write: false },
      { at: t0 + grace, node: node({ status: 'True', heartbeat: t0 }), write: false, ready: 'True' },
      { at: t0 + grace + 1, node: node({ status: 'True', heartbeat: t0 }), write: true, ready: 'Unknown' },
    ],
    check: (n) => {
      const r = getCondition(n['status'], 'Ready')!;
      assert.equal(r.reason, 'NodeStatusUnknown');
      assert.equal(r.message, 'Kubelet stopped posting node status.');
      assert.equal(r.lastHeartbeatTime, timeString(t0), 'the heartbeat time is left alone');
      assert.equal(r.lastTransitionTime, timeString(t0 + grace + 1));
      for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
        const c = getCondition(n['status'], type)!;
        assert.equal(c.status, 'Unknown');
        assert.equal(c.reason, 'NodeStatusNeverUpdated');
        assert.equal(c.message, 'Kubelet never posted node status.');
        assert.equal(c.lastHeartbeatTime, created);
      }
      assert.equal(getCondition(n['status'], 'NetworkUnavailable'), undefined, 'NetworkUnavailable belongs to the network layer');
    },
  },
  {
    name: 'Lease renewals keep a node alive without status posts',
    steps: [
      { at: t0, node: node({ status: 'True', heartbeat: t0 }), lease: lease(t0), write: false },
      { at: t0 + 30_000, node: node({ status: 'True', heartbeat: t0 }), lease: lease(t0 + 30_000), write: false },
      { at: t0 + 65_000, node: node({ status: 'True', heartbeat: t0 }), lease: lease(t0 + 60_000), write: false, ready: 'True' },
      { at: t0 + 106_000, node: node({ status: 'True', heartbeat: t0 }), lease: lease(t0 + 60_000), write: true, ready: 'Unknown' },
    ],
  },
  {
    name: 'pressure conditions already reported become Unknown with NodeStatusUnknown',
    steps: [
      { at: t0, node: node({ status: 'True', heartbeat: t0 }, [{ type: 'MemoryPressure', status: 'False', lastHeartbeatTime: created }]), write: false },
      { at: t0 + 50_000, node: node({ status: 'True', heartbeat: t0 }, [{ type: 'MemoryPressure', status: 'False', lastHeartbeatTime: created }]), write: true, ready: 'Unknown' },
    ],
    check: (n) => assert.equal(getCondition(n['status'], 'MemoryPressure')!.reason, 'NodeStatusUnknown'),
  },
  {
    name: 'a node that never posted status gets the start-up grace from its creation',
    steps: [
      { at: t0 + 50_000, node: node(), write: false, ready: undefined },
      { at: t0 + 61_000, node: node(), write: true, ready: 'Unknown' },
    ],
    check: (n) => assert.equal(getCondition(n['status'], 'Ready')!.reason, 'NodeStatusNeverUpdated'),
  },
  {
    name: 'an Unknown node is not written again',
    steps: [
      { at: t0, node: node({ status: 'True', heartbeat: t0 }), write: false },
      { at: t0 + 50_000, node: node({ status: 'Unknown', heartbeat: t0 }), write: false, ready: 'Unknown' },
    ],
  },
  {
    name: 'a node reporting Ready=False is left to its own report',
    steps: [
      { at: t0, node: node({ status: 'False', heartbeat: t0 }), write: false, ready: 'False' },
      { at: t0 + 10_000, node: node({ status: 'False', heartbeat: t0 + 10_000 }), write: false, ready: 'False' },
    ],
  },
];

describe('NodeHealthTracker', () => {
  for (const c of cases) {
    it(c.name, () => {
      const h = new NodeHealthTracker({ gracePeriodMs: grace, startupGracePeriodMs: 60_000 });
      let last: Obj | undefined;
      for (const [i, s] of c.steps.entries()) {
        last = structuredClone(s.node);
        const r = h.check(last, s.lease, s.at);
        assert.equal(r.needsWrite, s.write, `step ${i}: write`);
        if ('ready' in s) assert.equal(r.currentReady?.status, s.ready, `step ${i}: ready`);
      }
      c.check?.(last!);
    });
  }

  it('reports the Ready condition observed before its own change', () => {
    const h = new NodeHealthTracker({ gracePeriodMs: grace, startupGracePeriodMs: 60_000 });
    h.check(node({ status: 'True', heartbeat: t0 }), undefined, t0);
    const r = h.check(node({ status: 'True', heartbeat: t0 }), undefined, t0 + 41_000);
    assert.equal(r.observedReady.status, 'True');
    assert.equal(r.currentReady?.status, 'Unknown');
    assert.equal(h.readyOf('n1')?.status, 'Unknown');
  });

  it('resetProbes gives every node a fresh grace period', () => {
    const h = new NodeHealthTracker({ gracePeriodMs: grace, startupGracePeriodMs: 60_000 });
    h.check(node({ status: 'True', heartbeat: t0 }), undefined, t0);
    h.resetProbes(t0 + 30_000);
    assert.equal(h.check(node({ status: 'True', heartbeat: t0 }), undefined, t0 + 60_000).needsWrite, false);
    assert.equal(h.check(node({ status: 'True', heartbeat: t0 }), undefined, t0 + 71_000).needsWrite, true);
  });
});
