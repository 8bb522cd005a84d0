import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildImageLayout, hostPlatform, MEDIA_INDEX, MEDIA_MANIFEST } from './oci-layout.ts';
import { writeTar } from './tar.ts';

/** Extracts an archive and returns a reader of its files. */
function unpack(tar: Uint8Array): { read(name: string): Buffer; json(name: string): any; blob(digest: string): Buffer; done(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-oci-'));
  fs.writeFileSync(path.join(dir, 'image.tar'), tar);
  fs.mkdirSync(path.join(dir, 'x'));
  execFileSync('tar', ['-xf', path.join(dir, 'image.tar'), '-C', path.join(dir, 'x')]);
  const read = (name: string) => fs.readFileSync(path.join(dir, 'x', name));
  return {
    read,
    json: (name) => JSON.parse(read(name).toString()),
    blob: (digest) => {
      const b = read(`blobs/sha256/${digest.replace('sha256:', '')}`);
      assert.equal('sha256:' + createHash('sha256').update(b).digest('hex'), digest, 'blob content matches its digest');
      return b;
    },
    done: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

const layer = writeTar([{ name: 'hello', type: 'file', data: new TextEncoder().encode('hi') }]);

describe('OCI image layout', () => {
  it('names a single-platform image on its manifest descriptor', () => {
    const { tar, target } = buildImageLayout('bramble.local/x:1.0', [{ platform: hostPlatform(), layers: [layer], config: { cmd: ['sh'] } }]);
    const u = unpack(tar);
    try {
      assert.deepEqual(u.json('oci-layout'), { imageLayoutVersion: '1.0.0' });
      const index = u.json('index.json');
      assert.equal(index.manifests.length, 1);
      assert.deepEqual(index.manifests[0], target);
      assert.equal(target.mediaType, MEDIA_MANIFEST);
      assert.equal(target.annotations!['io.containerd.image.name'], 'bramble.local/x:1.0');
      assert.equal(target.annotations!['org.opencontainers.image.ref.name'], '1.0');
      assert.deepEqual(target.platform, hostPlatform());
      const manifest = JSON.parse(u.blob(target.digest).toString());
      assert.equal(manifest.layers[0].size, layer.length);
      u.blob(manifest.layers[0].digest);
      const config = JSON.parse(u.blob(manifest.config.digest).toString());
      assert.equal(config.architecture, hostPlatform().architecture);
      assert.deepEqual(config.config.Cmd, ['sh']);
      assert.deepEqual(config.rootfs.diff_ids, [manifest.layers[0].digest], 'uncompressed: diff id is the layer digest');
    } finally {
      u.done();
    }
  });

  it('puts several platforms under one named index, deterministically', () => {
    const build = () =>
      buildImageLayout('bramble.local/multi', [
        { platform: { os: 'linux', architecture: 'amd64' }, layers: [layer], config: { entrypoint: ['/a'] } },
        { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, layers: [layer], config: { entrypoint: ['/b'], user: '65535:65535' } },
      ]);
    const { tar, target } = build();
    assert.deepEqual(build().tar, tar);
    const u = unpack(tar);
    try {
      assert.equal(target.mediaType, MEDIA_INDEX);
      assert.equal(target.annotations!['org.opencontainers.image.ref.name'], 'latest');
      const index = JSON.parse(u.blob(target.digest).toString());
      assert.deepEqual(index.manifests.map((m: any) => m.platform.architecture), ['amd64', 'arm64']);
      const arm = JSON.parse(u.blob(JSON.parse(u.blob(index.manifests[1].digest).toString()).config.digest).toString());
      assert.equal(arm.variant, 'v8');
      assert.equal(arm.config.User, '65535:65535');
    } finally {
      u.done();
    }
  });
});
