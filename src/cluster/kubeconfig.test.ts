import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parseFileMode, renderKubeconfig, writeKubeconfig } from './kubeconfig.ts';

const input = {
  server: 'https://127.0.0.1:6443',
  caPem: '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n'.repeat(3),
  certPem: '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n'.repeat(3),
  keyPem: '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n',
};

const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

test('renders the k3s.yaml shape with embedded base64 credentials', () => {
  const text = renderKubeconfig(input);
  const doc = parse(text);
  assert.deepEqual(Object.keys(doc), ['apiVersion', 'clusters', 'contexts', 'current-context', 'kind', 'preferences', 'users']);
  assert.equal(doc.apiVersion, 'v1');
  assert.equal(doc.kind, 'Config');
  assert.equal(doc['current-context'], 'default');
  assert.deepEqual(doc.preferences, {});
  assert.deepEqual(doc.contexts, [{ context: { cluster: 'default', user: 'default' }, name: 'default' }]);
  assert.equal(doc.clusters[0].name, 'default');
  assert.equal(doc.clusters[0].cluster.server, input.server);
  assert.equal(unb64(doc.clusters[0].cluster['certificate-authority-data']), input.caPem);
  assert.equal(doc.users[0].name, 'default');
  assert.equal(unb64(doc.users[0].user['client-certificate-data']), input.certPem);
  assert.equal(unb64(doc.users[0].user['client-key-data']), input.keyPem);
  // Layout as Go writes it: unindented sequences, one line per base64 value.
  assert.match(text, /^clusters:\n- cluster:\n    certificate-authority-data: [A-Za-z0-9+/=]+\n    server: https:\/\/127\.0\.0\.1:6443\n  name: default\n/m);
  assert.match(text, /^    client-key-data: [A-Za-z0-9+/=]+$/m);
});

test('a custom name applies to cluster, user and context; odd server URLs stay intact', () => {
  const doc = parse(renderKubeconfig({ ...input, name: 'pi: lab', server: 'https://[::1]:6443' }));
  assert.equal(doc['current-context'], 'pi: lab');
  assert.deepEqual(doc.contexts[0], { context: { cluster: 'pi: lab', user: 'pi: lab' }, name: 'pi: lab' });
  assert.equal(doc.clusters[0].name, 'pi: lab');
  assert.equal(doc.users[0].name, 'pi: lab');
  assert.equal(doc.clusters[0].cluster.server, 'https://[::1]:6443');
});

test('refuses a server that is not https', () => {
  assert.throws(() => renderKubeconfig({ ...input, server: 'http://127.0.0.1:6443' }), TypeError);
  assert.throws(() => renderKubeconfig({ ...input, server: '127.0.0.1:6443x' }), TypeError);
});

test('parseFileMode accepts numbers and octal strings', () => {
  assert.equal(parseFileMode(0o600), 0o600);
  assert.equal(parseFileMode('0600'), 0o600);
  assert.equal(parseFileMode('644'), 0o644);
  for (const bad of ['rw', '0800', '', 0o10000, -1, 1.5]) assert.throws(() => parseFileMode(bad as never), RangeError, String(bad));
});

let dir = '';
let savedUmask = 0;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bramble-kubeconfig-'));
  savedUmask = process.umask();
});
afterEach(() => {
  process.umask(savedUmask);
  rmSync(dir, { recursive: true, force: true });
});

test('writeKubeconfig creates parent directories and sets the exact mode whatever the umask', async () => {
  for (const [umask, mode, want] of [
    [0o000, undefined, 0o600],
    [0o077, 0o644, 0o644],
    [0o022, '0640', 0o640],
  ] as const) {
    process.umask(umask);
    const file = path.join(dir, `u${umask}`, 'etc', 'bramble.yaml');
    await writeKubeconfig(file, 'kind: Config\n', mode);
    assert.equal(statSync(file).mode & 0o777, want, `umask ${umask.toString(8)}`);
    assert.equal(readFileSync(file, 'utf8'), 'kind: Config\n');
  }
});

test('writeKubeconfig replaces an existing file atomically and leaves no temp files', async () => {
  const file = path.join(dir, 'bramble.yaml');
  writeFileSync(file, 'old');
  chmodSync(file, 0o666);
  await writeKubeconfig(file, 'new', 0o600);
  assert.equal(readFileSync(file, 'utf8'), 'new');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['bramble.yaml']);
  await assert.rejects(writeKubeconfig(file, 'x', 'bogus'), RangeError);
  assert.equal(readFileSync(file, 'utf8'), 'new');
});
