import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitErrorMessage, DEFAULT_ABSENT } from './fit-error.ts';
import { unresolvable, unschedulable, type Status } from './status.ts';

const statuses = (entries: [string, Status][]) => new Map(entries);

describe('fitErrorMessage', () => {
  it('counts reasons per node and sorts the "<n> <reason>" strings', () => {
    const m = fitErrorMessage(3, {
      statuses: statuses([
        ['a', unschedulable("node(s) didn't match pod anti-affinity rules")],
        ['b', unschedulable('Insufficient cpu')],
        ['c', unschedulable('Insufficient cpu')],
      ]),
      absent: DEFAULT_ABSENT,
      postFilterMsg: 'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    });
    assert.equal(m, "0/3 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..");
  });

  it('sorts as strings, so 10 comes before 2', () => {
    const entries: [string, Status][] = [];
    for (let i = 0; i < 10; i++) entries.push([`x${i}`, unschedulable('Too many pods')]);
    entries.push(['y1', unresolvable('node(s) were unschedulable')], ['y2', unresolvable('node(s) were unschedulable')]);
    assert.equal(fitErrorMessage(12, { statuses: statuses(entries), absent: DEFAULT_ABSENT }), '0/12 nodes are available: 10 Too many pods, 2 node(s) were unschedulable.');
  });

  it('a node with several reasons counts each', () => {
    assert.equal(
      fitErrorMessage(1, { statuses: statuses([['a', unschedulable('Insufficient cpu', 'Insufficient memory')]]), absent: DEFAULT_ABSENT }),
      '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.',
    );
  });

  it("nodes PreFilter ruled out carry the absent status's reasons", () => {
    assert.equal(
      fitErrorMessage(3, { statuses: statuses([['a', unresolvable("node(s) didn't match Pod's node affinity/selector")]]), absent: unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]") }),
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].",
    );
  });

  it('a PreFilter rejection replaces the histogram', () => {
    assert.equal(
      fitErrorMessage(2, { statuses: new Map(), absent: unresolvable('pod affinity terms conflict'), preFilterMsg: 'pod affinity terms conflict', postFilterMsg: 'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.' }),
      '0/2 nodes are available: pod affinity terms conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..',
    );
  });
});
