/**
 * End to end: the PKI and kubeconfig as stock kubectl (Go's crypto/tls and
 * crypto/x509) sees them, against a node:https server standing in for the
 * API server on 127.0.0.1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls, { type TLSSocket } from 'node:tls';
import { setLogSink } from '../util/log.ts';
import { renderKubeconfig, writeKubeconfig } from './kubeconfig.ts';
import { ensureServerPKI, type ServerPKI } from './pki/server-pki.ts';
import { createCA, issueCertificate, type CertKeyPair } from './pki/x509.ts';

const KUBECTL = '/usr/bin/kubectl';
const VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.4+bramble', platform: 'linux/amd64' };

interface Seen {
  url: string;
  authorized: boolean;
  authorizationError?: string;
  subject: Record<string, unknown>;
}

interface StubServer {
  url: string;
  seen: Seen[];
  tlsErrors: Error[];
  close(): Promise<void>;
}

interface StubOptions {
  /**
   * Where a bad client certificate is refused. `handshake`: Node's
   * rejectUnauthorized drops the connection. `authn`: the handshake completes
   * and the request gets 401, as kube-apiserver does (it only requests client
   * certificates and verifies them in its authentication layer).
   */
  verify: 'handshake' | 'authn';
  maxVersion?: 'TLSv1.2';
}

const unauthorized = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

/** A stand-in API server: our serving certificate, client certificates checked against the client CA. */
async function startServer(pki: ServerPKI, opts: StubOptions): Promise<StubServer> {
  const seen: Seen[] = [];
  const tlsErrors: Error[] = [];
  const server = https.createServer(
    {
      cert: pki.serving.certPem,
      key: pki.serving.keyPem,
      ca: pki.clientCA.certPem,
      requestCert: true,
      rejectUnauthorized: opts.verify === 'handshake',
      maxVersion: opts.maxVersion,
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
      seen.push({ url: req.url ?? '', authorized: socket.authorized, authorizationError, subject: { ...socket.getPeerCertificate().subject } });
      res.writeHead(socket.authorized ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(socket.authorized ? VERSION : unauthorized));
    },
  );
  server.on('tlsClientError', (e) => tlsErrors.push(e));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    seen,
    tlsErrors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let dir = '';
let pki: ServerPKI;
const servers: StubServer[] = [];
before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bramble-kubectl-tls-'));
  setLogSink(() => {});
  pki = await ensureServerPKI(path.join(dir, 'data'), { dnsNames: [], ipAddresses: [] });
});
after(async () => {
  setLogSink();
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function server(opts: StubOptions = { verify: 'handshake' }): Promise<StubServer> {
  const s = await startServer(pki, opts);
  servers.push(s);
  return s;
}

let n = 0;
/** Writes a kubeconfig and runs `kubectl version -o json` with it; never throws. */
async function kubectlVersion(serverUrl: string, caPem: string, client: CertKeyPair, extra: string[] = []) {
  const file = path.join(dir, `kubeconfig-${n++}.yaml`);
  await writeKubeconfig(file, renderKubeconfig({ server: serverUrl, caPem, certPem: client.certPem, keyPem: client.keyPem }));
  const args = ['--kubeconfig', file, '--cache-dir', path.join(dir, 'cache'), '--request-timeout', '10s', 'version', '-o', 'json', ...extra];
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(KUBECTL, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

test('kubectl trusts the serving certificate and authenticates with the admin certificate', async () => {
  const s = await server();
  const r = await kubectlVersion(s.url, pki.serverCA.certPem, pki.admin);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).serverVersion.gitVersion, 'v1.32.4+bramble');
  assert.ok(s.seen.length >= 1, 'the server answered kubectl');
  for (const req of s.seen) {
    assert.match(req.url, /^\/version/);
    assert.equal(req.authorized, true);
    assert.deepEqual(req.subject, { O: 'system:masters', CN: 'system:admin' });
  }
  assert.deepEqual(s.tlsErrors, []);
});

test('kubectl also accepts them over TLS 1.2 (ECDHE-ECDSA, client certificate in the handshake)', async () => {
  const s = await server({ verify: 'handshake', maxVersion: 'TLSv1.2' });
  const r = await kubectlVersion(s.url, pki.serverCA.certPem, pki.admin);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(s.seen.length >= 1 && s.seen.every((x) => x.authorized));
});

test('Go checks DNS SANs: in-cluster names pass, other names fail', async () => {
  const s = await server();
  const ok = await kubectlVersion(s.url, pki.serverCA.certPem, pki.admin, ['--tls-server-name', 'kubernetes.default.svc.cluster.local']);
  assert.equal(ok.code, 0, ok.stderr);
  const bad = await kubectlVersion(s.url, pki.serverCA.certPem, pki.admin, ['--tls-server-name', 'elsewhere.example']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /x509: certificate is valid for .*not elsewhere\.example/);
});

test('kubectl refuses a server whose certificate does not chain to the kubeconfig CA', async () => {
  const s = await server();
  // The client CA is a real CA of this cluster, but it does not sign serving certificates.
  const r = await kubectlVersion(s.url, pki.clientCA.certPem, pki.admin);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /x509: certificate signed by unknown authority/);
  assert.deepEqual(s.seen, []);
});

const otherCA = createCA({ commonName: 'impostor-ca', validityDays: 30 });
const impostor = issueCertificate(otherCA, { commonName: 'system:admin', organizations: ['system:masters'], usage: 'client', validityDays: 30 });

test('a client certificate from another CA is refused in the handshake', async () => {
  const s = await server({ verify: 'handshake' });
  const { port } = new URL(s.url);
  // Node's TLS client, not kubectl: client-go retries a dropped connection for ~10 s before giving up.
  const outcome = await new Promise<string>((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: Number(port), ca: pki.serverCA.certPem, cert: impostor.certPem, key: impostor.keyPem }, () => {
      socket.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('error', (e) => resolve(`error ${e.message}`));
    socket.on('close', () => resolve(data === '' ? 'closed without a response' : data));
  });
  assert.doesNotMatch(outcome, /HTTP\/1\.1 200/);
  assert.deepEqual(s.seen, [], 'no request reached the handler');
  assert.ok(s.tlsErrors.length >= 1, 'the server reported the failed handshake');
});

test('kubectl with a client certificate from another CA gets 401, even with the admin subject', async () => {
  const s = await server({ verify: 'authn' });
  const r = await kubectlVersion(s.url, pki.serverCA.certPem, impostor);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /You must be logged in to the server/);
  assert.ok(s.seen.length >= 1);
  for (const req of s.seen) {
    assert.equal(req.authorized, false);
    assert.equal(req.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  }
  // The serving certificate comes from the server CA, so it is no client credential either.
  s.seen.length = 0;
  const asClient = await kubectlVersion(s.url, pki.serverCA.certPem, pki.serving);
  assert.notEqual(asClient.code, 0);
  assert.ok(s.seen.length >= 1 && s.seen.every((x) => !x.authorized));
  // Right CA, wrong usage: a serverAuth-only certificate is not a client credential (OpenSSL checks the purpose).
  s.seen.length = 0;
  const serverOnly = issueCertificate(pki.clientCA, { commonName: 'system:admin', organizations: ['system:masters'], usage: 'server', validityDays: 30 });
  assert.notEqual((await kubectlVersion(s.url, pki.serverCA.certPem, serverOnly)).code, 0);
  assert.ok(s.seen.length >= 1 && s.seen.every((x) => x.authorizationError === 'INVALID_PURPOSE'));
  // And the real admin certificate passes the same server.
  s.seen.length = 0;
  const admin = await kubectlVersion(s.url, pki.serverCA.certPem, pki.admin);
  assert.equal(admin.code, 0, admin.stderr);
  assert.ok(s.seen.length >= 1 && s.seen.every((x) => x.authorized));
});
