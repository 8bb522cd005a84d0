// Runs for real: tmpfs mounts need root (the agent runs as root, and so do these tests).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Obj } from '../../client/types.ts';
import { mapLookup } from '../env/lookup.ts';
import type { ObjectLookup } from '../env/lookup.ts';
import { mountsUnder, unmountAll } from './mounts.ts';
import { VolumeError } from './types.ts';
import type { VolumeHost } from './types.ts';
import { cleanupVolumes, memoryEmptyDirSize, mountsFor, prepareVolumes, refreshVolumes } from './volumes.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
let root: string;
let host: VolumeHost;
let objs: { configMaps: Obj[]; secrets: Obj[]; pvcs: Obj[]; pvs: Obj[] };
let uidSeq = 0;

function pod(volumes: Obj[], containers: Obj[] = [{ name: 'app' }]): Obj {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: `uid-${++uidSeq}`, labels: { app: 'web', b: 'two' } },
    spec: { nodeName: 'n1', volumes, containers },
  };
}

async function failsWith(p: Promise<unknown>, code: string, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof VolumeError, String(e));
    assert.equal(e.message, message);
    assert.equal(e.code, code);
    return true;
  });
}

const mode = (p: string) => fs.statSync(p).mode & 0o7777;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-volumes-'));
  objs = {
    configMaps: [{ metadata: { namespace: 'ns', name: 'cfg' }, data: { 'app.conf': 'a=1\n', other: 'x' }, binaryData: { 'bin.dat': b64('\u0001\u0002') } }],
    secrets: [{ metadata: { namespace: 'ns', name: 'sec' }, data: { password: b64('hunter2') } }],
    pvcs: [
      { metadata: { namespace: 'ns', name: 'data', uid: 'c1' }, spec: { volumeName: 'pv-host' }, status: { phase: 'Bound' } },
      { metadata: { namespace: 'ns', name: 'local', uid: 'c2' }, spec: { volumeName: 'pv-local' }, status: { phase: 'Bound' } },
      { metadata: { namespace: 'ns', name: 'pending', uid: 'c3' }, spec: {}, status: { phase: 'Pending' } },
    ],
    pvs: [
      { metadata: { name: 'pv-host' }, spec: { hostPath: { path: path.join(root, 'pv-host'), type: 'DirectoryOrCreate' }, claimRef: { uid: 'c1' } } },
      { metadata: { name: 'pv-local' }, spec: { local: { path: path.join(root, 'nowhere') }, claimRef: { uid: 'c2' } } },
    ],
  };
  // A live view, so tests can change objects between calls.
  const live: ObjectLookup = {
    configMap: (ns, n) => mapLookup(objs).configMap(ns, n),
    secret: (ns, n) => mapLookup(objs).secret(ns, n),
    services: async () => [],
    persistentVolumeClaim: (ns, n) => mapLookup(objs).persistentVolumeClaim(ns, n),
    persistentVolume: (n) => mapLookup(objs).persistentVolume(n),
    node: async () => ({ metadata: { name: 'n1' }, status: { allocatable: { memory: '1Gi', cpu: '2' } } }),
  };
  host = { podsDir: path.join(root, 'pods'), lookup: live };
});

after(async () => {
  // Whatever a failed test left behind: mounts first, then files.
  await unmountAll(root);
  fs.rmSync(root, { recursive: true, force: true });
});

describe('emptyDir', () => {
  it('disk and memory (a real tmpfs with the size limit), removed at cleanup', async () => {
    const p = pod([{ name: 'scratch', emptyDir: {} }, { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }]);
    const prepared = await prepareVolumes(p, host);
    const mem = prepared.volumes['mem']!.hostPath;
    const scratch = prepared.volumes['scratch']!.hostPath;
    assert.equal(mem, path.join(host.podsDir, p.metadata.uid, 'volumes/kubernetes.io~empty-dir/mem'));
    assert.equal(mode(scratch), 0o777);
    assert.equal(mode(mem), 0o777);
    assert.deepEqual(await mountsUnder(path.join(host.podsDir, p.metadata.uid)), [mem]);
    const st = fs.statfsSync(mem);
    assert.equal(st.blocks * st.bsize, 8 * 1024 * 1024);
    // Idempotent: a second prepare does not stack another mount.
    await prepareVolumes(p, host);
    assert.equal((await mountsUnder(mem)).length, 1);
    fs.writeFileSync(path.join(mem, 'f'), 'x');
    await cleanupVolumes(p.metadata.uid, host);
    assert.deepEqual(await mountsUnder(path.join(host.podsDir, p.metadata.uid)), []);
    assert.ok(!fs.existsSync(path.join(host.podsDir, p.metadata.uid)));
  });

  it('memory size defaults: pod limit sum, else node allocatable, capped by sizeLimit', () => {
    const limited = { spec: { containers: [{ resources: { limits: { memory: '64Mi' } } }, { resources: { limits: { memory: '64Mi' } } }] } };
    assert.equal(memoryEmptyDirSize(limited, undefined, { memory: '1Gi' }), 128 * 1024 * 1024);
    assert.equal(memoryEmptyDirSize(limited, '1Gi', { memory: '1Gi' }), 128 * 1024 * 1024);
    assert.equal(memoryEmptyDirSize({ spec: { containers: [{}] } }, '16Mi', { memory: '1Gi' }), 16 * 1024 * 1024);
    assert.equal(memoryEmptyDirSize({ spec: { containers: [{}] } }, undefined, { memory: '1Gi' }), 1024 * 1024 * 1024);
  });
});

describe('hostPath', () => {
  it('type checks and creation as upstream', async () => {
    const dir = path.join(root, 'hp', 'made');
    const file = path.join(root, 'hp-file');
    const sock = path.join(root, 'hp.sock');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const p = pod([
        { name: 'd', hostPath: { path: dir, type: 'DirectoryOrCreate' } },
        { name: 'f', hostPath: { path: file, type: 'FileOrCreate' } },
        { name: 's', hostPath: { path: sock, type: 'Socket' } },
        { name: 'any', hostPath: { path: path.join(root, 'absent') } },
      ]);
      const prepared = await prepareVolumes(p, host);
      assert.ok(fs.statSync(dir).isDirectory());
      assert.equal(mode(dir), 0o755);
      assert.ok(fs.statSync(file).isFile());
      assert.equal(prepared.volumes['s']!.hostPath, sock);
      await failsWith(prepareVolumes(pod([{ name: 'x', hostPath: { path: file, type: 'Directory' } }]), host), 'HostPathType', `MountVolume.SetUp failed for volume "x" : hostPath type check failed: ${file} is not a directory`);
      await failsWith(prepareVolumes(pod([{ name: 'x', hostPath: { path: dir, type: 'File' } }]), host), 'HostPathType', `MountVolume.SetUp failed for volume "x" : hostPath type check failed: ${dir} is not a file`);
      await failsWith(prepareVolumes(pod([{ name: 'x', hostPath: { path: file, type: 'Socket' } }]), host), 'HostPathType', `MountVolume.SetUp failed for volume "x" : hostPath type check failed: ${file} is not a socket file`);
      await failsWith(prepareVolumes(pod([{ name: 'x', hostPath: { path: file, type: 'BlockDevice' } }]), host), 'HostPathType', `MountVolume.SetUp failed for volume "x" : hostPath type check failed: ${file} is not a block device`);
      await failsWith(prepareVolumes(pod([{ name: 'x', hostPath: { path: file, type: 'Bogus' } }]), host), 'HostPathType', 'MountVolume.SetUp failed for volume "x" : Bogus is an invalid volume type');
    } finally {
      server.close();
    }
  });
});

describe('configMap and secret', () => {
  it('all keys with default mode 0644, atomic layout, secret on tmpfs', async () => {
    const p = pod([{ name: 'cfg', configMap: { name: 'cfg' } }, { name: 'sec', secret: { secretName: 'sec' } }]);
    const prepared = await prepareVolumes(p, host);
    const cfg = prepared.volumes['cfg']!;
    assert.equal(cfg.readOnly, true);
    assert.equal(fs.readFileSync(path.join(cfg.hostPath, 'app.conf'), 'utf8'), 'a=1\n');
    assert.deepEqual([...fs.readFileSync(path.join(cfg.hostPath, 'bin.dat'))], [1, 2]);
    assert.equal(fs.readlinkSync(path.join(cfg.hostPath, 'app.conf')), '..data/app.conf');
    assert.match(fs.readlinkSync(path.join(cfg.hostPath, '..data')), /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/);
    assert.equal(mode(path.join(cfg.hostPath, 'app.conf')), 0o644);
    const sec = prepared.volumes['sec']!;
    assert.equal(fs.readFileSync(path.join(sec.hostPath, 'password'), 'utf8'), 'hunter2');
    assert.equal(mode(path.join(sec.hostPath, 'password')), 0o644);
    assert.deepEqual(await mountsUnder(sec.hostPath), [sec.hostPath], 'secret volume is a tmpfs');
    await cleanupVolumes(p.metadata.uid, host);
  });

  it('items, per-item and default modes, optional', async () => {
    const p = pod([
      { name: 'cfg', configMap: { name: 'cfg', defaultMode: 0o600, items: [{ key: 'app.conf', path: 'conf/app.conf' }, { key: 'other', path: 'o', mode: 0o400 }] } },
      { name: 'opt', configMap: { name: 'absent', optional: true } },
      { name: 'optkey', secret: { secretName: 'sec', optional: true, items: [{ key: 'nope', path: 'n' }] } },
    ]);
    const v = (await prepareVolumes(p, host)).volumes;
    assert.deepEqual(fs.readdirSync(v['cfg']!.hostPath).filter((n) => !n.startsWith('..')).sort(), ['conf', 'o']);
    assert.equal(fs.readFileSync(path.join(v['cfg']!.hostPath, 'conf/app.conf'), 'utf8'), 'a=1\n');
    assert.equal(mode(path.join(v['cfg']!.hostPath, 'conf/app.conf')), 0o600);
    assert.equal(mode(path.join(v['cfg']!.hostPath, 'o')), 0o400);
    assert.deepEqual(fs.readdirSync(v['opt']!.hostPath).filter((n) => !n.startsWith('..')), []);
    assert.deepEqual(fs.readdirSync(v['optkey']!.hostPath).filter((n) => !n.startsWith('..')), []);
    await cleanupVolumes(p.metadata.uid, host);
  });

  it('errors read like FailedMount events', async () => {
    const cases: [Obj, string, string][] = [
      [{ name: 'v', configMap: { name: 'gone' } }, 'NotFound', 'MountVolume.SetUp failed for volume "v" : configmap "gone" not found'],
      [{ name: 'v', secret: { secretName: 'gone' } }, 'NotFound', 'MountVolume.SetUp failed for volume "v" : secret "gone" not found'],
      [{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'k', path: 'k' }] } }, 'KeyNotFound', 'MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: k'],
      [{ name: 'v', secret: { secretName: 'sec', items: [{ key: 'k', path: 'k' }] } }, 'KeyNotFound', 'MountVolume.SetUp failed for volume "v" : references non-existent secret key: k'],
      [{ name: 'v', nfs: { server: 'x', path: '/' } }, 'Unsupported', 'MountVolume.SetUp failed for volume "v" : volume type nfs is not supported on this node'],
    ];
    for (const [vol, code, msg] of cases) {
      const p = pod([vol]);
      try {
        await failsWith(prepareVolumes(p, host), code, msg);
      } finally {
        await cleanupVolumes(p.metadata.uid, host);
      }
    }
  });

  it('refresh rewrites atomically only on change', async () => {
    const p = pod([{ name: 'cfg', configMap: { name: 'cfg' } }, { name: 'sec', secret: { secretName: 'sec' } }]);
    const v = (await prepareVolumes(p, host)).volumes;
    const dir = v['cfg']!.hostPath;
    const gen1 = fs.readlinkSync(path.join(dir, '..data'));
    const mtime = fs.statSync(path.join(dir, gen1, 'app.conf')).mtimeMs;
    assert.deepEqual(await refreshVolumes(p, host), []);
    assert.equal(fs.readlinkSync(path.join(dir, '..data')), gen1, 'no new generation');
    assert.equal(fs.statSync(path.join(dir, gen1, 'app.conf')).mtimeMs, mtime, 'no write');

    const saved = objs.configMaps[0]!;
    objs.configMaps[0] = { metadata: saved.metadata, data: { 'app.conf': 'a=2\n', added: 'new' } };
    try {
      assert.deepEqual(await refreshVolumes(p, host), ['cfg']);
      const gen2 = fs.readlinkSync(path.join(dir, '..data'));
      assert.notEqual(gen2, gen1);
      assert.ok(!fs.existsSync(path.join(dir, gen1)), 'old generation removed');
      assert.equal(fs.readFileSync(path.join(dir, 'app.conf'), 'utf8'), 'a=2\n');
      assert.equal(fs.readFileSync(path.join(dir, 'added'), 'utf8'), 'new');
      assert.ok(!fs.existsSync(path.join(dir, 'other')) && !fs.existsSync(path.join(dir, 'bin.dat')), 'dropped keys unlinked');
    } finally {
      objs.configMaps[0] = saved;
      await cleanupVolumes(p.metadata.uid, host);
    }
  });
});

describe('downwardAPI and projected', () => {
  it('downwardAPI files from fields and resources', async () => {
    const p = pod(
      [{ name: 'info', downwardAPI: { items: [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
        { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
      ] } }],
      [{ name: 'app', resources: { limits: { memory: '32Mi' } } }],
    );
    const dir = (await prepareVolumes(p, host)).volumes['info']!.hostPath;
    assert.equal(fs.readFileSync(path.join(dir, 'labels'), 'utf8'), 'app="web"\nb="two"');
    assert.equal(fs.readFileSync(path.join(dir, 'name'), 'utf8'), 'p');
    assert.equal(fs.readFileSync(path.join(dir, 'mem'), 'utf8'), '32');
    const bad = pod([{ name: 'info', downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }] } }]);
    try {
      await failsWith(prepareVolumes(bad, host), 'FieldRef', 'MountVolume.SetUp failed for volume "info" : unsupported fieldPath: status.podIP');
    } finally {
      await cleanupVolumes(bad.metadata.uid, host);
      await cleanupVolumes(p.metadata.uid, host);
    }
  });

  it('projected merges sources; token is a placeholder; several errors aggregate', async () => {
    const p = pod([{ name: 'kube-api-access', projected: { defaultMode: 0o444, sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
      { configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'ca.crt' }] } },
      { secret: { name: 'sec' } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
    ] } }]);
    const dir = (await prepareVolumes(p, host)).volumes['kube-api-access']!.hostPath;
    assert.deepEqual(fs.readdirSync(dir).filter((n) => !n.startsWith('..')).sort(), ['ca.crt', 'namespace', 'password', 'token']);
    assert.equal(fs.readFileSync(path.join(dir, 'namespace'), 'utf8'), 'ns');
    assert.equal(fs.readFileSync(path.join(dir, 'token'), 'utf8'), '');
    assert.equal(mode(path.join(dir, 'password')), 0o444);
    const bad = pod([{ name: 'pj', projected: { sources: [{ configMap: { name: 'x1' } }, { secret: { name: 'x2' } }] } }]);
    try {
      await failsWith(prepareVolumes(bad, host), 'NotFound', 'MountVolume.SetUp failed for volume "pj" : [configmap "x1" not found, secret "x2" not found]');
    } finally {
      await cleanupVolumes(bad.metadata.uid, host);
      await cleanupVolumes(p.metadata.uid, host);
    }
  });
});

describe('persistentVolumeClaim', () => {
  it('resolves a bound claim to its hostPath PV; local, unbound and missing claims fail', async () => {
    const p = pod([{ name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } }]);
    const v = (await prepareVolumes(p, host)).volumes['data']!;
    assert.deepEqual(v, { name: 'data', kind: 'persistentVolumeClaim', hostPath: path.join(root, 'pv-host'), readOnly: true });
    assert.ok(fs.statSync(v.hostPath).isDirectory(), 'DirectoryOrCreate made it');
    await failsWith(prepareVolumes(pod([{ name: 'l', persistentVolumeClaim: { claimName: 'local' } }]), host), 'PVC', `MountVolume.NewMounter initialization failed for volume "pv-local" : path "${path.join(root, 'nowhere')}" does not exist`);
    fs.mkdirSync(path.join(root, 'nowhere'));
    assert.equal((await prepareVolumes(pod([{ name: 'l', persistentVolumeClaim: { claimName: 'local' } }]), host)).volumes['l']!.hostPath, path.join(root, 'nowhere'));
    await failsWith(prepareVolumes(pod([{ name: 'x', persistentVolumeClaim: { claimName: 'pending' } }]), host), 'PVC', 'error processing PVC ns/pending: PVC is not bound');
    await failsWith(prepareVolumes(pod([{ name: 'x', persistentVolumeClaim: { claimName: 'nope' } }]), host), 'NotFound', 'error processing PVC ns/nope: failed to fetch PVC from API server: persistentvolumeclaims "nope" not found');
  });
});

describe('mountsFor', () => {
  it('mountPath, readOnly, subPath, subPathExpr; escapes and unknown volumes refused', async () => {
    const p = pod([{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }]);
    try {
      const prepared = await prepareVolumes(p, host);
      const scratch = prepared.volumes['scratch']!.hostPath;
      const c = {
        name: 'app',
        volumeMounts: [
          { name: 'scratch', mountPath: '/data' },
          { name: 'scratch', mountPath: '/logs', subPathExpr: 'logs/$(POD_NAME)', readOnly: true },
          { name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' },
          { name: 'cfg', mountPath: '/etc/cfg' },
        ],
      };
      const mounts = mountsFor(c, prepared, { env: [{ name: 'POD_NAME', value: 'p-1' }] });
      const gen = fs.readlinkSync(path.join(prepared.volumes['cfg']!.hostPath, '..data'));
      assert.deepEqual(mounts, [
        { containerPath: '/data', hostPath: scratch, readOnly: false },
        { containerPath: '/logs', hostPath: path.join(fs.realpathSync(scratch), 'logs/p-1'), readOnly: true },
        { containerPath: '/etc/app.conf', hostPath: path.join(fs.realpathSync(prepared.volumes['cfg']!.hostPath), gen, 'app.conf'), readOnly: true },
        { containerPath: '/etc/cfg', hostPath: prepared.volumes['cfg']!.hostPath, readOnly: true },
      ]);
      assert.ok(fs.statSync(path.join(scratch, 'logs/p-1')).isDirectory(), 'subPath directory created');

      fs.symlinkSync('/etc', path.join(scratch, 'escape'));
      assert.throws(() => mountsFor({ name: 'app', volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: 'escape' }] }, prepared), (e: unknown) => e instanceof VolumeError && e.code === 'SubPath' && /outside the volume/.test(e.message));
      assert.throws(() => mountsFor({ name: 'app', volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: '../up' }] }, prepared), (e: unknown) => e instanceof VolumeError && e.code === 'SubPath');
      assert.throws(() => mountsFor({ name: 'app', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, prepared), { message: 'cannot find volume "nope" to mount into container "app"' });
    } finally {
      await cleanupVolumes(p.metadata.uid, host);
    }
  });
});
