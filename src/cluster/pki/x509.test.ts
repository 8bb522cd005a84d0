import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspectCertificate } from './cert-info.ts';
import { isPkiError } from './errors.ts';
import { KeyUsageBit, OID } from './oids.ts';
import { CLOCK_SKEW_MS, createCA, generateKeyPair, issueCertificate, type CertKeyPair } from './x509.ts';

let tmp = '';
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'bramble-x509-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function openssl(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

function file(name: string, text: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
}

/** `openssl verify` of `leaf` against `ca`, optionally for a TLS purpose. */
function verify(ca: string, leaf: string, purpose?: string): { status: number | null; out: string } {
  const caFile = file(`ca-${Math.random()}.pem`, ca);
  return openssl(['verify', '-CAfile', caFile, ...(purpose ? ['-purpose', purpose] : [])], leaf);
}

const DAY = 86_400_000;
const ca: CertKeyPair = createCA({ commonName: 'test-ca', validityDays: 3650 });

test('CA certificate: self-signed v3 with critical CA constraints and a key identifier', () => {
  const x = new X509Certificate(ca.certPem);
  assert.equal(x.ca, true);
  assert.equal(x.subject, 'CN=test-ca');
  assert.ok(x.checkIssued(x) && x.verify(x.publicKey));
  assert.ok(x.checkPrivateKey(createPrivateKey(ca.keyPem)));
  assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8

  const info = inspectCertificate(ca.certPem);
  assert.equal(info.version, 3);
  assert.deepEqual(info.basicConstraints, { ca: true, pathLen: 0 });
  assert.deepEqual(info.keyUsage, [KeyUsageBit.digitalSignature, KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]);
  assert.equal(info.subjectKeyId?.length, 20);
  assert.equal(info.authorityKeyId, undefined);
  const critical = Object.fromEntries(info.extensions.map((e) => [e.oid, e.critical]));
  assert.deepEqual(critical, { [OID.keyUsage]: true, [OID.basicConstraints]: true, [OID.subjectKeyIdentifier]: false });

  const now = Date.now();
  assert.ok(Math.abs(info.notBefore.getTime() - (now - CLOCK_SKEW_MS)) < 5000, 'notBefore backdated for clock skew');
  assert.ok(Math.abs(info.notAfter.getTime() - (now + 3650 * DAY)) < 5000, 'ten years');

  const text = openssl(['x509', '-noout', '-text'], ca.certPem);
  assert.equal(text.status, 0, text.out);
  assert.match(text.out, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(text.out, /Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
  assert.match(text.out, /Subject Key Identifier/);
  assert.match(text.out, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(text.out, /NIST CURVE: P-256/);
});

test('serving certificate: SANs, usages, key identifiers, chain', () => {
  const leaf = issueCertificate(ca, {
    commonName: 'kube-apiserver',
    dnsNames: ['localhost', 'kubernetes.default.svc', 'LOCALHOST'],
    ipAddresses: ['127.0.0.1', '0:0:0:0:0:0:0:1', '10.0.0.5'],
    usage: 'server',
    validityDays: 365,
  });
  const x = new X509Certificate(leaf.certPem);
  const caX = new X509Certificate(ca.certPem);
  assert.equal(x.ca, false);
  assert.ok(x.checkIssued(caX) && x.verify(caX.publicKey));
  assert.ok(x.checkPrivateKey(createPrivateKey(leaf.keyPem)));
  assert.equal(x.checkHost('kubernetes.default.svc'), 'kubernetes.default.svc');
  assert.equal(x.checkIP('::1'), '::1');
  assert.equal(x.checkIP('10.0.0.5'), '10.0.0.5');
  assert.equal(x.checkHost('example.com'), undefined);

  const info = inspectCertificate(leaf.certPem);
  const caInfo = inspectCertificate(ca.certPem);
  assert.deepEqual(info.dnsNames, ['localhost', 'kubernetes.default.svc'], 'case-insensitive duplicate dropped');
  assert.deepEqual(info.ipAddresses, ['127.0.0.1', '::1', '10.0.0.5']);
  assert.deepEqual(info.extKeyUsage, [OID.serverAuth]);
  assert.deepEqual(info.keyUsage, [KeyUsageBit.digitalSignature]);
  assert.deepEqual(info.basicConstraints, { ca: false });
  assert.deepEqual(info.authorityKeyId, caInfo.subjectKeyId);
  assert.ok(info.issuerRaw.equals(caInfo.subjectRaw));
  assert.equal(info.tbsSignatureAlgorithm, OID.ecdsaWithSHA256);
  assert.equal(info.signatureAlgorithm, OID.ecdsaWithSHA256);
  const oids = info.extensions.map((e) => e.oid);
  assert.equal(new Set(oids).size, oids.length, 'no duplicate extensions (Go rejects them)');
  assert.ok(info.serial > 0n && info.serial < 2n ** 128n);
  assert.ok(Math.abs(info.notAfter.getTime() - (Date.now() + 365 * DAY)) < 5000);

  const text = openssl(['x509', '-noout', '-text'], leaf.certPem);
  assert.match(text.out, /Subject Alternative Name:\s+DNS:localhost, DNS:kubernetes.default.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.0.0.5/);
  assert.match(text.out, /Extended Key Usage:\s+TLS Web Server Authentication\n/);
  assert.match(text.out, /Key Usage: critical\s+Digital Signature\n/);
  assert.match(text.out, /Basic Constraints: critical\s+CA:FALSE/);
  assert.match(text.out, /Authority Key Identifier/);

  assert.equal(verify(ca.certPem, leaf.certPem, 'sslserver').status, 0);
  assert.notEqual(verify(ca.certPem, leaf.certPem, 'sslclient').status, 0, 'a server cert is not a client cert');
  const other = createCA({ commonName: 'test-ca', validityDays: 10 });
  assert.notEqual(verify(other.certPem, leaf.certPem).status, 0, 'same CA name, different key: chain fails');
});

test('client certificate carries CN and O groups; both-way certificate has both usages', () => {
  const admin = issueCertificate(ca, { commonName: 'system:admin', organizations: ['system:masters', 'ops'], usage: 'client', validityDays: 30 });
  assert.equal(new X509Certificate(admin.certPem).subject, 'O=system:masters\nO=ops\nCN=system:admin');
  const info = inspectCertificate(admin.certPem);
  assert.deepEqual(info.subject, { commonName: 'system:admin', organizations: ['system:masters', 'ops'] });
  assert.deepEqual(info.extKeyUsage, [OID.clientAuth]);
  assert.equal(info.extensions.some((e) => e.oid === OID.subjectAltName), false, 'no empty SAN extension');
  assert.equal(verify(ca.certPem, admin.certPem, 'sslclient').status, 0);
  assert.notEqual(verify(ca.certPem, admin.certPem, 'sslserver').status, 0);

  const both = issueCertificate(ca, { commonName: 'etcd', dnsNames: ['etcd'], usage: 'server+client', validityDays: 30 });
  assert.deepEqual(inspectCertificate(both.certPem).extKeyUsage, [OID.serverAuth, OID.clientAuth]);
  assert.equal(verify(ca.certPem, both.certPem, 'sslserver').status, 0);
  assert.equal(verify(ca.certPem, both.certPem, 'sslclient').status, 0);
});

test('serials are random and distinct', () => {
  const serials = new Set<bigint>();
  for (let i = 0; i < 20; i++) serials.add(inspectCertificate(issueCertificate(ca, { commonName: 'n', usage: 'client', validityDays: 1 }).certPem).serial);
  assert.equal(serials.size, 20);
});

test('publicKey: certifies a key the caller holds, returning no private key', () => {
  const agent = generateKeyPair();
  const pem = agent.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  for (const publicKey of [agent.publicKey, pem]) {
    const issued = issueCertificate(ca, { commonName: 'system:node:pi-1', organizations: ['system:nodes'], usage: 'client', validityDays: 365, publicKey });
    assert.deepEqual(Object.keys(issued), ['certPem']);
    assert.ok(new X509Certificate(issued.certPem).checkPrivateKey(agent.privateKey));
  }
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  assert.throws(
    () => issueCertificate(ca, { commonName: 'x', usage: 'client', validityDays: 1, publicKey: rsa.publicKey }),
    (e) => isPkiError(e, 'INVALID_ARGUMENT'),
  );
});

test('a leaf never outlives its CA', () => {
  const shortCA = createCA({ commonName: 'short', validityDays: 10 });
  const leaf = issueCertificate(shortCA, { commonName: 'x', usage: 'server', dnsNames: ['x'], validityDays: 365 });
  assert.equal(inspectCertificate(leaf.certPem).notAfter.getTime(), inspectCertificate(shortCA.certPem).notAfter.getTime());
});

test('bad requests and unusable CAs are coded faults', () => {
  const req = { commonName: 'x', usage: 'server' as const, validityDays: 1 };
  const badRequests: Array<[string, () => unknown]> = [
    ['bad IP', () => issueCertificate(ca, { ...req, ipAddresses: ['10.0.0.256'] })],
    ['DNS name with a space', () => issueCertificate(ca, { ...req, dnsNames: ['a b'] })],
    ['DNS name with a trailing dot', () => issueCertificate(ca, { ...req, dnsNames: ['a.'] })],
    ['non-ASCII DNS name', () => issueCertificate(ca, { ...req, dnsNames: ['bücher.example'] })],
    ['zero validity', () => issueCertificate(ca, { ...req, validityDays: 0 })],
    ['empty CN', () => issueCertificate(ca, { ...req, commonName: ' ' })],
    ['unknown usage', () => issueCertificate(ca, { ...req, usage: 'peer' as never })],
    ['CA with no CN', () => createCA({ commonName: '', validityDays: 1 })],
  ];
  for (const [what, fn] of badRequests) assert.throws(fn, (e) => isPkiError(e, 'INVALID_ARGUMENT'), what);

  const leaf = issueCertificate(ca, { ...req, usage: 'client' });
  const otherKey = generateKeyPair().privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const badCAs: Array<[string, CertKeyPair]> = [
    ['a leaf is not a CA', leaf],
    ['key does not match', { certPem: ca.certPem, keyPem: otherKey }],
    ['garbage', { certPem: 'nope', keyPem: ca.keyPem }],
  ];
  for (const [what, bad] of badCAs) assert.throws(() => issueCertificate(bad, req), (e) => isPkiError(e, 'INVALID_CA'), what);
});
