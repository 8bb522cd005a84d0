import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLabelSelector, formatLabels, selectorString } from './labels.ts';

test('formatLabels sorts keys byte-wise and prints <none> when empty', () => {
  assert.equal(formatLabels({ tier: 'fe', app: 'web', Zed: 'z' }), 'Zed=z,app=web,tier=fe');
  assert.equal(formatLabels({}), '<none>');
  assert.equal(formatLabels(undefined), '<none>');
});

test('selectors: <none> for the Selector column, empty for the Deployment one', () => {
  const cases: [string, any, string, string][] = [
    ['missing', undefined, '<none>', ''],
    ['empty', {}, '<none>', ''],
    ['labels', { matchLabels: { b: '2', a: '1' } }, 'a=1,b=2', 'a=1,b=2'],
    [
      'expressions',
      { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev', 'ci'] }, { key: 'canary', operator: 'DoesNotExist' }, { key: 'app', operator: 'Exists' }] },
      'app,!canary,env notin (ci,dev)',
      'app,!canary,env notin (ci,dev)',
    ],
    ['malformed', { matchExpressions: [{ key: 'a', operator: 'Near' }] }, '<error>', '<invalid>'],
  ];
  for (const [name, sel, formatted, plain] of cases) {
    assert.equal(formatLabelSelector(sel), formatted, name);
    assert.equal(selectorString(sel), plain, name);
  }
});
