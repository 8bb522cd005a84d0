import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setLogSink } from '../../util/log.ts';
import { inspectCertificate } from './cert-info.ts';
import { isPkiError } from './errors.ts';
import { caCertHash, ensureServerPKI, pkiFilePaths, type PkiFile } from './server-pki.ts';
import { createCA, issueCertificate } from './x509.ts';

const ALL: PkiFile[] = ['server-ca', 'client-ca', 'serving-kube-apiserver', 'client-admin', 'client-kube-apiserver'];
const opts = { dnsNames: [] as string[], ipAddresses: [] as string[] };

let dataDir = '';
let savedUmask = 0;
const logLines: string[] = [];
beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'bramble-pki-'));
  // A permissive umask proves the modes are set explicitly, not inherited.
  savedUmask = process.umask(0);
  logLines.length = 0;
  setLogSink((l) => logLines.push(l));
});
afterEach(() => {
  process.umask(savedUmask);
  setLogSink();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every cert and key file's bytes, by file name. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ALL) {
    const p = pkiFilePaths(dataDir, name);
    out[`${name}.crt`] = readFileSync(p.cert, 'utf8');
    out[`${name}.key`] = readFileSync(p.key, 'utf8');
  }
  return out;
}

function opensslVerify(caPem: string, certPem: string): boolean {
  const caFile = path.join(dataDir, 'verify-ca.pem');
  writeFileSync(caFile, caPem);
  return spawnSync('openssl', ['verify', '-CAfile', caFile], { input: certPem }).status === 0;
}

test('first start creates the k3s-style layout with private modes', async () => {
  const pki = await ensureServerPKI(dataDir, { dnsNames: ['pi.local', '192.168.1.10'], ipAddresses: ['10.43.0.1'] });
  assert.deepEqual(pki.changed, ALL);
  assert.equal(pki.dir, path.join(dataDir, 'server', 'tls'));
  assert.deepEqual(readdirSync(pki.dir).sort(), ALL.flatMap((n) => [`${n}.crt`, `${n}.key`]).sort(), 'no temp files left');
  assert.equal(statSync(pki.dir).mode & 0o777, 0o700);
  assert.equal(statSync(path.join(dataDir, 'server')).mode & 0o777, 0o700);
  for (const name of ALL) {
    const p = pkiFilePaths(dataDir, name);
    assert.equal(statSync(p.cert).mode & 0o777, 0o600, p.cert);
    assert.equal(statSync(p.key).mode & 0o777, 0o600, p.key);
  }
  assert.equal(snapshot()['server-ca.crt'], pki.serverCA.certPem);

  const serving = inspectCertificate(pki.serving.certPem);
  assert.equal(serving.subject.commonName, 'kube-apiserver');
  assert.deepEqual(serving.dnsNames, [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    'pi.local',
  ]);
  assert.deepEqual(serving.ipAddresses, ['127.0.0.1', '::1', '10.43.0.1', '192.168.1.10'], 'an IP given as a DNS name became an IP SAN');

  const admin = new X509Certificate(pki.admin.certPem);
  assert.equal(admin.subject, 'O=system:masters\nCN=system:admin');

  assert.ok(opensslVerify(pki.serverCA.certPem, pki.serving.certPem));
  assert.ok(opensslVerify(pki.clientCA.certPem, pki.admin.certPem));
  assert.ok(!opensslVerify(pki.serverCA.certPem, pki.admin.certPem), 'client certs do not chain to the server CA');
  assert.ok(!opensslVerify(pki.clientCA.certPem, pki.serving.certPem), 'serving certs do not chain to the client CA');

  const caDays = (inspectCertificate(pki.serverCA.certPem).notAfter.getTime() - Date.now()) / 86_400_000;
  const leafDays = (serving.notAfter.getTime() - Date.now()) / 86_400_000;
  assert.ok(Math.abs(caDays - 3650) < 1 && Math.abs(leafDays - 365) < 1, `${caDays} ${leafDays}`);
});

test('second start reuses every byte', async () => {
  const first = await ensureServerPKI(dataDir, opts);
  const before = snapshot();
  const second = await ensureServerPKI(dataDir, opts);
  assert.deepEqual(second.changed, []);
  assert.deepEqual(snapshot(), before);
  assert.deepEqual(second, { ...first, changed: [] });
});

test('a new SAN re-issues only the serving certificate, from the same CA', async () => {
  await ensureServerPKI(dataDir, opts);
  const before = snapshot();
  const pki = await ensureServerPKI(dataDir, { dnsNames: ['bramble.example'], ipAddresses: ['fd00::10'] });
  assert.deepEqual(pki.changed, ['serving-kube-apiserver']);
  const after = snapshot();
  for (const f of ['server-ca.crt', 'server-ca.key', 'client-ca.crt', 'client-ca.key', 'client-admin.crt', 'client-admin.key']) {
    assert.equal(after[f], before[f], f);
  }
  assert.notEqual(after['serving-kube-apiserver.crt'], before['serving-kube-apiserver.crt']);
  const x = new X509Certificate(pki.serving.certPem);
  assert.equal(x.checkHost('bramble.example'), 'bramble.example');
  assert.equal(x.checkIP('fd00::10'), 'fd00::10');
  assert.ok(opensslVerify(before['server-ca.crt']!, pki.serving.certPem));
  assert.ok(logLines.some((l) => l.includes('re-issued certificate') && l.includes('missing SAN bramble.example, fd00::10')), logLines.join('\n'));

  // The same names again, spelt differently, are already present.
  const again = await ensureServerPKI(dataDir, { dnsNames: ['BRAMBLE.example'], ipAddresses: ['fd00:0::10'] });
  assert.deepEqual(again.changed, []);
});

test('leaves close to expiry are renewed; CAs are kept', async () => {
  const first = await ensureServerPKI(dataDir, opts);
  // Valid, from the right CA, with the right names: only the expiry is wrong.
  const serving = issueCertificate(first.serverCA, { commonName: 'kube-apiserver', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 30 });
  const admin = issueCertificate(first.clientCA, { commonName: 'system:admin', organizations: ['system:masters'], usage: 'client', validityDays: 30 });
  for (const [name, pair] of [['serving-kube-apiserver', serving], ['client-admin', admin]] as const) {
    writeFileSync(pkiFilePaths(dataDir, name).cert, pair.certPem);
    writeFileSync(pkiFilePaths(dataDir, name).key, pair.keyPem);
  }
  const pki = await ensureServerPKI(dataDir, opts);
  assert.deepEqual(pki.changed, ['serving-kube-apiserver', 'client-admin']);
  assert.equal(pki.serverCA.certPem, first.serverCA.certPem);
  assert.equal(pki.clientCA.certPem, first.clientCA.certPem);
  const days = (inspectCertificate(pki.admin.certPem).notAfter.getTime() - Date.now()) / 86_400_000;
  assert.ok(days > 360, String(days));
});

test('damaged leaves are repaired: mismatched key, wrong subject, foreign issuer', async () => {
  const first = await ensureServerPKI(dataDir, opts);
  const stray = issueCertificate(first.serverCA, { commonName: 'x', usage: 'server', validityDays: 365 });
  writeFileSync(pkiFilePaths(dataDir, 'serving-kube-apiserver').key, stray.keyPem);
  const otherCA = createCA({ commonName: 'other', validityDays: 365 });
  const foreign = issueCertificate(otherCA, { commonName: 'system:admin', organizations: ['system:masters'], usage: 'client', validityDays: 365 });
  writeFileSync(pkiFilePaths(dataDir, 'client-admin').cert, foreign.certPem);
  writeFileSync(pkiFilePaths(dataDir, 'client-admin').key, foreign.keyPem);
  const pki = await ensureServerPKI(dataDir, opts);
  assert.deepEqual(pki.changed, ['serving-kube-apiserver', 'client-admin']);
  assert.ok(new X509Certificate(pki.serving.certPem).checkPrivateKey(createPrivateKey(pki.serving.keyPem)));
  assert.ok(opensslVerify(first.clientCA.certPem, pki.admin.certPem));

  const wrongSubject = issueCertificate(first.clientCA, { commonName: 'someone', usage: 'client', validityDays: 365 });
  writeFileSync(pkiFilePaths(dataDir, 'client-admin').cert, wrongSubject.certPem);
  writeFileSync(pkiFilePaths(dataDir, 'client-admin').key, wrongSubject.keyPem);
  assert.deepEqual((await ensureServerPKI(dataDir, opts)).changed, ['client-admin']);
});

test('loosened file modes are tightened without re-issuing', async () => {
  await ensureServerPKI(dataDir, opts);
  const before = snapshot();
  const key = pkiFilePaths(dataDir, 'client-ca').key;
  chmodSync(key, 0o644);
  chmodSync(path.join(dataDir, 'server', 'tls'), 0o755);
  const pki = await ensureServerPKI(dataDir, opts);
  assert.deepEqual(pki.changed, []);
  assert.deepEqual(snapshot(), before);
  assert.equal(statSync(key).mode & 0o777, 0o600);
  assert.equal(statSync(pki.dir).mode & 0o777, 0o700);
});

test('a CA certificate without its key is a fault, never silently replaced', async () => {
  await ensureServerPKI(dataDir, opts);
  const ca = pkiFilePaths(dataDir, 'server-ca');
  const certBefore = readFileSync(ca.cert, 'utf8');
  unlinkSync(ca.key);
  await assert.rejects(ensureServerPKI(dataDir, opts), (e) => isPkiError(e, 'CA_KEY_MISSING'));
  assert.equal(readFileSync(ca.cert, 'utf8'), certBefore);
});

test('a corrupt CA is a fault', async () => {
  await ensureServerPKI(dataDir, opts);
  writeFileSync(pkiFilePaths(dataDir, 'client-ca').cert, 'garbage');
  await assert.rejects(ensureServerPKI(dataDir, opts), (e) => isPkiError(e, 'INVALID_CA'));
});

test('removing both CA files starts a new CA and re-issues what it signed', async () => {
  const first = await ensureServerPKI(dataDir, opts);
  const ca = pkiFilePaths(dataDir, 'server-ca');
  unlinkSync(ca.cert);
  unlinkSync(ca.key);
  const pki = await ensureServerPKI(dataDir, opts);
  assert.deepEqual(pki.changed, ['server-ca', 'serving-kube-apiserver']);
  assert.notEqual(pki.serverCA.certPem, first.serverCA.certPem);
  assert.ok(opensslVerify(pki.serverCA.certPem, pki.serving.certPem));
});

test('invalid SANs are refused before anything is written', async () => {
  const fresh = path.join(dataDir, 'fresh');
  await assert.rejects(ensureServerPKI(fresh, { dnsNames: [], ipAddresses: ['not-an-ip'] }), (e) => isPkiError(e, 'INVALID_ARGUMENT'));
  await assert.rejects(ensureServerPKI(fresh, { dnsNames: ['bad name'], ipAddresses: [] }), (e) => isPkiError(e, 'INVALID_ARGUMENT'));
  assert.equal(existsSync(fresh), false);
});

test('caCertHash matches k3s: file bytes for one certificate, root DER for a bundle', async () => {
  const pki = await ensureServerPKI(dataDir, opts);
  const file = pkiFilePaths(dataDir, 'server-ca').cert;
  const fromOpenssl = execFileSync('openssl', ['dgst', '-sha256', '-r', file], { encoding: 'utf8' }).split(' ')[0];
  assert.equal(caCertHash(pki.serverCA.certPem), fromOpenssl);
  assert.equal(caCertHash(readFileSync(file)), fromOpenssl);
  assert.match(caCertHash(pki.serverCA.certPem), /^[0-9a-f]{64}$/);

  // A bundle whose first certificate chains to a root in it hashes as that root's DER (its fingerprint).
  const rootDer = new X509Certificate(pki.serverCA.certPem).raw;
  const bundle = pki.serving.certPem + pki.serverCA.certPem;
  assert.equal(caCertHash(bundle), createHash('sha256').update(rootDer).digest('hex'));
  assert.equal(caCertHash(bundle), new X509Certificate(pki.serverCA.certPem).fingerprint256.replaceAll(':', '').toLowerCase());
  // Unrelated certificates: no chain, so the literal bytes are hashed.
  const unrelated = pki.serverCA.certPem + pki.clientCA.certPem;
  assert.equal(caCertHash(unrelated), createHash('sha256').update(unrelated).digest('hex'));
  assert.throws(() => caCertHash('no certificate here'), (e) => isPkiError(e, 'MALFORMED'));
});
