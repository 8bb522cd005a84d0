import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Class, Type, WireError, decode, emptyMessage, encode, ipv6FromBytes, ipv6ToBytes, type Message } from './wire.ts';

function sample(): Message {
  const name = 'web.default.svc.cluster.local.';
  return emptyMessage({
    id: 0x1234,
    qr: true,
    aa: true,
    rd: true,
    ra: true,
    rcode: 3,
    questions: [{ name, type: Type.SRV, class: Class.IN }],
    answers: [
      { name, type: Type.SRV, class: Class.IN, ttl: 5, data: { priority: 0, weight: 100, port: 80, target: name } },
      { name, type: Type.A, class: Class.IN, ttl: 5, data: '10.43.0.7' },
      { name, type: Type.AAAA, class: Class.IN, ttl: 5, data: 'fd00::1' },
      { name: '7.0.43.10.in-addr.arpa.', type: Type.PTR, class: Class.IN, ttl: 5, data: name },
      { name, type: Type.CNAME, class: Class.IN, ttl: 5, data: 'example.com.' },
      { name, type: Type.TXT, class: Class.IN, ttl: 5, data: Buffer.from('\x05hello') },
    ],
    authority: [{ name: 'cluster.local.', type: Type.SOA, class: Class.IN, ttl: 5, data: { mname: 'ns.dns.cluster.local.', rname: 'hostmaster.cluster.local.', serial: 7, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } }],
    edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, options: Buffer.alloc(0) },
  });
}

test('encode then decode gives the same message back', () => {
  const m = sample();
  assert.deepEqual(decode(encode(m)), m);
});

test('names are compressed on output (owner names point at the question)', () => {
  const m = sample();
  const buf = encode(m);
  // The question's name appears once in full; without compression it would appear in every record.
  const full = Buffer.from('\x03web\x07default\x03svc\x07cluster\x05local\x00', 'latin1');
  let count = 0;
  for (let i = buf.indexOf(full); i >= 0; i = buf.indexOf(full, i + 1)) count++;
  // Once for the question, once for the uncompressed SRV target (RFC 2782).
  assert.equal(count, 2);
  // 12 header + 35 question + 49 SRV + 16 A + 28 AAAA + 36 PTR + 25 CNAME + 18 TXT + 54 SOA + 11 OPT,
  // counting every repeated name or suffix as a 2-byte pointer.
  assert.equal(buf.length, 284);
});

test('truncation drops whole records, sets TC and keeps the OPT record', () => {
  const m = emptyMessage({ id: 9, qr: true, questions: [{ name: 'big.default.svc.cluster.local.', type: Type.A, class: Class.IN }] });
  for (let i = 0; i < 100; i++) m.answers.push({ name: 'big.default.svc.cluster.local.', type: Type.A, class: Class.IN, ttl: 5, data: `10.42.0.${i}` });
  const plain = decode(encode(m, 512));
  assert.equal(plain.tc, true);
  assert.ok(plain.answers.length > 0 && plain.answers.length < 100);
  assert.ok(encode(m, 512).length <= 512);
  m.edns = { udpSize: 512, extendedRcode: 0, version: 0, dnssecOk: false, options: Buffer.alloc(0) };
  const withOpt = encode(m, 512);
  assert.ok(withOpt.length <= 512);
  assert.equal(decode(withOpt).edns?.udpSize, 512);
  const all = decode(encode(m, 4096));
  assert.equal(all.tc, false);
  assert.equal(all.answers.length, 100);
});

test('hostile input is refused, not looped on', () => {
  const header = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  // A name that points at itself.
  assert.throws(() => decode(Buffer.concat([header, Buffer.from([0xc0, 12, 0, 1, 0, 1])])), WireError);
  // A label running past the end.
  assert.throws(() => decode(Buffer.concat([header, Buffer.from([10, 0x61])])), WireError);
  assert.throws(() => decode(Buffer.from([0, 1, 0])), WireError);
});

test('labels with dots and odd bytes survive a round trip escaped', () => {
  const m = emptyMessage({ questions: [{ name: 'a\\.b.\\000x.example.', type: Type.A, class: Class.IN }] });
  const back = decode(encode(m));
  assert.equal(back.questions[0]!.name, 'a\\.b.\\000x.example.');
});

test('IPv6 text and bytes', () => {
  for (const [text, canon] of [
    ['fd00::1', 'fd00::1'],
    ['::', '::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ] as const) {
    assert.equal(ipv6FromBytes(ipv6ToBytes(text)), canon, text);
  }
});
