import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unschedulableCondition } from './pod-status.ts';

const at = Date.parse('2026-11-22T10:00:00Z');

describe('unschedulableCondition', () => {
  it('sets PodScheduled=False with reason and message', () => {
    assert.deepEqual(unschedulableCondition({ status: { phase: 'Pending' } }, 'Unschedulable', 'm1', at), {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: '2026-11-22T10:00:00Z',
      reason: 'Unschedulable',
      message: 'm1',
    });
  });

  it('writes nothing when the pod already says the same', () => {
    const pod = { status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'm1', lastTransitionTime: '2026-11-22T09:00:00Z' }] } };
    assert.equal(unschedulableCondition(pod, 'Unschedulable', 'm1', at), undefined);
  });

  it('keeps the transition time when only the message changes', () => {
    const pod = { status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'm1', lastTransitionTime: '2026-11-22T09:00:00Z' }] } };
    assert.equal(unschedulableCondition(pod, 'Unschedulable', 'm2', at)?.['lastTransitionTime'], '2026-11-22T09:00:00Z');
  });
});
