import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspectCertificate } from './cert-info.ts';
import { isPkiError } from './errors.ts';
import { OID } from './oids.ts';

let tmp = '';
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'bramble-certinfo-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('reads a certificate made by OpenSSL, not by us', () => {
  const cert = path.join(tmp, 'c.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(tmp, 'k.pem'), '-out', cert, '-days', '40',
    '-subj', '/O=team-a/O=team-b/CN=openssl made',
    '-addext', 'subjectAltName=DNS:a.example,IP:192.0.2.1,IP:2001:db8::1,email:x@example.com',
    '-addext', 'extendedKeyUsage=clientAuth',
  ], { stdio: 'pipe' });
  const pem = readFileSync(cert, 'utf8');
  const info = inspectCertificate(pem);
  const x = new X509Certificate(pem);
  assert.equal(info.version, 3);
  assert.equal(info.serial, BigInt('0x' + x.serialNumber));
  assert.deepEqual(info.subject, { commonName: 'openssl made', organizations: ['team-a', 'team-b'] });
  assert.ok(info.issuerRaw.equals(info.subjectRaw));
  assert.deepEqual(info.dnsNames, ['a.example']);
  assert.deepEqual(info.ipAddresses, ['192.0.2.1', '2001:db8::1']);
  assert.deepEqual(info.extKeyUsage, [OID.clientAuth]);
  assert.equal(info.basicConstraints?.ca, true); // openssl req -x509 marks its output as a CA
  assert.ok(info.subjectKeyId && info.authorityKeyId && info.subjectKeyId.equals(info.authorityKeyId));
  assert.equal(info.notAfter.getTime(), x.validToDate.getTime());
  assert.equal(info.notBefore.getTime(), x.validFromDate.getTime());
  assert.equal(info.signatureAlgorithm, '1.2.840.113549.1.1.11');
  assert.ok(x.publicKey.export({ type: 'spki', format: 'der' }).equals(info.spki));
});

test('garbage is a MALFORMED fault', () => {
  assert.throws(() => inspectCertificate('not a certificate'), (e) => isPkiError(e, 'MALFORMED'));
  assert.throws(() => inspectCertificate(Buffer.from('3003020101', 'hex')), (e) => isPkiError(e, 'MALFORMED'));
  assert.throws(() => inspectCertificate('-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n'), (e) => isPkiError(e, 'MALFORMED'));
});
