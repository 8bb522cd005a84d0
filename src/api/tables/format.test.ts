import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerCells, intOrString, joinHostPort, listWithMore, printBool, quantity } from './format.ts';

test('containerCells joins names and images in order', () => {
  assert.deepEqual(containerCells([{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:2' }]), ['a,b', 'x:1,y:2']);
  assert.deepEqual(containerCells(undefined), ['', '']);
});

test('listWithMore', () => {
  assert.equal(listWithMore([]), '<unset>');
  assert.equal(listWithMore(['a', 'b', 'c']), 'a,b,c');
  assert.equal(listWithMore(['a', 'b', 'c', 'd']), 'a,b,c + 1 more...');
});

test('scalars', () => {
  assert.equal(joinHostPort('10.0.0.1', 80), '10.0.0.1:80');
  assert.equal(joinHostPort('fd00::1', 80), '[fd00::1]:80');
  assert.equal(intOrString(3), '3');
  assert.equal(intOrString('50%'), '50%');
  assert.equal(printBool(true), 'True');
  assert.equal(printBool(false), 'False');
});

test('quantities print canonically', () => {
  const cases: [unknown, string][] = [
    ['10Gi', '10Gi'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['0.5', '500m'],
    ['1000', '1k'],
    [2, '2'],
    ['0.5Ki', '512'],
    [undefined, '0'],
    ['lots', 'lots'],
  ];
  for (const [input, want] of cases) assert.equal(quantity(input), want, String(input));
});
