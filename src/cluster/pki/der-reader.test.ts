import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as der from './der.ts';
import { children, decodeBitString, decodeBoolean, decodeInteger, decodeOid, decodeTime, parseDer } from './der-reader.ts';
import { isPkiError } from './errors.ts';

test('integers round-trip through encoder and reader', () => {
  const values = [0n, 1n, -1n, 127n, 128n, -128n, -129n, 255n, 256n, 2n ** 63n, -(2n ** 63n), 2n ** 160n - 1n];
  for (let i = 0; i < 50; i++) values.push(BigInt('0x' + randomBytes(1 + (i % 20)).toString('hex')) * (i % 2 ? -1n : 1n));
  for (const v of values) assert.equal(decodeInteger(parseDer(der.integer(v))), v, String(v));
});

test('OIDs round-trip, including arcs beyond 2^53', () => {
  for (const o of ['1.2.840.10045.4.3.2', '2.5.29.17', '2.999.3', '0.9.2342.19200300.100.1.25', '2.25.329800735698586629295641978511506172918']) {
    assert.equal(decodeOid(parseDer(der.oid(o))), o);
  }
});

test('times round-trip on both sides of the 2050 switch', () => {
  for (const iso of ['1950-01-01T00:00:00Z', '2026-11-22T03:04:05Z', '2049-12-31T23:59:59Z', '2050-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) {
    assert.equal(decodeTime(parseDer(der.time(new Date(iso)))).toISOString(), new Date(iso).toISOString());
  }
});

test('BOOLEAN, BIT STRING and nested structures decode', () => {
  assert.equal(decodeBoolean(parseDer(der.boolean(true))), true);
  assert.equal(decodeBoolean(parseDer(der.boolean(false))), false);
  const bits = decodeBitString(parseDer(der.namedBits([0, 5, 6])));
  assert.deepEqual([...bits.bytes], [0x86]);
  assert.equal(bits.unusedBits, 1);
  const kids = children(parseDer(der.sequence(der.integer(1), der.sequence(), der.octetString(Buffer.alloc(300)))));
  assert.deepEqual(kids.map((k) => k.tag), [0x02, 0x30, 0x04]);
  assert.equal(kids[2]!.content.length, 300);
});

test('reader rejects encodings DER forbids', () => {
  const bad: Array<[string, string, (b: Buffer) => unknown]> = [
    ['indefinite length', '3080' + '0000', parseDer],
    ['non-minimal long length', '048105' + '0102030405', parseDer],
    ['long form for a short length', '04810101', parseDer],
    ['trailing bytes', '050000', parseDer],
    ['content past the end', '0405010203', parseDer],
    ['non-minimal positive INTEGER', '02020001', (b) => decodeInteger(parseDer(b))],
    ['non-minimal negative INTEGER', '0202ff80', (b) => decodeInteger(parseDer(b))],
    ['BOOLEAN TRUE as 0x01', '010101', (b) => decodeBoolean(parseDer(b))],
    ['BIT STRING with set padding bits', '03020181', (b) => decodeBitString(parseDer(b))],
    ['UTCTime without seconds', '170b323631313232303330345a', (b) => decodeTime(parseDer(b))],
    ['UTCTime on 31 February', '170d3236303233313030303030305a', (b) => decodeTime(parseDer(b))],
    ['OID with a padded arc', '0603808001', (b) => decodeOid(parseDer(b))],
  ];
  for (const [what, hex, fn] of bad) assert.throws(() => fn(Buffer.from(hex, 'hex')), (e) => isPkiError(e, 'MALFORMED'), what);
});
