/**
 * The runtime conformance suite on the CRI runtime against a real,
 * supervised containerd (runc, CNI bridge + host-local), started through
 * openContainerdRuntime in a temporary data directory, with the offline
 * busybox image side-loaded from `<dataDir>/agent/images`.
 *
 * containerd runs inside a network namespace this test creates, so the
 * bridge, masquerade rules and pod traffic never touch the host's network.
 * Needs root. Everything is removed in `after`, even on failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { killShims, removeCgroupTree, unmountUnder } from '../../containerd/cleanup.ts';
import { setLogLevel } from '../../../util/log.ts';
import { runRuntimeSuite } from '../runtime.suite.ts';
import { CriRuntime } from './cri-runtime.ts';
import { openContainerdRuntime, type ContainerdNodeRuntime } from './containerd-runtime.ts';
import { LABEL_POD_UID } from './labels.ts';

const repo = path.resolve(import.meta.dirname, '../../../..');
const BUSYBOX = 'bramble.local/busybox:latest';
const netns = `bramble-rt-${process.pid}`;
const cgroupRoot = `bramble-rt-${process.pid}`;
let dir = '';
let ctd: ContainerdNodeRuntime | undefined;
const runtimes: CriRuntime[] = [];

async function teardown(): Promise<void> {
  for (const r of runtimes) await r.close();
  if (ctd) {
    try {
      for (const sb of await ctd.cri.runtime.listPodSandbox(undefined, { timeoutMs: 10_000 })) {
        await ctd.cri.runtime.stopPodSandbox(sb.id, { timeoutMs: 30_000 });
        await ctd.cri.runtime.removePodSandbox(sb.id, { timeoutMs: 30_000 });
      }
    } catch (e) {
      console.error('sandbox cleanup failed', e);
    }
    const socket = ctd.socketPath;
    await ctd.close();
    await killShims(socket);
    ctd = undefined;
  }
  if (dir) unmountUnder(dir);
  removeCgroupTree(cgroupRoot);
  if (fs.existsSync(`/var/run/netns/${netns}`)) spawnSync('ip', ['netns', 'del', netns]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

before(async () => {
  if (!process.env.BRAMBLE_TEST_DEBUG) setLogLevel('warn');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bcrt-'));
  try {
    const images = path.join(dir, 'agent', 'images');
    execFileSync(path.join(repo, 'node_modules/.bin/node'), [path.join(repo, 'scripts/build-test-images.ts'), '--out', path.join(dir, 'built')], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.mkdirSync(images, { recursive: true });
    fs.copyFileSync(path.join(dir, 'built', 'busybox.tar'), path.join(images, 'busybox.tar'));
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    ctd = await openContainerdRuntime({ dataDir: dir, netnsPath: `/var/run/netns/${netns}`, cgroupRoot, imageScanMs: 0, relistMs: 200 });
  } catch (e) {
    await teardown();
    throw e;
  }
});

after(teardown);

function make(): CriRuntime {
  const r = new CriRuntime({ cri: ctd!.cri, dataDir: dir, cgroupRoot, relistMs: 200, configureNetwork: (cidr) => ctd!.runtime['o'].configureNetwork?.(cidr) });
  runtimes.push(r);
  return r;
}

runRuntimeSuite('cri (containerd)', { make, image: BUSYBOX, podCIDR: '10.214.3.0/24', networkNeedsCIDR: true, realProcesses: true });

describe('CRI runtime specifics', () => {
  it('imported the side-loaded image and reports containerd', async () => {
    const rt = make();
    assert.equal((await rt.version()).runtimeName, 'containerd');
    assert.match((await rt.imageStatus(BUSYBOX))!.ref, /^sha256:/);
    assert.equal(await rt.imageStatus('bramble.local/absent:1'), undefined);
    await assert.rejects(rt.pullImage('127.0.0.1:9/absent:1', { username: 'u', password: 'p' }), /pull 127\.0\.0\.1:9\/absent:1: .*(connect|refused|dial)/i);
  });

  it('labels sandboxes and containers so a new runtime instance adopts them, and sees exits by relisting', async () => {
    const first = make();
    await first.updateRuntimeConfig({ podCIDR: '10.214.3.0/24' });
    const meta = { name: 'adopt', namespace: 'ns1', uid: `adopt-${process.pid}`, attempt: 0 };
    const sb = await first.runPodSandbox({ metadata: meta, hostname: 'adopt', labels: { app: 'x' }, annotations: { note: 'kept' }, hostNetwork: false });
    // Exits by itself once told to through a file (init in a pid namespace ignores signals it has no handler for).
    const id = await first.createContainer(sb, { metadata: { name: 'main', attempt: 0 }, image: BUSYBOX, command: ['sh', '-c', 'while [ ! -f /tmp/stop ]; do sleep 0.1; done; exit 4'] });
    await first.startContainer(id);
    const cs = (await ctd!.cri.runtime.listContainers({ id }))[0]!;
    assert.equal(cs.labels[LABEL_POD_UID], meta.uid);
    assert.equal(cs.labels['io.kubernetes.container.name'], 'main');

    // A restarted agent: a fresh instance with no memory of the above.
    const second = make();
    const [s] = await second.listPodSandboxes({ podUid: meta.uid });
    assert.equal(s?.id, sb);
    assert.deepEqual(s.metadata, meta);
    assert.deepEqual(s.annotations, { note: 'kept' }, 'our stored config is not shown as a pod annotation');
    const [c] = await second.listContainers({ podUid: meta.uid });
    assert.equal(c?.id, id);
    assert.equal(c.state, 'running');
    assert.equal(c.image, 'bramble.local/busybox:latest');
    // It can add containers to the adopted sandbox (the stored sandbox config is sent again).
    const events: string[] = [];
    const off = second.onContainerEvent((e) => e.pod.uid === meta.uid && events.push(`${e.type}:${e.containerId === id ? 'main' : 'other'}`));
    const side = await second.createContainer(sb, { metadata: { name: 'side', attempt: 0 }, image: BUSYBOX, command: ['sleep', '1000'] });
    await second.startContainer(side);
    // An exit nobody asked for through this runtime shows up by relisting.
    assert.equal((await ctd!.cri.runtime.execSync(id, ['touch', '/tmp/stop'], 10)).exitCode, 0);
    const deadline = Date.now() + 10_000;
    while (!events.includes('stopped:main') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    off();
    assert.ok(events.includes('stopped:main'), events.join(','));
    assert.ok(events.includes('created:other') && events.includes('started:other'), events.join(','));
    const exited = (await second.listContainers({ podUid: meta.uid })).find((x) => x.id === id);
    assert.equal(exited?.exitCode, 4);
    assert.equal(exited.reason, 'Error');
    await second.stopPodSandbox(sb);
    await second.removePodSandbox(sb);
    assert.equal((await second.listContainers({ podUid: meta.uid })).length, 0);
    assert.ok(!fs.existsSync(path.join(dir, 'agent', 'pod-logs', `ns1_adopt_${meta.uid}`)), 'pod logs removed with the last sandbox');
  });
});
