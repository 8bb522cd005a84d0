import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  comparePathElements,
  FieldPathError,
  keyElement,
  parsePathElement,
  pathToString,
  serializePathElement,
  type PathElement,
} from './field-path.ts';

describe('field paths', () => {
  const elements: { pe: PathElement; text: string; key: string }[] = [
    { pe: { field: 'spec' }, text: '.spec', key: 'f:spec' },
    { pe: keyElement([['name', 'web']]), text: '[name="web"]', key: 'k:{"name":"web"}' },
    {
      pe: keyElement([
        ['protocol', 'TCP'],
        ['containerPort', 80],
      ]),
      text: '[containerPort=80,protocol="TCP"]',
      key: 'k:{"containerPort":80,"protocol":"TCP"}',
    },
    { pe: { value: 'foregroundDeletion' }, text: '[="foregroundDeletion"]', key: 'v:"foregroundDeletion"' },
    { pe: { value: 5 }, text: '[=5]', key: 'v:5' },
    { pe: { index: 3 }, text: '[3]', key: 'i:3' },
    { pe: { field: 'a.b/c' }, text: '.a.b/c', key: 'f:a.b/c' },
    { pe: keyElement([['name', '<&>']]), text: '[name="<&>"]', key: 'k:{"name":"\\u003c\\u0026\\u003e"}' },
  ];
  for (const { pe, text, key } of elements) {
    it(`${text} serializes as ${key} and back`, () => {
      assert.equal(pathToString([pe]), text);
      assert.equal(serializePathElement(pe), key);
      assert.equal(comparePathElements(parsePathElement(key)!, pe), 0);
    });
  }

  it('prints a conflict path the way upstream does', () => {
    const path: PathElement[] = [{ field: 'spec' }, { field: 'template' }, { field: 'spec' }, { field: 'containers' }, keyElement([['name', 'web']]), { field: 'image' }];
    assert.equal(pathToString(path), '.spec.template.spec.containers[name="web"].image');
  });

  it('orders fields before keys, values and indices', () => {
    const sorted: PathElement[] = [
      { field: 'a' },
      { field: 'b' },
      keyElement([['name', 'a']]),
      keyElement([['name', 'b']]),
      keyElement([['port', 1]]),
      { value: 1 },
      { value: 'a' },
      { value: true },
      { value: null },
      { index: 0 },
      { index: 2 },
    ];
    const shuffled = [...sorted].reverse();
    shuffled.sort(comparePathElements);
    assert.deepEqual(shuffled.map((pe) => pathToString([pe])), sorted.map((pe) => pathToString([pe])));
  });

  it('skips unknown element kinds and rejects malformed keys', () => {
    assert.equal(parsePathElement('x:whatever'), undefined);
    for (const bad of ['f', 'fx', 'k:{', 'i:x', 'k:[1]']) {
      assert.throws(() => parsePathElement(bad), FieldPathError, bad);
    }
  });
});
