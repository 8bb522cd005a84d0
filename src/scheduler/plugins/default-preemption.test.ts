import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Obj } from '../../client/types.ts';
import { newPodInfo } from '../cache/pod-info.ts';
import { CycleState } from '../framework/cycle-state.ts';
import { DEFAULT_ABSENT } from '../framework/fit-error.ts';
import { Framework } from '../framework/framework.ts';
import { type Status } from '../framework/status.ts';
import { makeNode, makePod } from '../testing/builders.ts';
import { testCache, testHandle } from '../testing/run.ts';
import { DefaultPreemption } from './default-preemption.ts';
import { NodeResourcesFit } from './node-resources-fit.ts';
import { TaintToleration } from './taint-toleration.ts';

/** Runs Filter on every node, then the PostFilter, as the scheduler does for an unschedulable pod. */
function explain(nodes: Obj[], placed: Obj[], pod: Obj): string {
  const cache = testCache(nodes, placed);
  let fwk!: Framework;
  const plugin = new DefaultPreemption(testHandle(cache), () => (s, p, n) => fwk.runFilter(s, p, n));
  fwk = new Framework([{ plugin: new TaintToleration() }, { plugin: new NodeResourcesFit() }, { plugin }]);
  const pi = newPodInfo(pod);
  const state = new CycleState();
  fwk.runPreFilter(state, pi);
  const statuses = new Map<string, Status>();
  for (const n of cache.nodeInfos()) statuses.set(n.name, fwk.runFilter(state, pi, n));
  return fwk.runPostFilter(state, pi, { statuses, absent: DEFAULT_ABSENT }).status.reasons.join(', ');
}

const small = (name: string) => makeNode(name).capacity({ cpu: '1' });

describe('DefaultPreemption (explanation only)', () => {
  it('no lower-priority pods: no victims', () => {
    const msg = explain([small('a').obj(), small('b').obj()], [makePod('x').node('a').req({ cpu: '1' }).obj(), makePod('y').node('b').req({ cpu: '1' }).obj()], makePod().req({ cpu: '1' }).obj());
    assert.equal(msg, 'preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.');
  });

  it('nodes rejected as unresolvable are not helped by preemption', () => {
    const msg = explain([small('a').taint('k', 'v', 'NoSchedule').obj(), small('b').obj()], [makePod('y').node('b').req({ cpu: '1' }).obj()], makePod().req({ cpu: '1' }).obj());
    assert.equal(msg, 'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.');
  });

  it('removing lower-priority pods that still leave too little room keeps the filter reason', () => {
    const placed = [makePod('low').node('a').req({ cpu: '500m' }).priority(-1).obj(), makePod('same').node('a').req({ cpu: '500m' }).obj()];
    assert.equal(explain([small('a').obj()], placed, makePod().req({ cpu: '1' }).obj()), 'preemption: 0/1 nodes are available: 1 Insufficient cpu.');
  });

  it('a pod that would fit after evictions gets no preemption message (eviction is not implemented)', () => {
    const placed = [makePod('low').node('a').req({ cpu: '1' }).priority(-1).obj()];
    assert.equal(explain([small('a').obj()], placed, makePod().req({ cpu: '1' }).obj()), '');
  });

  it('preemptionPolicy Never', () => {
    assert.equal(explain([small('a').obj()], [makePod('x').node('a').req({ cpu: '1' }).obj()], makePod().req({ cpu: '1' }).preemptionPolicy('Never').obj()), 'preemption: not eligible due to preemptionPolicy=Never.');
  });
});
