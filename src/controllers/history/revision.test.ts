import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalJson,
  equalRevision,
  findEqualRevisions,
  fnv32a,
  hashOf,
  matchesTemplate,
  newRevision,
  nextRevision,
  revisionHashLabel,
  revisionName,
  safeEncode,
  sortRevisions,
  templateData,
  templateOf,
} from './revision.ts';

const rev = (name: string, revision: number, data: unknown = { a: 1 }, created = '2024-01-01T00:00:00Z') => ({
  metadata: { name, creationTimestamp: created },
  revision,
  data,
});

describe('revision hashing', () => {
  it('FNV-1a 32 matches the reference vectors', () => {
    const cases: [string, number][] = [
      ['', 0x811c9dc5],
      ['a', 0xe40c292c],
      ['foobar', 0xbf9cf968],
    ];
    for (const [input, want] of cases) assert.equal(fnv32a(new TextEncoder().encode(input)), want, input);
  });

  it('encodes with the vowel-free alphabet, one character per input character', () => {
    assert.equal(safeEncode('0123456789'), '456789bcdf');
    assert.match(hashOf({ x: 1 }), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });

  it('is stable across key order and changes with the collision count', () => {
    assert.equal(hashOf({ a: 1, b: [1, { c: 2, d: 3 }] }), hashOf({ b: [1, { d: 3, c: 2 }], a: 1 }));
    assert.notEqual(hashOf({ a: 1 }), hashOf({ a: 2 }));
    assert.notEqual(hashOf({ a: 1 }, 0), hashOf({ a: 1 }, 1));
    assert.equal(canonicalJson({ b: undefined, a: [undefined] }), '{"a":[null]}');
  });

  it('names revisions <parent>-<hash>, cutting long parents', () => {
    assert.equal(revisionName('web', 'abc'), 'web-abc');
    assert.equal(revisionName('x'.repeat(300), 'h').length, 225);
  });
});

describe('template snapshots', () => {
  const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };

  it('round-trips a template through revision data with a replace directive', () => {
    const data = templateData(template);
    assert.equal(data['spec'].template.$patch, 'replace');
    assert.deepEqual(templateOf({ data }), template);
    assert.ok(matchesTemplate({ data }, structuredClone(template)));
    assert.ok(!matchesTemplate({ data }, { ...template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }));
  });

  it('builds an owned, labelled revision whose name carries the hash', () => {
    const parent = { metadata: { name: 'web', namespace: 'ns', uid: 'u1', annotations: { 'kubernetes.io/change-cause': 'v1' } } };
    const r = newRevision({ parent, apiVersion: 'apps/v1', kind: 'StatefulSet', labels: { app: 'a' }, data: templateData(template), revision: 3 });
    const hash = r['metadata'].labels[revisionHashLabel];
    assert.equal(r['metadata'].name, `web-${hash}`);
    assert.equal(r['metadata'].labels.app, 'a');
    assert.equal(r['metadata'].annotations['kubernetes.io/change-cause'], 'v1');
    assert.deepEqual(r['metadata'].ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
    assert.equal(r['revision'], 3);
  });
});

describe('revision lists', () => {
  it('sorts by number, then creation time, then name', () => {
    const sorted = sortRevisions([rev('c', 2), rev('b', 1, {}, '2024-01-02T00:00:00Z'), rev('a', 1, {}, '2024-01-02T00:00:00Z'), rev('z', 1)]);
    assert.deepEqual(
      sorted.map((r) => r['metadata'].name),
      ['z', 'a', 'b', 'c'],
    );
  });

  it('finds equal revisions and the next number', () => {
    const list = [rev('a', 1, { x: 1 }), rev('b', 4, { x: 2 }), rev('c', 2, { x: 1 })];
    assert.deepEqual(
      findEqualRevisions(list, rev('n', 0, { x: 1 })).map((r) => r['metadata'].name),
      ['a', 'c'],
    );
    assert.equal(nextRevision(list), 5);
    assert.equal(nextRevision([]), 1);
  });

  it('treats differing hash labels as different even with equal data', () => {
    const a = { metadata: { labels: { [revisionHashLabel]: 'x' } }, data: { a: 1 } };
    const b = { metadata: { labels: { [revisionHashLabel]: 'y' } }, data: { a: 1 } };
    assert.ok(!equalRevision(a, b));
    assert.ok(equalRevision(a, { metadata: {}, data: { a: 1 } }));
  });
});
