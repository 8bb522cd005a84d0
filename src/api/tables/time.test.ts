import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, humanDuration, since, timestampMs } from './time.ts';
import { ago, now } from './test-fixtures.ts';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test('humanDuration matches apimachinery HumanDuration at every boundary', () => {
  const cases: [number, string][] = [
    [-2 * s - 1, '<invalid>'],
    [-2 * s, '<invalid>'],
    [-1999, '0s'], // truncates to -1s: tolerated clock skew
    [-1 * s, '0s'],
    [-999, '0s'],
    [0, '0s'],
    [999, '0s'],
    [45 * s, '45s'],
    [119 * s + 999, '119s'],
    [2 * m, '2m'],
    [3 * m + 20 * s, '3m20s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m, '10m'],
    [10 * m + 30 * s, '10m'],
    [47 * m, '47m'],
    [3 * h - 1, '179m'],
    [3 * h, '3h'],
    [5 * h + 10 * m, '5h10m'],
    [8 * h - 1, '7h59m'],
    [8 * h, '8h'],
    [20 * h, '20h'],
    [48 * h - 1, '47h'],
    [48 * h, '2d'],
    [3 * d + 4 * h, '3d4h'],
    [8 * d - 1, '7d23h'],
    [8 * d, '8d'],
    [120 * d, '120d'],
    [730 * d - 1, '729d'],
    [730 * d, '2y'],
    [730 * d + 10 * d, '2y10d'],
    [8 * 365 * d - 1, '7y364d'],
    [8 * 365 * d, '8y'],
    [9 * 365 * d + 100 * d, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `humanDuration(${ms})`);
});

test('timestamps that are not set read as <unknown>', () => {
  for (const value of [undefined, null, '', 'not a time', '0001-01-01T00:00:00Z']) {
    assert.equal(timestampMs(value), undefined, String(value));
    assert.equal(since(value, now), '<unknown>', String(value));
  }
});

test('since and age measure back from now, including MicroTime precision', () => {
  assert.equal(since(ago(90), now), '90s');
  assert.equal(since('2026-11-22T03:09:59.500000Z', now), '0s');
  assert.equal(age({ metadata: { creationTimestamp: ago(3 * 3600 + 600) } }, now), '3h10m');
  assert.equal(age({ metadata: {} }, now), '<unknown>');
});
