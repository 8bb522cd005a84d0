import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../client/clock.ts';
import { fromLabelSelector } from '../../api/selectors/label.ts';
import { errors } from '../../api/errors.ts';
import type { Obj } from '../../client/types.ts';
import { claimObjects } from './controller-ref.ts';
import { Expectations, expectationsTimeoutMs } from './expectations.ts';
import { podFromTemplate, podNamePrefix } from './pod-control.ts';
import { podsToDelete } from './rank-pods.ts';
import { slowStartBatch } from './slow-start.ts';
import { PodBuilder } from './testing.ts';

const now = Date.parse('2025-06-01T00:00:00Z');
const pod = (name: string) => new PodBuilder(name).node('n1').phase('Running').ready().created('2025-05-01T00:00:00Z');

test('podsToDelete ranks pods as upstream', () => {
  const cases: { what: string; pods: Obj[]; first: string; related?: Obj[] }[] = [
    { what: 'unassigned before assigned', pods: [pod('a').obj(), new PodBuilder('b').phase('Pending').obj()], first: 'b' },
    { what: 'Pending before Running', pods: [pod('a').obj(), new PodBuilder('b').node('n1').phase('Pending').obj()], first: 'b' },
    { what: 'Unknown before Running', pods: [pod('a').obj(), pod('b').phase('Unknown').obj()], first: 'b' },
    { what: 'not ready before ready', pods: [pod('a').obj(), new PodBuilder('b').node('n1').phase('Running').obj()], first: 'b' },
    { what: 'lower deletion cost first', pods: [pod('a').annotate('controller.kubernetes.io/pod-deletion-cost', '10').obj(), pod('b').obj()], first: 'b' },
    { what: 'doubled-up node first', pods: [pod('a').node('n2').obj(), pod('b').obj()], related: [pod('a').node('n2').obj(), pod('b').obj(), pod('sibling').obj()], first: 'b' },
    { what: 'ready for less time first', pods: [pod('a').ready('2025-01-01T00:00:00Z').obj(), pod('b').ready('2025-05-31T23:00:00Z').obj()], first: 'b' },
    { what: 'more restarts first', pods: [pod('a').obj(), pod('b').restarts(3).obj()], first: 'b' },
    { what: 'newer first', pods: [pod('a').created('2024-01-01T00:00:00Z').obj(), pod('b').created('2025-05-31T00:00:00Z').obj()], first: 'b' },
  ];
  for (const c of cases) {
    const related = c.related ?? c.pods;
    assert.equal(podsToDelete(c.pods, related, 1, now)[0]!['metadata'].name, c.first, c.what);
    assert.equal(podsToDelete([...c.pods].reverse(), related, 1, now)[0]!['metadata'].name, c.first, `${c.what} (reversed input)`);
  }
});

test('podsToDelete: equally old pods (same log2 age bucket) fall back to uid order', () => {
  const a = pod('b-uid').created('2025-05-31T00:00:00Z').obj();
  const b = pod('a-uid').created('2025-05-31T00:00:01Z').obj();
  assert.equal(podsToDelete([a, b], [a, b], 1, now)[0]!['metadata'].uid, 'a-uid');
});

test('slowStartBatch: batches of 1, 2, 4 …, stopping after a failing batch', async () => {
  const sizes: number[] = [];
  let inFlight = 0;
  let calls = 0;
  const r = await slowStartBatch(10, 1, async () => {
    inFlight++;
    calls++;
    await Promise.resolve();
    sizes.push(inFlight);
    inFlight--;
  });
  assert.equal(r.successes, 10);
  assert.equal(calls, 10);
  let n = 0;
  const failing = await slowStartBatch(10, 1, async () => {
    if (++n > 2) throw new Error('quota');
  });
  assert.deepEqual([failing.successes, n, (failing.error as Error).message], [2, 3, 'quota'], 'batch 1 succeeds, batch 2 has a failure, the rest are never attempted');
});

test('expectations: satisfied once observed, or after the timeout', () => {
  const clock = new FakeClock(0);
  const e = new Expectations(clock);
  assert.ok(e.satisfied('ns/a'));
  e.expectCreations('ns/a', 2);
  assert.ok(!e.satisfied('ns/a'));
  e.creationObserved('ns/a');
  assert.ok(!e.satisfied('ns/a'));
  e.creationObserved('ns/a');
  assert.ok(e.satisfied('ns/a'));
  e.expectDeletions('ns/a', ['ns/p1', 'ns/p2']);
  e.deletionObserved('ns/a', 'ns/p1');
  e.deletionObserved('ns/a', 'ns/p1');
  e.deletionObserved('ns/a', 'ns/other');
  assert.deepEqual(e.pending('ns/a'), { add: 0, del: 1 }, 'each pod counts once; others not at all');
  clock.advance(expectationsTimeoutMs + 1);
  assert.ok(e.satisfied('ns/a'), 'expired');
});

test('podFromTemplate copies labels, annotations and spec, with a generated name and the controller reference', () => {
  const template = { metadata: { labels: { app: 'web' }, annotations: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
  const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', controller: true, blockOwnerDeletion: true };
  const p = podFromTemplate(template, { metadata: { name: 'web-1', namespace: 'ns' } }, ref);
  assert.deepEqual(p['metadata'], { generateName: 'web-1-', namespace: 'ns', labels: { app: 'web' }, annotations: { a: 'b' }, ownerReferences: [ref] });
  assert.deepEqual(p['spec'], template.spec);
  assert.notEqual(p['spec'], template.spec, 'a copy');
  assert.equal(podNamePrefix('a.b'), 'a.b-');
});

test('claimObjects: keeps own, adopts orphans, releases non-matching, ignores others', async () => {
  const owner = { metadata: { name: 'rs', namespace: 'ns', uid: 'me' } };
  const ref = (uid: string) => [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid, controller: true }];
  const objs: Obj[] = [
    { metadata: { name: 'mine', namespace: 'ns', labels: { app: 'a' }, ownerReferences: ref('me') } },
    { metadata: { name: 'orphan', namespace: 'ns', labels: { app: 'a' } } },
    { metadata: { name: 'stray', namespace: 'ns', labels: { app: 'b' }, ownerReferences: ref('me') } },
    { metadata: { name: 'theirs', namespace: 'ns', labels: { app: 'a' }, ownerReferences: ref('other') } },
    { metadata: { name: 'dying-orphan', namespace: 'ns', labels: { app: 'a' }, deletionTimestamp: '2025-01-01T00:00:00Z' } },
    { metadata: { name: 'gone-orphan', namespace: 'ns', labels: { app: 'a' } } },
  ];
  const adopted: string[] = [];
  const released: string[] = [];
  const opts = {
    selector: fromLabelSelector({ matchLabels: { app: 'a' } }),
    adopt: async (o: Obj) => {
      if (o['metadata'].name === 'gone-orphan') throw errors.notFound({ group: '', resource: 'pods' }, 'gone-orphan');
      adopted.push(o['metadata'].name);
    },
    release: async (o: Obj) => void released.push(o['metadata'].name),
    canAdopt: async () => undefined,
  };
  const claimed = await claimObjects(objs, { ...opts, controller: owner });
  assert.deepEqual(claimed.map((o) => o['metadata'].name), ['mine', 'orphan']);
  assert.deepEqual([adopted, released], [['orphan'], ['stray']]);

  adopted.length = released.length = 0;
  const deleting = { metadata: { ...owner.metadata, deletionTimestamp: '2025-01-01T00:00:00Z' } };
  const claimed2 = await claimObjects(objs, { ...opts, controller: deleting });
  assert.deepEqual(claimed2.map((o) => o['metadata'].name), ['mine']);
  assert.deepEqual([adopted, released], [[], []], 'a controller being deleted neither adopts nor releases');

  const refused = claimObjects(objs, { ...opts, controller: owner, canAdopt: async () => Promise.reject(new Error('has just been deleted')) });
  await assert.rejects(refused, /has just been deleted/);
});
