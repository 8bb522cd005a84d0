import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authFor, ImagePullBackoff, registryOf } from './images.ts';

const secret = (auths: object) => ({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') } });

describe('image pull credentials and back-off', () => {
  it('finds the registry of an image', () => {
    assert.equal(registryOf('busybox'), 'docker.io');
    assert.equal(registryOf('me/app:1'), 'docker.io');
    assert.equal(registryOf('reg.example:5000/app'), 'reg.example:5000');
    assert.equal(registryOf('localhost/app'), 'localhost');
  });

  it('matches imagePullSecrets to the registry, Docker Hub by any of its names', () => {
    const hub = secret({ 'https://index.docker.io/v1/': { username: 'hub', password: 'pw', auth: 'aHViOnB3' } });
    const priv = secret({ 'reg.example:5000': { username: 'me', password: 's3cret' } });
    assert.deepEqual(authFor('busybox', [priv, hub]), { username: 'hub', password: 'pw', auth: 'aHViOnB3' });
    assert.deepEqual(authFor('reg.example:5000/app:1', [hub, priv]), { username: 'me', password: 's3cret' });
    assert.equal(authFor('other.example/app', [hub, priv]), undefined);
    assert.equal(authFor('busybox', [{ type: 'Opaque', data: { x: 'eA==' } }]), undefined);
  });

  it('backs off 10 s doubling to 5 minutes per pod and image', () => {
    let now = 0;
    const b = new ImagePullBackoff({ now: () => now } as never);
    assert.equal(b.blocked('u', 'img').ms, 0);
    assert.equal(b.failed('u', 'img', 'not found'), 10_000);
    assert.deepEqual(b.blocked('u', 'img'), { ms: 10_000, message: 'not found' });
    now = 10_000;
    assert.equal(b.blocked('u', 'img').ms, 0);
    assert.equal(b.failed('u', 'img', 'again'), 20_000);
    for (let i = 0; i < 10; i++) b.failed('u', 'img', 'x');
    assert.equal(b.failed('u', 'img', 'x'), 300_000);
    b.succeeded('u', 'img');
    assert.equal(b.blocked('u', 'img').ms, 0);
  });
});
