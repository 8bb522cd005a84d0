import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newPodInfo } from './cache/pod-info.ts';
import { CycleState } from './framework/cycle-state.ts';
import { Framework } from './framework/framework.ts';
import type { FilterPlugin, ScorePlugin } from './framework/interfaces.ts';
import { ok, unschedulable } from './framework/status.ts';
import { NodeResourcesFit } from './plugins/node-resources-fit.ts';
import { makeNode, makePod } from './testing/builders.ts';
import { testCache } from './testing/run.ts';
import { Algorithm, numFeasibleNodesToFind, selectHost } from './schedule-one.ts';

describe('numFeasibleNodesToFind', () => {
  const cases: [nodes: number, percentage: number, want: number][] = [
    [10, 0, 10],
    [99, 0, 99],
    [100, 0, 100],
    [200, 0, 100], // 48% of 200 = 96 → at least 100
    [1000, 0, 420], // 50 − 8 = 42%
    [5000, 0, 500], // 50 − 40 = 10%
    [6000, 0, 300], // 50 − 48 = 2% → 5%
    [5000, 30, 1500], // configured
  ];
  for (const [n, pct, want] of cases) it(`${n} nodes, percentage ${pct}`, () => assert.equal(numFeasibleNodesToFind(n, pct), want));
});

describe('selectHost', () => {
  it('takes the highest total', () => assert.equal(selectHost([10, 30, 20], () => 0.99), 1));
  it('breaks ties uniformly (reservoir sampling)', () => {
    const seen = new Set<number>();
    for (const r of [0, 0.4, 0.99]) seen.add(selectHost([5, 7, 7, 7], () => r));
    assert.deepEqual([...seen].sort(), [1, 2, 3]);
  });
});

/** Counts Filter calls and rejects nodes named `bad-*`. */
function counting(): FilterPlugin & { calls: string[] } {
  const calls: string[] = [];
  return { name: 'Counting', calls, filter: (_s, _p, n) => (calls.push(n.name), n.name.startsWith('bad') ? unschedulable('bad node') : ok) };
}

const flat: ScorePlugin = { name: 'Flat', score: () => 0 };

describe('Algorithm', () => {
  it('stops filtering once enough feasible nodes are found and starts the next cycle where it stopped', () => {
    const nodes = Array.from({ length: 200 }, (_, i) => makeNode(`n-${String(i).padStart(3, '0')}`).obj());
    const f = counting();
    const algo = new Algorithm(new Framework([{ plugin: f }, { plugin: flat }]), testCache(nodes), { rand: () => 0 });
    const out = algo.schedulePod(new CycleState(), newPodInfo(makePod().obj()));
    assert.equal(out.kind, 'scheduled');
    assert.equal(f.calls.length, 100, '48% of 200 is under the 100-node minimum');
    assert.equal(algo.nextStartNodeIndex, 100);
    f.calls.length = 0;
    algo.schedulePod(new CycleState(), newPodInfo(makePod().obj()));
    assert.equal(f.calls[0], 'n-100');
  });

  it('reports each rejected node in the diagnosis', () => {
    const algo = new Algorithm(new Framework([{ plugin: counting() }, { plugin: flat }]), testCache([makeNode('bad-1').obj(), makeNode('bad-2').obj()]));
    const out = algo.schedulePod(new CycleState(), newPodInfo(makePod().obj()));
    assert.equal(out.kind, 'unschedulable');
    if (out.kind !== 'unschedulable') return;
    assert.deepEqual([...out.diagnosis.statuses.keys()].sort(), ['bad-1', 'bad-2']);
    assert.deepEqual([...out.diagnosis.unschedulablePlugins], ['Counting']);
  });

  it('says when there are no nodes at all', () => {
    const algo = new Algorithm(new Framework([{ plugin: new NodeResourcesFit() }]), testCache([]));
    assert.equal(algo.schedulePod(new CycleState(), newPodInfo(makePod().obj())).kind, 'noNodes');
  });
});
