import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keyElement, pathToString, type FieldPath } from './field-path.ts';
import { FieldSet } from './field-set.ts';

/** `.a.b` style shorthand for field-only paths. */
const p = (s: string): FieldPath => s.split('.').filter(Boolean).map((field) => ({ field }));
const set = (...paths: string[]) => FieldSet.of(...paths.map(p));
const strings = (s: FieldSet) => s.paths().map(pathToString);

describe('FieldSet', () => {
  it('holds a node and its children separately', () => {
    const s = set('.spec', '.spec.replicas');
    assert.ok(s.has(p('.spec')));
    assert.ok(s.has(p('.spec.replicas')));
    assert.ok(!set('.spec.replicas').has(p('.spec')), 'ancestors are not members');
    assert.deepEqual(strings(s), ['.spec', '.spec.replicas']);
  });

  const ops: { name: string; a: string[]; b: string[]; op: 'union' | 'intersection' | 'difference' | 'recursiveDifference'; want: string[] }[] = [
    { name: 'union', a: ['.a', '.b.c'], b: ['.b.d', '.e'], op: 'union', want: ['.a', '.e', '.b.c', '.b.d'] },
    { name: 'intersection', a: ['.a', '.b.c', '.b.d'], b: ['.b.d', '.a.x'], op: 'intersection', want: ['.b.d'] },
    { name: 'difference keeps children of removed members', a: ['.b', '.b.c'], b: ['.b'], op: 'difference', want: ['.b.c'] },
    { name: 'difference removes exact paths', a: ['.b.c', '.b.d'], b: ['.b.c'], op: 'difference', want: ['.b.d'] },
    { name: 'recursiveDifference removes everything below a member', a: ['.b', '.b.c', '.x'], b: ['.b'], op: 'recursiveDifference', want: ['.x'] },
    { name: 'recursiveDifference with nested members', a: ['.s.a.b', '.s.c'], b: ['.s.a'], op: 'recursiveDifference', want: ['.s.c'] },
  ];
  for (const c of ops) {
    it(c.name, () => {
      assert.deepEqual(strings(set(...c.a)[c.op](set(...c.b))), c.want);
    });
  }

  it('compares by content', () => {
    assert.ok(set('.a', '.b.c').equals(set('.b.c', '.a')));
    assert.ok(!set('.a').equals(set('.a', '.b')));
    assert.ok(set().empty());
    assert.ok(set('.a').difference(set('.a')).empty());
    assert.equal(set('.a', '.b.c', '.b.d').size(), 3);
  });

  it('keys list items and finds subsets', () => {
    const web = keyElement([['name', 'web']]);
    const s = FieldSet.of([{ field: 'containers' }, web, { field: 'image' }]);
    assert.ok(s.withPrefix({ field: 'containers' }).withPrefix(web).has([{ field: 'image' }]));
    assert.ok(s.withPrefix({ field: 'other' }).empty());
  });
});
