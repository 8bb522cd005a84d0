import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRegistries, RegistriesError, renderRegistries } from './registries.ts';
import { tomlString } from './config.ts';

describe('registries.yaml', () => {
  it('reads mirrors and per-host auth and TLS in the k3s format', () => {
    const r = parseRegistries(`
mirrors:
  docker.io:
    endpoint:
      - "https://mirror.lan:5000"
      - "http://10.0.0.5:5000"
  "*":
    endpoint: ["mirror.lan:5000"]
    rewrite:
      "^(.*)$": "cache/$1"
configs:
  "mirror.lan:5000":
    auth:
      username: pi
      password: "s3cr\\"et"
    tls:
      ca_file: /etc/ssl/lan.pem
      insecure_skip_verify: false
  ghcr.io:
    auth:
      auth: cGk6c2VjcmV0
      identity_token: tok
`);
    assert.deepEqual(r.mirrors, {
      'docker.io': { endpoints: ['https://mirror.lan:5000', 'http://10.0.0.5:5000'] },
      '*': { endpoints: ['mirror.lan:5000'] },
    });
    assert.deepEqual(r.configs['mirror.lan:5000'], {
      auth: { username: 'pi', password: 's3cr"et', auth: undefined, identityToken: undefined },
      tls: { caFile: '/etc/ssl/lan.pem', certFile: undefined, keyFile: undefined, insecureSkipVerify: false },
    });
    assert.equal(r.configs['ghcr.io'].auth!.identityToken, 'tok');
    assert.deepEqual(r.warnings, ['mirrors.*.rewrite is not supported by containerd 1.6; ignored']);
    const toml = renderRegistries(r, tomlString);
    assert.match(toml, /^\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\.mirrors\."docker\.io"\]\n  endpoint = \["https:\/\/mirror\.lan:5000", "http:\/\/10\.0\.0\.5:5000"\]$/m);
    assert.match(toml, /^\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\.configs\."mirror\.lan:5000"\.auth\]\n  username = "pi"\n  password = "s3cr\\"et"$/m);
    assert.match(toml, /^\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\.configs\."mirror\.lan:5000"\.tls\]\n  ca_file = "\/etc\/ssl\/lan\.pem"\n  insecure_skip_verify = false$/m);
    assert.match(toml, /configs\."ghcr\.io"\.auth\]\n  auth = "cGk6c2VjcmV0"\n  identitytoken = "tok"/);
  });

  it('treats an empty file as no configuration', () => {
    assert.deepEqual(parseRegistries(''), { mirrors: {}, configs: {}, warnings: [] });
    assert.deepEqual(parseRegistries('mirrors:\n'), { mirrors: {}, configs: {}, warnings: [] });
  });

  it('rejects shapes it cannot use, with a coded error', () => {
    for (const bad of [
      'mirrors: [a]',
      'mirrors:\n  docker.io:\n    endpoint: https://x',
      'mirrors:\n  docker.io:\n    endpoint: ["not a url"]',
      'configs:\n  x:\n    auth:\n      username: 5',
      'configs:\n  x:\n    tls:\n      insecure_skip_verify: "yes"',
      'mirrors: {a: [}',
    ]) {
      assert.throws(() => parseRegistries(bad), (e: unknown) => e instanceof RegistriesError && e.code === 'INVALID_REGISTRIES', bad);
    }
  });
});
