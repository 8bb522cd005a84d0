import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeNode, makePod } from '../testing/builders.ts';
import { filterResults, scoreResults, testCache } from '../testing/run.ts';
import { NodeResourcesBalancedAllocation } from './balanced-allocation.ts';
import { NodeResourcesFit } from './node-resources-fit.ts';

describe('NodeResourcesFit filter', () => {
  const node = makeNode('n1').capacity({ cpu: '2', memory: '4Gi', pods: '3', 'example.com/gpu': '1' }).obj();
  const existing = [makePod('a').node('n1').req({ cpu: '1', memory: '1Gi' }).obj(), makePod('b').node('n1').req({ cpu: '500m' }).obj()];
  const cases = [
    { name: 'fits in what is left', pod: makePod().req({ cpu: '500m', memory: '3Gi' }), want: 'ok' },
    { name: 'one millicore too many', pod: makePod().req({ cpu: '501m' }), want: 'Unschedulable: Insufficient cpu' },
    { name: 'cpu and memory both short', pod: makePod().req({ cpu: '1', memory: '4Gi' }), want: 'Unschedulable: Insufficient cpu, Insufficient memory' },
    { name: 'init container counts', pod: makePod().req({ cpu: '100m' }).initReq({ cpu: '1' }), want: 'Unschedulable: Insufficient cpu' },
    { name: 'overhead counts', pod: makePod().req({ cpu: '400m' }).overhead({ cpu: '200m' }), want: 'Unschedulable: Insufficient cpu' },
    { name: 'extended resource', pod: makePod().req({ 'example.com/gpu': '2' }), want: 'Unschedulable: Insufficient example.com/gpu' },
    { name: 'best effort pod only needs a pod slot', pod: makePod(), want: 'ok' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(filterResults([new NodeResourcesFit()], c.pod.obj(), testCache([node], existing))['n1'], c.want);
    });
  }

  it('counts pods against the pod limit', () => {
    const full = [...existing, makePod('c').node('n1').obj()];
    assert.equal(filterResults([new NodeResourcesFit()], makePod().obj(), testCache([node], full))['n1'], 'Unschedulable: Too many pods');
  });

  it('ignores finished pods', () => {
    const done = [...existing, makePod('c').node('n1').req({ cpu: '1' }).phase('Succeeded').obj()];
    assert.equal(filterResults([new NodeResourcesFit()], makePod().req({ cpu: '500m' }).obj(), testCache([node], done))['n1'], 'ok');
  });
});

describe('NodeResourcesFit score (LeastAllocated) and BalancedAllocation', () => {
  const nodes = [makeNode('empty').capacity({ cpu: '4', memory: '8Gi' }).obj(), makeNode('half').capacity({ cpu: '4', memory: '8Gi' }).obj()];
  const pods = [makePod('x').node('half').req({ cpu: '2', memory: '1Gi' }).obj()];
  it('prefers the emptier node', () => {
    const pod = makePod().req({ cpu: '1', memory: '1Gi' }).obj();
    // empty: cpu (4-1)/4 → 75, mem (8-1)/8 → 87 → 81; half: cpu 25, mem 75 → 50
    assert.deepEqual(scoreResults({ plugin: new NodeResourcesFit() }, pod, testCache(nodes, pods)), { empty: 81, half: 50 });
  });
  it('counts best-effort pods as 100m / 200Mi when scoring', () => {
    const pod = makePod().obj();
    const s = scoreResults({ plugin: new NodeResourcesFit() }, pod, testCache([nodes[0]!], [makePod('be').node('empty').obj()]));
    // cpu (4000-200)/4000 → 95; mem (8Gi-400Mi)/8Gi → 95
    assert.deepEqual(s, { empty: 95 });
  });
  it('balanced allocation prefers equal cpu and memory shares', () => {
    const pod = makePod().req({ cpu: '1', memory: '1Gi' }).obj();
    // empty: 1/4 vs 1/8 → std .0625 → 93; half: 3/4 vs 2/8 → std .25 → 75
    assert.deepEqual(scoreResults({ plugin: new NodeResourcesBalancedAllocation() }, pod, testCache(nodes, pods)), { empty: 93, half: 75 });
  });
});
