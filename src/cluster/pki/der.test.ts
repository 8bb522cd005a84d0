import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as der from './der.ts';
import { isPkiError } from './errors.ts';

/**
 * [what, encoding, expected hex, what `openssl asn1parse` prints for it].
 * The hex was worked out from X.690 by hand; the last column is checked
 * against OpenSSL on every run, so the two agree independently of our code.
 */
const vectors: Array<[string, Buffer, string, string]> = [
  ['INTEGER 0', der.integer(0), '020100', 'INTEGER           :00'],
  ['INTEGER 127', der.integer(127), '02017f', 'INTEGER           :7F'],
  ['INTEGER 128 needs a 0x00 pad', der.integer(128), '02020080', 'INTEGER           :80'],
  ['INTEGER 256', der.integer(256), '02020100', 'INTEGER           :0100'],
  ['INTEGER -1', der.integer(-1), '0201ff', 'INTEGER           :-01'],
  ['INTEGER -128', der.integer(-128), '020180', 'INTEGER           :-80'],
  ['INTEGER -129', der.integer(-129n), '0202ff7f', 'INTEGER           :-81'],
  ['INTEGER 2^64', der.integer(2n ** 64n), '0209010000000000000000', 'INTEGER           :010000000000000000'],
  [
    'INTEGER 128-bit serial with the top bit set stays positive',
    der.integer(Buffer.alloc(16, 0xff)),
    '021100' + 'ff'.repeat(16),
    'INTEGER           :' + 'FF'.repeat(16),
  ],
  ['INTEGER from bytes drops leading zeros', der.integer(Buffer.from([0, 0, 1, 2])), '02020102', 'INTEGER           :0102'],
  ['OID ecdsa-with-SHA256', der.oid('1.2.840.10045.4.3.2'), '06082a8648ce3d040302', 'OBJECT            :ecdsa-with-SHA256'],
  ['OID subjectAltName', der.oid('2.5.29.17'), '0603551d11', 'OBJECT            :X509v3 Subject Alternative Name'],
  ['OID 2.999.3 (X.690 8.19.5 example)', der.oid('2.999.3'), '0603883703', 'OBJECT            :2.999.3'],
  ['OID sha256WithRSAEncryption', der.oid('1.2.840.113549.1.1.11'), '06092a864886f70d01010b', 'OBJECT            :sha256WithRSAEncryption'],
  ['UTF8String', der.utf8String('système'), '0c0873797374c3a86d65', 'UTF8STRING        :système'],
  ['PrintableString', der.printableString('US'), '13025553', 'PRINTABLESTRING   :US'],
  ['IA5String', der.ia5String('a.b'), '1603612e62', 'IA5STRING         :a.b'],
  ['BOOLEAN TRUE is 0xff', der.boolean(true), '0101ff', 'BOOLEAN           :255'],
  ['BOOLEAN FALSE', der.boolean(false), '010100', 'BOOLEAN           :0'],
  ['NULL', der.nullValue(), '0500', 'NULL'],
  ['OCTET STRING', der.octetString(Buffer.from([1, 2])), '04020102', 'OCTET STRING      [HEX DUMP]:0102'],
  ['OCTET STRING with long-form length', der.octetString(Buffer.alloc(200, 1)), '0481c8' + '01'.repeat(200), 'OCTET STRING      [HEX DUMP]:' + '01'.repeat(200)],
  ['OCTET STRING with two-byte length', der.octetString(Buffer.alloc(256, 0)), '04820100' + '00'.repeat(256), 'OCTET STRING      [HEX DUMP]:' + '00'.repeat(256)],
  ['BIT STRING', der.bitString(Buffer.from([0xff])), '030200ff', 'BIT STRING'],
  ['keyUsage digitalSignature', der.namedBits([0]), '03020780', 'BIT STRING'],
  ['keyUsage CA bits (0, 5, 6)', der.namedBits([6, 0, 5]), '03020186', 'BIT STRING'],
  ['keyUsage digitalSignature+keyEncipherment', der.namedBits([0, 2]), '030205a0', 'BIT STRING'],
  ['named bit 8 spills into a second byte', der.namedBits([8]), '0303070080', 'BIT STRING'],
  ['no named bits', der.namedBits([]), '030100', 'BIT STRING'],
  ['UTCTime drops milliseconds', der.utcTime(new Date('2026-11-22T03:04:05.678Z')), '170d3236313132323033303430355a', 'UTCTIME           :261122030405Z'],
  ['Time in 2049 is UTCTime', der.time(new Date('2049-12-31T23:59:59.999Z')), '170d3439313233313233353935395a', 'UTCTIME           :491231235959Z'],
  ['Time in 2050 is GeneralizedTime', der.time(new Date('2050-01-01T00:00:00Z')), '180f32303530303130313030303030305a', 'GENERALIZEDTIME   :20500101000000Z'],
  ['Time in 1949 is GeneralizedTime', der.time(new Date('1949-06-01T12:00:00Z')), '180f31393439303630313132303030305a', 'GENERALIZEDTIME   :19490601120000Z'],
  ['Time in 1950 is UTCTime', der.time(new Date('1950-01-01T00:00:00Z')), '170d3530303130313030303030305a', 'UTCTIME           :500101000000Z'],
  ['empty SEQUENCE', der.sequence(), '3000', 'SEQUENCE'],
  ['SET OF sorts its members', der.set(der.integer(2), der.integer(1)), '3106020101020102', 'SET'],
  ['[0] EXPLICIT', der.explicit(0, der.integer(2)), 'a003020102', 'cont [ 0 ]'],
  ['[2] IMPLICIT IA5String (dNSName)', der.implicit(2, der.ia5String('host')), '8204686f7374', 'cont [ 2 ]'],
  ['[7] IMPLICIT OCTET STRING (iPAddress)', der.implicit(7, der.octetString(Buffer.from([127, 0, 0, 1]))), '87047f000001', 'cont [ 7 ]'],
  ['[0] IMPLICIT keeps the constructed bit', der.implicit(0, der.sequence()), 'a000', 'cont [ 0 ]'],
];

/** The first line of `openssl asn1parse` for `bytes`, minus offsets and lengths. */
function opensslFirstLine(bytes: Buffer): string {
  const out = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: bytes, encoding: 'utf8' });
  const first = out.split('\n')[0]!;
  return first.replace(/^.*?(prim|cons):\s*/, '').trimEnd();
}

for (const [what, encoded, hex, openssl] of vectors) {
  test(`DER vector: ${what}`, () => {
    assert.equal(encoded.toString('hex'), hex);
    assert.equal(opensslFirstLine(encoded), openssl);
  });
}

test('a nested structure of every type parses in openssl with the right depths', () => {
  const doc = der.sequence(
    der.integer(5),
    der.set(der.sequence(der.oid('2.5.4.3'), der.utf8String('x'))),
    der.explicit(3, der.sequence(der.boolean(true))),
  );
  const out = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-i'], { input: doc, encoding: 'utf8' });
  const shape = out
    .trim()
    .split('\n')
    .map((l) => l.replace(/^\s*\d+:d=(\d).*?(?:prim|cons):\s*/, '$1 ').replace(/\s+/g, ' ').trim());
  assert.deepEqual(shape, [
    '0 SEQUENCE',
    '1 INTEGER :05',
    '1 SET',
    '2 SEQUENCE',
    '3 OBJECT :commonName',
    '3 UTF8STRING :x',
    '1 cont [ 3 ]',
    '2 SEQUENCE',
    '3 BOOLEAN :255',
  ]);
});

test('encoder refuses values DER cannot hold or Go would reject', () => {
  const bad: Array<[string, () => unknown]> = [
    ['OID with one arc', () => der.oid('1')],
    ['OID first arc 3', () => der.oid('3.1')],
    ['OID second arc 40 under 1', () => der.oid('1.40')],
    ['OID with letters', () => der.oid('1.2.x')],
    ['unsafe number', () => der.integer(2 ** 60)],
    ['PrintableString with underscore', () => der.printableString('a_b')],
    ['IA5String with non-ASCII', () => der.ia5String('é')],
    ['UTF8String with a lone surrogate', () => der.utf8String('\ud800')],
    ['BIT STRING with set padding bits', () => der.bitString(Buffer.from([0x01]), 1)],
    ['BIT STRING with 8 unused bits', () => der.bitString(Buffer.from([0x00]), 8)],
    ['UTCTime in 2050', () => der.utcTime(new Date('2050-01-01T00:00:00Z'))],
    ['invalid date', () => der.time(new Date('nope'))],
    ['context tag 31', () => der.explicit(31, der.nullValue())],
  ];
  for (const [what, fn] of bad) assert.throws(fn, (e) => isPkiError(e, 'INVALID_ARGUMENT'), what);
});
