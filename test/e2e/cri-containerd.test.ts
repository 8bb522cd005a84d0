/**
 * containerd supervision and registry configuration for real: start
 * failures, a containerd left behind by a killed agent, restarts with
 * backoff, stop and abort; pulls through a registries.yaml mirror with
 * credentials, and with per-pull CRI credentials, from small registries
 * this test serves on 127.0.0.1; image import errors.
 *
 * containerd runs in the host network namespace here (pulls go to
 * loopback only); no pod is started, so no CNI config is needed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectCri, isGrpcError } from '../../src/agent/cri/index.ts';
import { killShims, removeCgroupTree, unmountUnder } from '../../src/agent/containerd/cleanup.ts';
import { ContainerdError, startContainerd, type ContainerdHandle } from '../../src/agent/containerd/supervisor.ts';
import { ImageImportError, importImages } from '../../src/agent/images/import.ts';
import { buildImageLayout, hostPlatform } from '../../src/agent/images/oci-layout.ts';
import { PAUSE_IMAGE } from '../../src/agent/images/pause.ts';
import { ensureSandboxImage } from '../../src/agent/images/sandbox-image.ts';
import { writeTar } from '../../src/agent/images/tar.ts';
import { setLogSink } from '../../src/util/log.ts';

const repo = path.resolve(import.meta.dirname, '../..');
let dir: string;
const handles = new Set<ContainerdHandle>();
const servers: http.Server[] = [];

function ensurePackages(): void {
  if (['/usr/bin/containerd', '/usr/bin/ctr', '/usr/sbin/runc'].every((f) => fs.existsSync(f))) return;
  execFileSync('bash', [path.join(repo, 'scripts/install-deps.sh')], { stdio: 'inherit' });
}

async function start(name: string, extra: Partial<Parameters<typeof startContainerd>[0]> = {}, signal?: AbortSignal): Promise<ContainerdHandle> {
  const h = await startContainerd({ dataDir: path.join(dir, name), sandboxImage: PAUSE_IMAGE, ...extra }, signal);
  handles.add(h);
  return h;
}

/** A registry (distribution API v2, read-only) serving one image, behind HTTP basic auth. */
async function serveRegistry(user: string, password: string): Promise<{ port: number; requests: { method: string; url: string; auth: string }[] }> {
  const layer = writeTar([{ name: 'hello.txt', type: 'file', data: new TextEncoder().encode('hello from the registry\n') }]);
  const img = buildImageLayout('x', [{ platform: hostPlatform(), layers: [layer], config: { cmd: ['/hello.txt'] } }]);
  // Read the blobs back out of the layout archive: the registry serves exactly what an import would.
  const blobs = new Map<string, Buffer>();
  const tar = Buffer.from(img.tar);
  for (let pos = 0; pos + 512 <= tar.length && tar[pos] !== 0; ) {
    const name = tar.subarray(pos, pos + 100).toString().replace(/\0.*$/s, '');
    const size = parseInt(tar.subarray(pos + 124, pos + 136).toString(), 8);
    if (name.startsWith('blobs/sha256/') && size) blobs.set('sha256:' + name.slice(13), tar.subarray(pos + 512, pos + 512 + size));
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  const requests: { method: string; url: string; auth: string }[] = [];
  const expected = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization ?? '' });
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="bramble-test"', 'content-type': 'application/json' });
      return res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    }
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/v2/') return res.end('{}');
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    const digest = m?.[2] === 'manifests' && !m[3].startsWith('sha256:') ? img.target.digest : m?.[3];
    const body = digest ? blobs.get(digest) : undefined;
    if (!body) {
      res.writeHead(404);
      return res.end();
    }
    const type = m![2] === 'manifests' ? img.target.mediaType : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'docker-content-digest': digest });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, requests };
}

before(() => {
  ensurePackages();
  // The failures provoked here log errors; show them only when debugging.
  if (!process.env.BRAMBLE_TEST_DEBUG) setLogSink(() => {});
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bctd-'));
});

after(async () => {
  setLogSink();
  for (const h of handles) {
    await h.stop();
    await killShims(h.socketPath);
  }
  for (const s of servers) s.close();
  removeCgroupTree(`bramble-ctd-${process.pid}`);
  if (dir) {
    unmountUnder(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('containerd supervision', () => {
  it('fails start with the reason when containerd cannot run or exits at once', async () => {
    await assert.rejects(start('nobin', { containerdPath: path.join(dir, 'no-such-containerd'), readyTimeoutMs: 5000 }), (e: unknown) => e instanceof ContainerdError && e.code === 'START_FAILED' && /no-such-containerd/.test(e.message));
    // A socket path inside a regular file: containerd exits with an error.
    fs.writeFileSync(path.join(dir, 'afile'), '');
    const t0 = Date.now();
    await assert.rejects(start('badsock', { socketPath: path.join(dir, 'afile', 'sock') }), (e: unknown) => e instanceof ContainerdError && e.code === 'START_FAILED' && /exited during start/.test(e.message));
    assert.ok(Date.now() - t0 < 10_000, 'fails fast rather than at the ready timeout');
  });

  it('starts, restarts with backoff when killed, and stops', async () => {
    const h = await start('main', { restartBackoff: { initialMs: 200, maxMs: 400 } });
    // overlayfs cannot stack its upper directory on another overlay; anything else here takes it.
    const fstype = execFileSync('findmnt', ['-no', 'FSTYPE', '-T', dir], { encoding: 'utf8' }).trim();
    assert.equal(h.snapshotter, fstype === 'overlay' ? 'native' : 'overlayfs', `data dir on ${fstype}`);
    const cri = connectCri(h.socketPath);
    try {
      assert.equal((await cri.runtime.version()).runtimeName, 'containerd');
      const conditions = (await cri.runtime.status()).status!.conditions;
      assert.equal(conditions.find((c) => c.type === 'NetworkReady')!.status, false, 'no CNI config yet');
      for (let i = 1; i <= 2; i++) {
        const pid = h.pid!;
        const t0 = Date.now();
        process.kill(pid, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 50));
        await h.waitReady(20_000);
        assert.equal(h.restarts, i);
        assert.notEqual(h.pid, pid);
        assert.ok(Date.now() - t0 >= 200 * 2 ** (i - 1) - 50, 'restart waited for its backoff');
        assert.equal((await cri.runtime.version()).runtimeName, 'containerd', 'the client reconnects by itself');
      }
      const pid = h.pid!;
      await h.stop();
      assert.ok(!fs.existsSync(`/proc/${pid}`));
      assert.ok(!fs.existsSync(path.join(dir, 'main', 'containerd.pid')));
      await assert.rejects(h.waitReady(1000), (e: unknown) => e instanceof ContainerdError && e.code === 'STOPPED');
      await assert.rejects(cri.runtime.version({ timeoutMs: 2000 }), (e: unknown) => isGrpcError(e, 'UNAVAILABLE'));
    } finally {
      await cri.close();
    }
  });

  it('stops a containerd a killed agent left running before starting its own', async () => {
    const first = await start('stale');
    const configPath = first.configPath;
    await first.stop();
    // What a SIGKILLed agent leaves: containerd running on our config, and its pid file.
    const orphan = spawn('containerd', ['--config', configPath], { stdio: 'ignore' });
    fs.writeFileSync(path.join(dir, 'stale', 'containerd.pid'), `${orphan.pid}\n`);
    const exited = new Promise<void>((r) => orphan.once('exit', () => r()));
    const probe = connectCri(first.socketPath);
    try {
      for (let i = 0; ; i++) {
        try {
          await probe.runtime.version({ timeoutMs: 1000 });
          break;
        } catch (e) {
          if (i > 100) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.equal(orphan.exitCode, null, 'the orphan is serving');
      const h = await start('stale');
      await exited;
      assert.equal(orphan.signalCode ?? orphan.exitCode, 0, 'stopped cleanly by SIGTERM');
      assert.notEqual(h.pid, orphan.pid);
      await h.stop();
    } finally {
      await probe.close();
      if (orphan.exitCode === null && orphan.signalCode === null) orphan.kill('SIGKILL');
    }
  });

  it('stops when its abort signal fires', async () => {
    const ac = new AbortController();
    const h = await start('aborted', {}, ac.signal);
    const pid = h.pid!;
    ac.abort();
    for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!fs.existsSync(`/proc/${pid}`));
  });
});

describe('registries and pulls', () => {
  it('pulls through a registries.yaml mirror with its credentials, and with per-pull CRI credentials', async () => {
    const mirror = await serveRegistry('pi', 'raspberry');
    const priv = await serveRegistry('agent', 's3cret');
    const registries = path.join(dir, 'registries.yaml');
    fs.writeFileSync(registries, `mirrors:\n  docker.io:\n    endpoint:\n      - "http://127.0.0.1:${mirror.port}"\nconfigs:\n  "127.0.0.1:${mirror.port}":\n    auth:\n      username: pi\n      password: raspberry\n`);
    const h = await start('pull', { registriesFile: registries });
    const cri = connectCri(h.socketPath);
    try {
      const ref = await cri.images.pullImage('docker.io/library/tiny:1.0', undefined, undefined, { timeoutMs: 60_000 });
      assert.match(ref, /^sha256:/);
      assert.ok(mirror.requests.some((r) => r.url.startsWith('/v2/library/tiny/manifests/1.0') && r.auth === 'Basic ' + Buffer.from('pi:raspberry').toString('base64')));
      assert.equal((await cri.images.imageStatus('docker.io/library/tiny:1.0'))!.id, ref);
      assert.equal((await cri.images.imageStatus('tiny:1.0'))?.id, ref, 'short names resolve to docker.io');

      const image = `127.0.0.1:${priv.port}/private/tiny:2`;
      await assert.rejects(cri.images.pullImage(image, undefined, undefined, { timeoutMs: 60_000 }), (e: unknown) => isGrpcError(e) && /401|unauthorized/i.test(e.message));
      assert.match(await cri.images.pullImage(image, { username: 'agent', password: 's3cret' }, undefined, { timeoutMs: 60_000 }), /^sha256:/);
      await cri.images.removeImage(image);
      assert.equal(await cri.images.imageStatus(image), undefined);
      await cri.images.removeImage(image); // idempotent
    } finally {
      await cri.close();
      await h.stop();
    }
  });

  it('reports import failures with codes', async () => {
    const h = await start('import');
    try {
      await assert.rejects(importImages({ address: h.socketPath, files: [path.join(dir, 'missing.tar')] }), (e: unknown) => e instanceof ImageImportError && e.code === 'NOT_FOUND');
      fs.writeFileSync(path.join(dir, 'junk.tar'), 'not a tar archive');
      await assert.rejects(importImages({ address: h.socketPath, files: [path.join(dir, 'junk.tar')] }), (e: unknown) => e instanceof ImageImportError && e.code === 'IMPORT_FAILED');
      await assert.rejects(importImages({ address: h.socketPath, files: [path.join(dir, 'junk.tar')], ctr: path.join(dir, 'no-ctr') }), (e: unknown) => e instanceof ImageImportError && e.code === 'NOT_FOUND');
    } finally {
      await h.stop();
    }
  });

  it('imports the generated sandbox image when missing and runs a host-network pod on it (native snapshotter)', async () => {
    // The fallback snapshotter, for data directories where overlayfs cannot mount.
    const h = await start('sandbox', { snapshotter: 'native' });
    assert.equal(h.snapshotter, 'native');
    const cri = connectCri(h.socketPath);
    try {
      assert.equal(await cri.images.imageStatus(PAUSE_IMAGE), undefined);
      const id = await ensureSandboxImage({ address: h.socketPath, images: cri.images, workDir: path.join(dir, 'sandbox', 'tmp'), snapshotter: h.snapshotter });
      assert.match(id, /^sha256:/);
      // Present now: a second call imports nothing (ctr at a dead address would fail).
      assert.equal(await ensureSandboxImage({ address: path.join(dir, 'no.sock'), images: cri.images, workDir: path.join(dir, 'sandbox', 'tmp') }), id);
      // Host network needs no CNI; runc refuses a hostname without the pod's own UTS namespace, so none is sent.
      const sandboxId = await cri.runtime.runPodSandbox({
        metadata: { name: 'hostnet', namespace: 'kube-system', uid: `hn-${process.pid}` },
        logDirectory: path.join(dir, 'sandbox', 'logs'),
        linux: { cgroupParent: `/bramble-ctd-${process.pid}/hostnet`, securityContext: { namespaceOptions: { network: 'NODE' } } },
      });
      const st = (await cri.runtime.podSandboxStatus(sandboxId, true)).status!;
      assert.equal(st.state, 'SANDBOX_READY');
      assert.equal(st.network!.ip, '');
      await cri.runtime.stopPodSandbox(sandboxId);
      await cri.runtime.removePodSandbox(sandboxId);
    } finally {
      await cri.close();
      await h.stop();
    }
  });
});
