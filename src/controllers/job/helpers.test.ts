import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Obj } from '../../client/types.ts';
import { finishTime, nextBackoffRecord, remainingBackoff } from './backoff.ts';
import { ensureCondition, finishedType, finishTimeOf } from './conditions.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { duplicatedIndexPods, firstPendingIndexes, formatIndexes, parseIndexes, totalIndexes, withIndexes } from './indexes.ts';

const t0 = Date.parse('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();
const finished = (ms: number): Obj => ({ metadata: {}, status: { containerStatuses: [{ state: { terminated: { finishedAt: at(ms) } } }] } });
const indexed = (i: number | undefined): Obj => ({ metadata: { name: `p${i}`, annotations: i === undefined ? {} : { 'batch.kubernetes.io/job-completion-index': String(i) } }, status: {} });

describe('completed indexes', () => {
  it('parses, merges and formats ranges', () => {
    const cases: [string, number, string, number][] = [
      ['', 5, '', 0],
      ['1', 5, '1', 1],
      ['0,1,2,4', 5, '0-2,4', 4],
      ['1-3,5-7', 6, '1-3,5', 4],
      ['2-3,4', 9, '2-4', 3],
    ];
    for (const [input, completions, want, total] of cases) {
      const iv = parseIndexes(input, completions);
      assert.equal(formatIndexes(iv), want, input);
      assert.equal(totalIndexes(iv), total, input);
    }
    assert.equal(formatIndexes(withIndexes(parseIndexes('0,4', 9), [1, 2, 7])), '0-2,4,7');
  });

  it('finds pending indexes and duplicated ones', () => {
    assert.deepEqual(firstPendingIndexes(parseIndexes('0,2', 6), [indexed(1), indexed(4)], 2, 6), [3, 5]);
    const { remove, keep } = duplicatedIndexPods([indexed(1), indexed(1), indexed(undefined), indexed(9), indexed(0)], 3);
    assert.deepEqual(keep.map((p) => p['metadata'].name), ['p0', 'p1']);
    assert.equal(remove.length, 3);
  });
});

describe('pod failure backoff', () => {
  it('doubles from 10 s per failure since the last success, capped at 6 min', () => {
    const cases: [number, number, number][] = [
      [0, 0, 0],
      [1, 0, 10_000],
      [1, 4_000, 6_000],
      [2, 0, 20_000],
      [3, 0, 40_000],
      [6, 0, 320_000],
      [7, 0, 360_000],
      [20, 0, 360_000],
      [2, 30_000, 0],
    ];
    for (const [failures, elapsed, want] of cases) assert.equal(remainingBackoff({ failuresAfterLastSuccess: failures, lastFailureTime: t0 }, t0 + elapsed), want, `${failures} failures, ${elapsed} ms later`);
  });

  it('resets on success and counts failures after it', () => {
    let r = nextBackoffRecord(undefined, [], [finished(t0), finished(t0 + 5)]);
    assert.deepEqual(r, { failuresAfterLastSuccess: 2, lastFailureTime: t0 + 5 });
    r = nextBackoffRecord(r, [finished(t0 + 10)], [finished(t0 + 8), finished(t0 + 12)]);
    assert.deepEqual(r, { failuresAfterLastSuccess: 1, lastFailureTime: t0 + 12 });
    assert.deepEqual(nextBackoffRecord(r, [finished(t0 + 20)], []), { failuresAfterLastSuccess: 0 });
  });

  it('dates a finish by containers, then Ready=False, then deletion', () => {
    assert.equal(finishTime(finished(t0)), t0);
    assert.equal(finishTime({ metadata: {}, status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: at(t0 + 1000) }] } }), t0 + 1000);
    assert.equal(finishTime({ metadata: { deletionTimestamp: at(t0 + 30_000), deletionGracePeriodSeconds: 30 }, status: {} }), t0);
  });
});

describe('conditions', () => {
  it('adds, updates, never adds False, and knows finished jobs', () => {
    const job: Obj = { status: {} };
    assert.equal(ensureCondition(job, 'Suspended', 'False', 'JobResumed', 'Job resumed', t0), false);
    assert.equal(ensureCondition(job, 'Suspended', 'True', 'JobSuspended', 'Job suspended', t0), true);
    assert.equal(ensureCondition(job, 'Suspended', 'True', 'JobSuspended', 'Job suspended', t0 + 1000), false);
    assert.equal(ensureCondition(job, 'Suspended', 'False', 'JobResumed', 'Job resumed', t0 + 2000), true);
    assert.equal(job['status'].conditions[0].lastTransitionTime, '2030-01-01T00:00:02Z');
    assert.equal(finishedType(job), undefined);
    ensureCondition(job, 'Failed', 'True', 'DeadlineExceeded', 'x', t0 + 3000);
    assert.equal(finishedType(job), 'Failed');
    assert.equal(finishTimeOf(job), t0 + 3000);
  });
});

describe('podFailurePolicy', () => {
  const failed = (code: number, conditions: Obj[] = [], name = 'main'): Obj => ({
    metadata: { name: 'p', namespace: 'ns' },
    status: { phase: 'Failed', conditions, containerStatuses: [{ name, state: { terminated: { exitCode: code } } }] },
  });
  const policy = {
    rules: [
      { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1] } },
    ],
  };
  it('takes the first matching rule', () => {
    const cases: [string, Obj, { fail: boolean; count: boolean; action?: string }][] = [
      ['exit 42 in main fails the Job', failed(42), { fail: true, count: true, action: 'FailJob' }],
      ['exit 42 in a sidecar does not', failed(42, [], 'sidecar'), { fail: false, count: true, action: 'Count' }],
      ['disruption is ignored', failed(1, [{ type: 'DisruptionTarget', status: 'True' }]), { fail: false, count: false, action: 'Ignore' }],
      ['no rule matches exit 1', failed(1), { fail: false, count: true, action: undefined }],
      ['exit 0 never matches exit-code rules', failed(0), { fail: false, count: true, action: undefined }],
    ];
    for (const [what, pod, want] of cases) {
      const m = matchPodFailurePolicy(policy, pod);
      assert.deepEqual({ fail: m.failJobMessage !== undefined, count: m.countFailed, action: m.action }, want, what);
    }
    assert.equal(matchPodFailurePolicy(policy, failed(42)).failJobMessage, 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 0');
  });
});
