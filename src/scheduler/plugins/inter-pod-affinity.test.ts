import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { staticNamespaces } from '../framework/handle.ts';
import { makeNode, makePod, type PodBuilder } from '../testing/builders.ts';
import { filterResults, scoreResults, testCache, testHandle } from '../testing/run.ts';
import { InterPodAffinity } from './inter-pod-affinity.ts';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const AFF = "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules";
const ANTI = "Unschedulable: node(s) didn't match pod anti-affinity rules";
const EXISTING = "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules";

const namespaces = staticNamespaces({ default: { team: 'a' }, other: { team: 'b' }, third: { team: 'a' } });
const nodes = [makeNode('n1').zone('z1'), makeNode('n2').zone('z1'), makeNode('n3').zone('z2'), makeNode('bare').labels({})];

interface Case {
  name: string;
  placed: PodBuilder[];
  pod: PodBuilder;
  want: Record<string, string>;
}

function run(cases: Case[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const cache = testCache(nodes.map((n) => n.obj()), c.placed.map((p) => p.obj()));
      assert.deepEqual(filterResults([new InterPodAffinity(testHandle(cache, { namespaces }))], c.pod.obj(), cache), c.want);
    });
  }
}

describe('InterPodAffinity filter: required anti-affinity of the incoming pod', () => {
  run([
    {
      name: 'one per host (the seed anti-affinity Deployment)',
      placed: [makePod('web-1').labels({ app: 'nginx' }).node('n1')],
      pod: makePod('web-2').labels({ app: 'nginx' }).antiAffinity(HOST, { app: 'nginx' }),
      want: { n1: ANTI, n2: 'ok', n3: 'ok', bare: 'ok' },
    },
    {
      name: 'zone topology rejects every node in the zone; nodes without the key are fine',
      placed: [makePod('web-1').labels({ app: 'nginx' }).node('n1')],
      pod: makePod('web-2').antiAffinity(ZONE, { app: 'nginx' }),
      want: { n1: ANTI, n2: ANTI, n3: 'ok', bare: 'ok' },
    },
    {
      name: 'pods in other namespaces do not count by default',
      placed: [makePod('web-1').ns('other').labels({ app: 'nginx' }).node('n1')],
      pod: makePod('web-2').antiAffinity(HOST, { app: 'nginx' }),
      want: { n1: 'ok', n2: 'ok', n3: 'ok', bare: 'ok' },
    },
    {
      name: 'namespaces list',
      placed: [makePod('web-1').ns('other').labels({ app: 'nginx' }).node('n1')],
      pod: makePod('web-2').antiAffinity(HOST, { app: 'nginx' }, { namespaces: ['other'] }),
      want: { n1: ANTI, n2: 'ok', n3: 'ok', bare: 'ok' },
    },
    {
      name: 'namespaceSelector',
      placed: [makePod('x').ns('third').labels({ app: 'nginx' }).node('n2'), makePod('y').ns('other').labels({ app: 'nginx' }).node('n3')],
      pod: makePod('web').antiAffinity(HOST, { app: 'nginx' }, { namespaceSelector: { matchLabels: { team: 'a' } } }),
      want: { n1: 'ok', n2: ANTI, n3: 'ok', bare: 'ok' },
    },
    {
      name: 'empty namespaceSelector means all namespaces',
      placed: [makePod('y').ns('other').labels({ app: 'nginx' }).node('n3')],
      pod: makePod('web').antiAffinity(HOST, { app: 'nginx' }, { namespaceSelector: {} }),
      want: { n1: 'ok', n2: 'ok', n3: ANTI, bare: 'ok' },
    },
  ]);
});

describe('InterPodAffinity filter: required affinity', () => {
  run([
    {
      name: 'must share a zone with a matching pod',
      placed: [makePod('db').labels({ app: 'db' }).node('n3')],
      pod: makePod('web').podAffinity(ZONE, { app: 'db' }),
      want: { n1: AFF, n2: AFF, n3: 'ok', bare: AFF },
    },
    {
      name: 'no matching pod anywhere: rejected everywhere',
      placed: [],
      pod: makePod('web').podAffinity(ZONE, { app: 'db' }),
      want: { n1: AFF, n2: AFF, n3: AFF, bare: AFF },
    },
    {
      name: 'first pod of a self-affine group may go to any node with the topology label',
      placed: [],
      pod: makePod('cache-1').labels({ app: 'cache' }).podAffinity(ZONE, { app: 'cache' }),
      want: { n1: 'ok', n2: 'ok', n3: 'ok', bare: AFF },
    },
    {
      name: 'later pods of the group follow the first',
      placed: [makePod('cache-1').labels({ app: 'cache' }).node('n1')],
      pod: makePod('cache-2').labels({ app: 'cache' }).podAffinity(ZONE, { app: 'cache' }),
      want: { n1: 'ok', n2: 'ok', n3: AFF, bare: AFF },
    },
  ]);
});

describe('InterPodAffinity filter: existing pods anti-affinity', () => {
  run([
    {
      name: 'a placed pod keeps matching pods out of its host',
      placed: [makePod('loner').labels({ app: 'loner' }).antiAffinity(HOST, { app: 'web' }).node('n2')],
      pod: makePod('web').labels({ app: 'web' }),
      want: { n1: 'ok', n2: EXISTING, n3: 'ok', bare: 'ok' },
    },
    {
      name: 'non-matching pods are not affected',
      placed: [makePod('loner').antiAffinity(HOST, { app: 'web' }).node('n2')],
      pod: makePod('api').labels({ app: 'api' }),
      want: { n1: 'ok', n2: 'ok', n3: 'ok', bare: 'ok' },
    },
    {
      name: "existing term's namespaceSelector uses the incoming pod's namespace labels",
      placed: [makePod('loner').ns('other').antiAffinity(ZONE, { app: 'web' }, { namespaceSelector: { matchLabels: { team: 'a' } } }).node('n1')],
      pod: makePod('web').labels({ app: 'web' }),
      want: { n1: EXISTING, n2: EXISTING, n3: 'ok', bare: 'ok' },
    },
  ]);

  it('keeps counts current as pods come and go', () => {
    const cache = testCache(nodes.map((n) => n.obj()));
    const plugin = new InterPodAffinity(testHandle(cache, { namespaces }));
    const pod = makePod('web').labels({ app: 'nginx' }).antiAffinity(HOST, { app: 'nginx' }).obj();
    assert.equal(filterResults([plugin], pod, cache)['n1'], 'ok');
    const placed = makePod('web-0').labels({ app: 'nginx' }).antiAffinity(HOST, { app: 'nginx' }).node('n1').obj();
    cache.addPod(placed);
    assert.equal(filterResults([plugin], pod, cache)['n1'], ANTI);
    cache.removePod(placed);
    assert.equal(filterResults([plugin], pod, cache)['n1'], 'ok');
  });
});

describe('InterPodAffinity score', () => {
  it('preferred affinity and anti-affinity of the incoming pod', () => {
    const cache = testCache(nodes.map((n) => n.obj()), [makePod('db').labels({ app: 'db' }).node('n1').obj(), makePod('noisy').labels({ app: 'noisy' }).node('n3').obj()]);
    const pod = makePod('web').preferredAffinity(10, ZONE, { app: 'db' }).preferredAntiAffinity(5, HOST, { app: 'noisy' }).obj();
    // raw: n1 10, n2 10, n3 -5, bare 0 → min -5, max 10
    assert.deepEqual(scoreResults({ plugin: new InterPodAffinity(testHandle(cache, { namespaces })) }, pod, cache), { n1: 100, n2: 100, n3: 0, bare: 33 });
  });

  it("existing pods' preferred and required affinity terms attract matching pods", () => {
    const cache = testCache(nodes.map((n) => n.obj()), [makePod('a').preferredAffinity(8, HOST, { app: 'web' }).node('n2').obj(), makePod('b').podAffinity(ZONE, { app: 'web' }).node('n3').obj()]);
    const pod = makePod('web').labels({ app: 'web' }).obj();
    // raw: n2 8, n3 1 (hard weight), others 0
    assert.deepEqual(scoreResults({ plugin: new InterPodAffinity(testHandle(cache, { namespaces })) }, pod, cache), { n1: 0, n2: 100, n3: 12, bare: 0 });
  });

  it('scores nothing when no term applies', () => {
    const cache = testCache(nodes.map((n) => n.obj()));
    assert.deepEqual(scoreResults({ plugin: new InterPodAffinity(testHandle(cache, { namespaces })) }, makePod().obj(), cache), { n1: 0, n2: 0, n3: 0, bare: 0 });
  });
});
