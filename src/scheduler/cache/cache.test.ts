import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeNode, makePod } from '../testing/builders.ts';
import { SchedulerCache } from './cache.ts';
import { assumedPodInfo, newPodInfo } from './pod-info.ts';

describe('SchedulerCache', () => {
  it('assumed pods count at once; the informer confirms them; a failed binding forgets them', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('n').obj());
    const pod = makePod('p').req({ cpu: '1' }).obj();
    const assumed = assumedPodInfo(newPodInfo(pod), 'n');
    c.assumePod(assumed);
    assert.equal(c.get('n')!.requested.milliCPU, 1000);
    assert.ok(c.isAssumed(assumed.uid));
    // The informer sees the bound pod: same accounting, no longer assumed.
    c.addPod({ ...pod, spec: { ...pod['spec'], nodeName: 'n' } });
    assert.equal(c.get('n')!.requested.milliCPU, 1000);
    assert.ok(!c.isAssumed(assumed.uid));
    c.forgetPod(assumed);
    assert.equal(c.get('n')!.pods.size, 1, 'a confirmed pod is not forgotten');

    const other = assumedPodInfo(newPodInfo(makePod('q').req({ cpu: '1' }).obj()), 'n');
    c.assumePod(other);
    c.forgetPod(other);
    assert.equal(c.get('n')!.requested.milliCPU, 1000);
  });

  it('keeps pods of a node seen before the node, and after it is deleted', () => {
    const c = new SchedulerCache();
    c.addPod(makePod('early').node('later').req({ cpu: '1' }).obj());
    assert.equal(c.numNodes, 0);
    c.addNode(makeNode('later').obj());
    assert.equal(c.get('later')!.requested.milliCPU, 1000);
    c.removeNode(makeNode('later').obj());
    assert.equal(c.get('later'), undefined);
    assert.equal(c.numNodes, 0);
  });

  it('tracks pods with affinity terms per node', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('n').obj());
    c.addPod(makePod('plain').node('n').obj());
    c.addPod(makePod('pref').node('n').preferredAffinity(1, 'kubernetes.io/hostname', { a: 'b' }).obj());
    const anti = makePod('anti').node('n').antiAffinity('kubernetes.io/hostname', { a: 'b' }).obj();
    c.addPod(anti);
    const n = c.get('n')!;
    assert.deepEqual([...n.podsWithAffinity].map((p) => p.name).sort(), ['anti', 'pref']);
    assert.deepEqual([...n.podsWithRequiredAntiAffinity].map((p) => p.name), ['anti']);
    c.removePod(anti);
    assert.equal(n.podsWithRequiredAntiAffinity.size, 0);
    assert.equal(c.groups.of('requiredAntiAffinity').size, 0);
  });

  it('interleaves zones in node order', () => {
    const c = new SchedulerCache();
    for (const [n, z] of [['a1', 'a'], ['a2', 'a'], ['b1', 'b'], ['a3', 'a'], ['b2', 'b']] as const) c.addNode(makeNode(n).zone(z).obj());
    assert.deepEqual(c.nodeInfos().map((n) => n.name), ['a1', 'b1', 'a2', 'b2', 'a3']);
  });

  it('domain counts follow pods and node relabelling', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('n1').zone('z1').obj());
    c.addNode(makeNode('n2').zone('z2').obj());
    const counts = c.matches.counts({ key: 'app=web', matches: (p) => p.labels['app'] === 'web' });
    c.addPod(makePod('w1').labels({ app: 'web' }).node('n1').obj());
    c.addPod(makePod('w2').labels({ app: 'web' }).node('n2').obj());
    c.addPod(makePod('x').labels({ app: 'db' }).node('n2').obj());
    assert.deepEqual([...counts.byDomain('topology.kubernetes.io/zone')].sort(), [['z1', 1], ['z2', 1]]);
    c.updateNode(makeNode('n2').zone('z1').obj());
    assert.deepEqual([...counts.byDomain('topology.kubernetes.io/zone')], [['z1', 2]]);
    c.removePod(makePod('w1').uid(c.get('n1')!.pods.keys().next().value!).obj());
    assert.deepEqual([...counts.byDomain('topology.kubernetes.io/zone')], [['z1', 1]]);
  });
});
