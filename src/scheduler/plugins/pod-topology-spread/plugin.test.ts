import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Obj } from '../../../client/types.ts';
import { makeNode, makePod, type PodBuilder } from '../../testing/builders.ts';
import { filterResults, scoreResults, testCache, testHandle } from '../../testing/run.ts';
import { PodTopologySpread } from './plugin.ts';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const SKEW = "Unschedulable: node(s) didn't match pod topology spread constraints";
const LABEL = "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)";

// z1: a, b; z2: c; d has no zone
const nodes = () => [makeNode('a').zone('z1'), makeNode('b').zone('z1'), makeNode('c').zone('z2'), makeNode('d')];
const web = (name: string, node: string) => makePod(name).labels({ app: 'web' }).node(node);

interface Case {
  name: string;
  nodes?: ReturnType<typeof makeNode>[];
  placed: PodBuilder[];
  pod: PodBuilder;
  want: Record<string, string>;
}

function run(cases: Case[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const cache = testCache((c.nodes ?? nodes()).map((n) => n.obj()), c.placed.map((p) => p.obj()));
      assert.deepEqual(filterResults([new PodTopologySpread(testHandle(cache))], c.pod.obj(), cache), c.want);
    });
  }
}

describe('PodTopologySpread filter', () => {
  run([
    {
      name: 'zone skew: z1 has 2, z2 has 0, maxSkew 1 keeps the pod in z2',
      placed: [web('w1', 'a'), web('w2', 'b')],
      pod: makePod().labels({ app: 'web' }).spread(1, ZONE, { app: 'web' }),
      want: { a: SKEW, b: SKEW, c: 'ok', d: LABEL },
    },
    {
      name: 'maxSkew 2 allows one more in z1',
      placed: [web('w1', 'a')],
      pod: makePod().labels({ app: 'web' }).spread(2, ZONE, { app: 'web' }),
      want: { a: 'ok', b: 'ok', c: 'ok', d: LABEL },
    },
    {
      name: 'hostname spreading',
      placed: [web('w1', 'a'), web('w2', 'b'), web('w3', 'c')],
      pod: makePod().labels({ app: 'web' }).spread(1, HOST, { app: 'web' }),
      want: { a: SKEW, b: SKEW, c: SKEW, d: 'ok' },
    },
    {
      name: 'a pod the selector does not match adds no skew itself',
      placed: [web('w1', 'a')],
      pod: makePod().labels({ app: 'other' }).spread(1, HOST, { app: 'web' }),
      want: { a: 'ok', b: 'ok', c: 'ok', d: 'ok' },
    },
    {
      name: 'minDomains: fewer eligible domains than asked makes the global minimum 0',
      placed: [web('w1', 'c')],
      pod: makePod().labels({ app: 'web' }).spread(1, ZONE, { app: 'web' }, { minDomains: 3 }),
      want: { a: 'ok', b: 'ok', c: SKEW, d: LABEL },
    },
    {
      name: 'nodeAffinityPolicy Honor (default): domains outside the pod node selector do not count',
      nodes: [makeNode('a').zone('z1').labels({ pool: 'x' }), makeNode('c').zone('z2').labels({ pool: 'y' })],
      placed: [web('w1', 'a')],
      // only z1 is eligible, so the minimum is z1's own count and the skew stays 1
      // (c passes this plugin; NodeAffinity is what keeps the pod off it)
      pod: makePod().labels({ app: 'web' }).nodeSelector({ pool: 'x' }).spread(1, ZONE, { app: 'web' }),
      want: { a: 'ok', c: 'ok' },
    },
    {
      name: 'nodeAffinityPolicy Ignore: every domain counts',
      nodes: [makeNode('a').zone('z1').labels({ pool: 'x' }), makeNode('c').zone('z2').labels({ pool: 'y' })],
      placed: [web('w1', 'a')],
      pod: makePod().labels({ app: 'web' }).nodeSelector({ pool: 'x' }).spread(1, ZONE, { app: 'web' }, { nodeAffinityPolicy: 'Ignore' }),
      want: { a: SKEW, c: 'ok' },
    },
    {
      name: 'nodeTaintsPolicy Honor: a tainted domain is not eligible',
      nodes: [makeNode('a').zone('z1'), makeNode('c').zone('z2').taint('k', 'v', 'NoSchedule')],
      placed: [web('w1', 'a')],
      pod: makePod().labels({ app: 'web' }).spread(1, ZONE, { app: 'web' }, { nodeTaintsPolicy: 'Honor' }),
      want: { a: 'ok', c: 'ok' },
    },
    {
      name: 'nodeTaintsPolicy Ignore (default): the tainted zone still counts as the minimum',
      nodes: [makeNode('a').zone('z1'), makeNode('c').zone('z2').taint('k', 'v', 'NoSchedule')],
      placed: [web('w1', 'a')],
      pod: makePod().labels({ app: 'web' }).spread(1, ZONE, { app: 'web' }),
      want: { a: SKEW, c: 'ok' },
    },
    {
      name: 'terminating pods and other namespaces are not counted',
      placed: [web('w1', 'a').terminating(), web('w2', 'b').ns('other')],
      pod: makePod().labels({ app: 'web' }).spread(1, HOST, { app: 'web' }),
      want: { a: 'ok', b: 'ok', c: 'ok', d: 'ok' },
    },
    {
      name: 'matchLabelKeys narrows the selector to the pod’s own revision',
      placed: [makePod('old').labels({ app: 'web', rev: '1' }).node('a'), makePod('old2').labels({ app: 'web', rev: '1' }).node('b')],
      pod: makePod().labels({ app: 'web', rev: '2' }).spread(1, HOST, { app: 'web' }, { matchLabelKeys: ['rev'] }),
      want: { a: 'ok', b: 'ok', c: 'ok', d: 'ok' },
    },
    {
      name: 'ScheduleAnyway constraints do not filter',
      placed: [web('w1', 'a'), web('w2', 'a')],
      pod: makePod().labels({ app: 'web' }).spread(1, HOST, { app: 'web' }, { whenUnsatisfiable: 'ScheduleAnyway' }),
      want: { a: 'ok', b: 'ok', c: 'ok', d: 'ok' },
    },
  ]);
});

describe('PodTopologySpread score', () => {
  it('ScheduleAnyway prefers emptier hosts', () => {
    const cache = testCache(nodes().map((n) => n.obj()), [web('w1', 'a'), web('w2', 'a'), web('w3', 'b')].map((p) => p.obj()));
    const pod = makePod().labels({ app: 'web' }).spread(1, HOST, { app: 'web' }, { whenUnsatisfiable: 'ScheduleAnyway' }).obj();
    const s = scoreResults({ plugin: new PodTopologySpread(testHandle(cache)) }, pod, cache);
    assert.ok(s['c']! > s['b']! && s['b']! > s['a']!, JSON.stringify(s));
    assert.equal(s['c'], s['d']);
  });

  it('default spreading applies to pods a Service selects', () => {
    const cache = testCache(nodes().map((n) => n.obj()), [web('w1', 'a'), web('w2', 'a')].map((p) => p.obj()));
    const svc: Obj = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' } } };
    const handle = testHandle(cache, { workloads: { services: (ns) => (ns === 'default' ? [svc] : []), replicaSet: () => undefined, statefulSet: () => undefined } });
    const s = scoreResults({ plugin: new PodTopologySpread(handle) }, makePod().labels({ app: 'web' }).obj(), cache);
    assert.ok(s['b']! > s['a']!, JSON.stringify(s));
    // Without a selecting workload there is no default constraint.
    assert.deepEqual(scoreResults({ plugin: new PodTopologySpread(testHandle(cache)) }, makePod().labels({ app: 'web' }).obj(), cache), { a: 0, b: 0, c: 0, d: 0 });
  });
});
