import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPrinter, rfc3339 } from './default.ts';
import { now } from './test-fixtures.ts';

test('the default table has Name and Created At', () => {
  assert.deepEqual(defaultPrinter.columns.map(({ name, type, format, priority }) => ({ name, type, format, priority })), [
    { name: 'Name', type: 'string', format: 'name', priority: 0 },
    { name: 'Created At', type: 'date', format: '', priority: 0 },
  ]);
});

test('Created At is RFC 3339 in UTC, to the second', () => {
  const cases: [unknown, string][] = [
    ['2026-11-22T03:01:52Z', '2026-11-22T03:01:52Z'],
    ['2026-11-22T04:01:52+01:00', '2026-11-22T03:01:52Z'],
    ['2026-11-22T03:01:52.987654Z', '2026-11-22T03:01:52Z'],
    [undefined, '0001-01-01T00:00:00Z'],
    [null, '0001-01-01T00:00:00Z'],
  ];
  for (const [input, want] of cases) assert.equal(rfc3339(input), want, String(input));
  assert.deepEqual(defaultPrinter.cells({ metadata: { name: 'limits', creationTimestamp: '2026-11-22T03:01:52Z' } }, now), [
    'limits',
    '2026-11-22T03:01:52Z',
  ]);
});
