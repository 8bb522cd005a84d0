import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Quantity, QUANTITY_ERRORS, canonicalQuantity, mustParseQuantity, parseQuantity } from './quantity.ts';

// Canonical forms as upstream apimachinery prints them (resource.MustParse(x).String()).
const canonical: Array<[string | number, string]> = [
  ['0', '0'],
  ['100m', '100m'],
  ['1500m', '1500m'],
  ['0.5', '500m'],
  ['0.1', '100m'],
  ['1.5', '1500m'],
  ['1000m', '1'],
  ['1000', '1k'],
  ['1k', '1k'],
  ['2e3', '2e3'],
  ['1E3', '1E3'],
  ['12e6', '12e6'],
  ['1024Mi', '1Gi'],
  ['512Mi', '512Mi'],
  ['1Gi', '1Gi'],
  ['1.5Gi', '1536Mi'],
  ['8Ki', '8Ki'],
  ['1024Ki', '1Mi'],
  ['0.5Ki', '512'],
  ['128974848', '128974848'],
  ['129e6', '129e6'],
  ['129M', '129M'],
  ['123Mi', '123Mi'],
  ['0.0001', '100u'],
  ['1.5n', '2n'],
  ['0.1m', '100u'],
  ['-1', '-1'],
  ['-100m', '-100m'],
  ['-1.5Gi', '-1536Mi'],
  ['000', '0'],
  ['  250m ', '250m'],
  [1, '1'],
  [0.25, '250m'],
  [2048, '2048'],
];

for (const [input, want] of canonical) {
  test(`canonical form of ${JSON.stringify(input)} is ${want}`, () => {
    assert.equal(mustParseQuantity(input).toString(), want);
  });
}

const invalid: Array<[string, string]> = [
  ['1.5.5Gi', QUANTITY_ERRORS.format],
  ['', QUANTITY_ERRORS.format],
  ['abc', QUANTITY_ERRORS.format],
  ['1 Gi', QUANTITY_ERRORS.format],
  ['1K', QUANTITY_ERRORS.suffix],
  ['1Gb', QUANTITY_ERRORS.format],
  ['1e', QUANTITY_ERRORS.suffix],
];

for (const [input, message] of invalid) {
  test(`${JSON.stringify(input)} is not a quantity`, () => {
    assert.deepEqual(parseQuantity(input), { ok: false, message });
  });
}

test('the format error quotes the upstream regular expression', () => {
  assert.equal(
    QUANTITY_ERRORS.format,
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  );
});

test('value and milliValue round away from zero', () => {
  const cases: Array<[string, number, number]> = [
    ['100m', 1, 100],
    ['1', 1, 1000],
    ['1.5', 2, 1500],
    ['2Gi', 2147483648, 2147483648000],
    ['1n', 1, 1],
    ['-1.5', -2, -1500],
  ];
  for (const [s, value, milli] of cases) {
    const q = mustParseQuantity(s);
    assert.equal(q.value(), value, `${s}.value()`);
    assert.equal(q.milliValue(), milli, `${s}.milliValue()`);
  }
});

test('compare across suffix styles', () => {
  assert.equal(mustParseQuantity('1Gi').cmp(mustParseQuantity('1G')), 1);
  assert.equal(mustParseQuantity('1000m').cmp(mustParseQuantity('1')), 0);
  assert.equal(mustParseQuantity('500m').cmp(mustParseQuantity('0.6')), -1);
  assert.ok(mustParseQuantity('1e3').equals(mustParseQuantity('1k')));
});

test('add and subtract keep the receiver format unless it is zero', () => {
  const sum = mustParseQuantity('1Gi').add(mustParseQuantity('512Mi'));
  assert.equal(sum.toString(), '1536Mi');
  assert.equal(mustParseQuantity('1').add(mustParseQuantity('250m')).toString(), '1250m');
  assert.equal(Quantity.of(0).add(mustParseQuantity('1Ki')).format, 'BinarySI');
  assert.equal(mustParseQuantity('1').sub(mustParseQuantity('1500m')).toString(), '-500m');
  assert.equal(Quantity.of(0, 'BinarySI').sub(mustParseQuantity('100m')).toString(), '-100m');
});

test('constructors for whole units and millis', () => {
  assert.equal(Quantity.milli(250).toString(), '250m');
  assert.equal(Quantity.of(3, 'BinarySI').toString(), '3');
  assert.equal(Quantity.of(2048, 'BinarySI').toString(), '2Ki');
  assert.equal(Quantity.of(5000).toString(), '5k');
});

test('roundUp to millis, as resource lists are defaulted', () => {
  assert.equal(mustParseQuantity('0.1m').roundUp(-3).quantity.toString(), '1m');
  assert.deepEqual(mustParseQuantity('1.0001m').roundUp(-3).exact, false);
  const kept = mustParseQuantity('100m').roundUp(-3);
  assert.equal(kept.exact, true);
  assert.equal(kept.quantity.toString(), '100m');
});

test('canonicalQuantity maps JSON values and rejects non-quantities', () => {
  assert.equal(canonicalQuantity('0.5'), '500m');
  assert.equal(canonicalQuantity(2), '2');
  assert.equal(canonicalQuantity('10u', { milli: true }), '1m');
  assert.equal(canonicalQuantity('1.5.5Gi'), undefined);
  assert.equal(canonicalQuantity(true), undefined);
});

test('binary quantities above int64 are capped as upstream', () => {
  assert.equal(mustParseQuantity('9000000Pi').toString(), '9223372036854775807');
});

test('JSON serialization uses the canonical form', () => {
  assert.equal(JSON.stringify({ cpu: mustParseQuantity('0.5') }), '{"cpu":"500m"}');
});
