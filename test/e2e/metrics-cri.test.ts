/**
 * The agent's stats provider on real containers: our supervised containerd
 * (1.6), the offline busybox test image, one host-network pod with a
 * container burning CPU and one sleeping. The Summary must show the busy
 * container near a core and the idle one near zero, pod totals from the
 * sandbox cgroup, and the server's collector must turn two summaries into
 * the same rates metrics.k8s.io serves.
 *
 * Needs root and the Debian packages of scripts/install-deps.sh (run when
 * missing). Everything created is removed in `after`, even on failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectCri, type CriClient, type In, type PodSandboxConfig } from '../../src/agent/cri/index.ts';
import { killShims, removeCgroupTree, unmountUnder } from '../../src/agent/containerd/cleanup.ts';
import { startContainerd, type ContainerdHandle } from '../../src/agent/containerd/supervisor.ts';
import { importImages } from '../../src/agent/images/import.ts';
import { PAUSE_IMAGE } from '../../src/agent/images/pause.ts';
import { createStatsProvider } from '../../src/agent/stats/provider.ts';
import type { Summary } from '../../src/agent/stats/types.ts';
import { MetricsCollector } from '../../src/apiserver/metrics/collector.ts';
import { setLogLevel } from '../../src/util/log.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const node = path.join(repo, 'node_modules/.bin/node');
const BUSYBOX = 'bramble.local/busybox:latest';
const id = `${process.pid}`;
const cgroupRoot = `bramble-metrics-${id}`;
const UID = `uid-metrics-${id}`;

let dir = '';
let containerd: ContainerdHandle | undefined;
let cri: CriClient | undefined;

const sandboxConfig = (): In<PodSandboxConfig> => ({
  metadata: { name: 'busy', namespace: 'default', uid: UID, attempt: 0 },
  logDirectory: path.join(dir, 'pods', 'busy'),
  labels: { suite: `metrics-${id}` },
  linux: { cgroupParent: `/${cgroupRoot}/busy`, securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
});

async function teardown(): Promise<void> {
  if (cri && containerd?.pid) {
    for (const sb of await cri.runtime.listPodSandbox(undefined, { timeoutMs: 10_000 }).catch(() => [])) {
      await cri.runtime.stopPodSandbox(sb.id, { timeoutMs: 30_000 }).catch(() => {});
      await cri.runtime.removePodSandbox(sb.id, { timeoutMs: 30_000 }).catch(() => {});
    }
  }
  await cri?.close();
  cri = undefined;
  const socket = containerd?.socketPath;
  await containerd?.stop();
  containerd = undefined;
  if (socket) await killShims(socket);
  if (dir) unmountUnder(dir);
  removeCgroupTree(cgroupRoot);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

before(async () => {
  const need = ['/usr/bin/containerd', '/usr/bin/ctr', '/usr/sbin/runc', '/bin/busybox'];
  if (!need.every((f) => fs.existsSync(f))) execFileSync('bash', [path.join(repo, 'scripts/install-deps.sh')], { stdio: 'inherit' });
  if (!process.env['BRAMBLE_TEST_DEBUG']) setLogLevel('warn');
  // Short: the socket path must stay under 108 bytes.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bmet-'));
  try {
    execFileSync(node, [path.join(repo, 'scripts/build-test-images.ts'), '--out', path.join(dir, 'images')], { stdio: ['ignore', 'ignore', 'inherit'] });
    containerd = await startContainerd({ dataDir: dir, sandboxImage: PAUSE_IMAGE });
    await importImages({ address: containerd.socketPath, files: [path.join(dir, 'images', 'pause.tar'), path.join(dir, 'images', 'busybox.tar')], snapshotter: containerd.snapshotter });
    cri = connectCri(containerd.socketPath);
  } catch (e) {
    await teardown();
    throw e;
  }
});

after(async () => {
  await teardown();
});

describe('stats from containerd', { timeout: 120_000 }, () => {
  it('a busy and an idle container: Summary figures and metrics-server rates', async () => {
    const sb = await cri!.runtime.runPodSandbox(sandboxConfig());
    for (const [name, cmd] of [
      ['burn', 'while :; do :; done'],
      ['idle', 'sleep 1000'],
    ]) {
      const cid = await cri!.runtime.createContainer(sb, { metadata: { name }, image: { image: BUSYBOX }, command: ['sh', '-c', cmd!], logPath: `${name}/0.log` }, sandboxConfig());
      await cri!.runtime.startContainer(cid);
    }
    const provider = createStatsProvider({ nodeName: 'metrics-node', dataDir: dir, cri: cri!.runtime });
    await new Promise((r) => setTimeout(r, 500));
    const s1 = await provider.summary();
    await new Promise((r) => setTimeout(r, 2_000));
    const s2 = await provider.summary();

    const pod = (s: Summary) => s.pods.find((p) => p.podRef.uid === UID)!;
    const p2 = pod(s2);
    assert.deepEqual(p2.podRef, { name: 'busy', namespace: 'default', uid: UID });
    assert.deepEqual(p2.containers.map((c) => c.name), ['burn', 'idle']);
    const rate = (name: string) => {
      const a = pod(s1).containers.find((c) => c.name === name)!.cpu!;
      const b = p2.containers.find((c) => c.name === name)!.cpu!;
      return ((b.usageCoreNanoSeconds! - a.usageCoreNanoSeconds!) * 1000) / (Date.parse(b.time) - Date.parse(a.time));
    };
    const burn = rate('burn');
    const idle = rate('idle');
    // Two cores shared with other work: the loop gets a good part of one, never more than one.
    assert.ok(burn > 0.2e9 && burn < 1.1e9, `burn ${burn} nanocores`);
    assert.ok(idle < 0.02e9, `idle ${idle} nanocores`);
    for (const c of p2.containers) assert.ok(c.memory!.workingSetBytes! > 0, `${c.name} working set`);
    assert.ok(p2.cpu!.usageCoreNanoSeconds! >= p2.containers[0]!.cpu!.usageCoreNanoSeconds!, 'sandbox cgroup CPU covers its containers');
    assert.ok(p2.memory!.workingSetBytes! > 0);
    // The node: the host's /proc figures, its rate from the two summaries.
    assert.ok(s2.node.cpu!.usageNanoCores! > 0.2e9, `node rate ${s2.node.cpu!.usageNanoCores}`);
    assert.ok(s2.node.memory!.workingSetBytes! > 0 && s2.node.fs!.capacityBytes! > 0);

    // The server side over the same provider: what `kubectl top pods` would print.
    const readyNode = { metadata: { name: 'metrics-node' }, status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] } };
    const collector = new MetricsCollector({ source: { fetch: () => provider.summary() }, listNodes: async () => [readyNode], coldGapMs: 1_000 });
    try {
      const snap = await collector.get();
      const m = snap.pods.get(UID)!;
      assert.ok(m, 'pod metrics');
      const byName = Object.fromEntries(m.containers.map((c) => [c.name, c.usage]));
      assert.ok(byName['burn']!.cpu > 0.2e9, `burn ${byName['burn']!.cpu}`);
      assert.ok(byName['idle']!.cpu < 0.02e9, `idle ${byName['idle']!.cpu}`);
      assert.ok(snap.nodes.get('metrics-node')!.usage.memory > 0);
    } finally {
      collector.stop();
    }
  });
});
