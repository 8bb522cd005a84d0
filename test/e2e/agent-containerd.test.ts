/**
 * The node agent on real containers: a real `bramble server`, and an
 * AgentHost in this process on the containerd runtime (our supervised
 * containerd, runc, the CNI bridge from the node's podCIDR), driven through
 * the API with stock kubectl. Images are the offline test images
 * (scripts/build-test-images.ts), side-loaded from `<dataDir>/agent/images`.
 *
 * containerd, and so the `cni0` bridge, masquerade rules and every pod
 * network, run inside a network namespace this test creates: "the host"
 * that reaches pod IPs is that namespace (`ip netns exec`), so no traffic
 * touches the machine's own network.
 *
 * Needs root. Everything is removed in `after`, even on failure: pods'
 * sandboxes, containerd, shims, mounts, cgroups, the namespace (with the
 * bridge and CNI state in it), the server and the directories.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HttpClient } from '../../src/client/http.ts';
import { resources, type Obj } from '../../src/client/types.ts';
import { killShims, removeCgroupTree, unmountUnder } from '../../src/agent/containerd/cleanup.ts';
import { clientLookup } from '../../src/agent/env/index.ts';
import { AgentHost } from '../../src/agent/host.ts';
import { hostNodeConfig } from '../../src/agent/node/host-config.ts';
import { openContainerdRuntime, type ContainerdNodeRuntime } from '../../src/agent/runtime/cri/containerd-runtime.ts';
import { setLogLevel } from '../../src/util/log.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const BUSYBOX = 'bramble.local/busybox:latest';
const netns = `bramble-ac-${process.pid}`;
const cgroupRoot = `bramble-ac-${process.pid}`;
const nodeName = `ctd-${process.pid}`;
let dir = '';
let server: TestServer | undefined;
let client: HttpClient | undefined;
let ctd: ContainerdNodeRuntime | undefined;
let host: AgentHost | undefined;
const figures: Record<string, string> = {};

async function startAgent(): Promise<void> {
  ctd = await openContainerdRuntime({ dataDir: path.join(dir, 'node'), netnsPath: `/var/run/netns/${netns}`, cgroupRoot, imageScanMs: 0, relistMs: 500 });
  const v = await ctd.runtime.version();
  const config = hostNodeConfig({ name: nodeName, internalIP: '127.0.0.1', labels: {}, taints: [], dataDir: dir, containerRuntimeVersion: `${v.runtimeName}://${v.runtimeVersion}` });
  const rt = ctd;
  host = new AgentHost({
    client: client!,
    nodes: [{ config, fallbackPodCIDR: '10.215.0.0/24' }],
    runtimeFor: () => rt,
    podFieldSelector: `spec.nodeName=${nodeName}`,
    nodeSelector: { fieldSelector: `metadata.name=${nodeName}` },
    podSync: { lookup: clientLookup(client!) },
  });
  await host.start();
}

/** Stops the agent and its containerd as a crash would leave things: containers keep running. */
async function stopAgent(): Promise<void> {
  await host?.stop();
  host = undefined;
  await ctd?.close();
}

async function teardown(): Promise<void> {
  await host?.stop().catch(() => {});
  host = undefined;
  if (ctd) {
    try {
      if (!ctd.containerd?.pid) await ctd.containerd?.waitReady(5000).catch(() => {});
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
  client?.close();
  await server?.stop();
  if (dir) unmountUnder(dir);
  removeCgroupTree(cgroupRoot);
  if (fs.existsSync(`/var/run/netns/${netns}`)) spawnSync('ip', ['netns', 'del', netns]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

const pod = (name: string, spec: Obj): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, terminationGracePeriodSeconds: 2, ...spec } });

async function waitPod(name: string, what: string, ok: (p: Obj) => boolean, timeoutMs = 60_000): Promise<Obj> {
  const deadline = Date.now() + timeoutMs;
  let last: Obj | undefined;
  for (;;) {
    last = await client!.get(resources.pods, 'default', name).catch(() => undefined);
    if (last && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`pod ${name}: timed out waiting for ${what}; status ${JSON.stringify(last?.['status'])}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const inNetns = (cmd: string) => spawnSync('ip', ['netns', 'exec', netns, '/usr/bin/busybox', 'sh', '-c', cmd], { encoding: 'utf8', timeout: 15_000 });

before(async () => {
  if (!process.env.BRAMBLE_TEST_DEBUG) setLogLevel('warn');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bac-'));
  try {
    execFileSync(path.join(repo, 'node_modules/.bin/node'), [path.join(repo, 'scripts/build-test-images.ts'), '--out', path.join(dir, 'built')], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.mkdirSync(path.join(dir, 'node', 'agent', 'images'), { recursive: true });
    fs.copyFileSync(path.join(dir, 'built', 'busybox.tar'), path.join(dir, 'node', 'agent', 'images', 'busybox.tar'));
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    server = await startServer();
    client = HttpClient.fromKubeconfig(server.kubeconfig);
    await startAgent();
  } catch (e) {
    await teardown();
    throw e;
  }
});

after(async () => {
  await teardown();
  for (const [k, v] of Object.entries(figures)) console.log(`# ${k}: ${v}`);
});

describe('node agent on containerd', () => {
  let podCIDR = '';
  let webIP = '';

  it('registers Ready with the pod CIDR the server allocated', async () => {
    const deadline = Date.now() + 60_000;
    let node: Obj | undefined;
    for (;;) {
      node = await client!.get(resources.nodes, '', nodeName).catch(() => undefined);
      const ready = node?.['status']?.conditions?.find((c: Obj) => c['type'] === 'Ready')?.status === 'True';
      if ((ready && node?.['spec']?.podCIDR) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    podCIDR = node?.['spec']?.podCIDR;
    assert.match(podCIDR, /^10\.42\.\d+\.0\/24$/);
    assert.match(node!['status'].nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\.6/);
  });

  it('runs a busybox httpd pod with a sidecar: Running, an IP from the podCIDR, served to the host and to the sidecar on localhost', async () => {
    const t0 = performance.now();
    await client!.create(resources.pods, 'default', pod('web', {
      containers: [
        { name: 'httpd', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', env: [{ name: 'MSG', value: 'hello-from-pod' }], command: ['sh', '-c', 'mkdir -p /www && echo $(MSG) > /www/index.html && exec httpd -f -p 80 -h /www'], ports: [{ containerPort: 80 }] },
        { name: 'sidecar', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '1000'] },
      ],
    }));
    const p = await waitPod('web', 'Running and Ready', (x) => x['status']?.phase === 'Running' && x['status'].conditions?.some((c: Obj) => c['type'] === 'Ready' && c['status'] === 'True'));
    figures['pod create → Running and Ready (2 containers, image present)'] = `${Math.round(performance.now() - t0)} ms`;
    webIP = p['status'].podIP;
    const prefix = podCIDR.split('.').slice(0, 3).join('.') + '.';
    assert.ok(webIP.startsWith(prefix), `pod IP ${webIP} in ${podCIDR}`);
    const statuses = p['status'].containerStatuses as Obj[];
    assert.deepEqual(statuses.map((s) => [s['name'], s['restartCount'], !!s['state'].running]), [['httpd', 0, true], ['sidecar', 0, true]]);
    assert.match(statuses[0]!['containerID'], /^containerd:\/\/[0-9a-f]{64}$/);
    assert.match(statuses[0]!['imageID'], /^sha256:/);
    // From "the host" (the namespace containerd and the bridge live in).
    let r = inNetns(`printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /usr/bin/busybox nc -w 3 ${webIP} 80`);
    for (let i = 0; i < 20 && !r.stdout.includes('hello-from-pod'); i++) {
      await new Promise((res) => setTimeout(res, 250));
      r = inNetns(`printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /usr/bin/busybox nc -w 3 ${webIP} 80`);
    }
    assert.match(r.stdout, /200 OK[\s\S]*hello-from-pod/, r.stderr);
    // The sidecar shares the pod's network namespace.
    const sidecarId = String(statuses[1]!['containerID']).replace('containerd://', '');
    const viaLo = await ctd!.runtime.execSync(sidecarId, ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 127.0.0.1 80`], 10);
    assert.match(viaLo.stdout.toString(), /hello-from-pod/);
    const resolv = (await ctd!.runtime.execSync(sidecarId, ['cat', '/etc/resolv.conf'], 10)).stdout.toString();
    assert.match(resolv, /nameserver 10\.43\.0\.10/);
    assert.match(resolv, /search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/);
    // The log file is where ContainerStatus.logPath says, under the agent's pod-logs layout.
    const [c] = (await ctd!.runtime.listContainers({ podUid: p['metadata'].uid })).filter((x) => x.metadata.name === 'httpd');
    assert.equal(c?.logPath, path.join(dir, 'node', 'agent', 'pod-logs', `default_web_${p['metadata'].uid}`, 'httpd', '0.log'));
  });

  it('a crashing container goes to CrashLoopBackOff with growing delays', async () => {
    await client!.create(resources.pods, 'default', pod('crash', { containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'exit 3'] }] }));
    const seen = new Map<number, number>();
    const p = await waitPod('crash', 'restartCount 2 in CrashLoopBackOff', (x) => {
      const s = x['status']?.containerStatuses?.[0];
      if (s && !seen.has(s['restartCount'])) seen.set(s['restartCount'], Date.now());
      return s?.restartCount >= 2 && s.state?.waiting?.reason === 'CrashLoopBackOff';
    }, 90_000);
    const s = p['status'].containerStatuses[0];
    assert.equal(s.lastState.terminated.exitCode, 3);
    assert.equal(s.lastState.terminated.reason, 'Error');
    assert.match(s.state.waiting.message, /back-off (10|20)s restarting failed container=c/);
    const gap = seen.get(2)! - seen.get(1)!;
    figures['crash loop: restart 1 → 2'] = `${gap} ms`;
    assert.ok(gap >= 9_000, `second restart waited the 10 s back-off (${gap} ms)`);
  });

  it('a container over its memory limit is OOMKilled', async () => {
    await client!.create(resources.pods, 'default', pod('oom', { restartPolicy: 'Never', containers: [{ name: 'hog', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['tail', '/dev/zero'], resources: { limits: { memory: '32Mi' } } }] }));
    const p = await waitPod('oom', 'Failed', (x) => x['status']?.phase === 'Failed');
    const t = p['status'].containerStatuses[0].state.terminated;
    assert.equal(t.reason, 'OOMKilled');
    assert.equal(t.exitCode, 137);
  });

  it('a pull that cannot work reports ErrImagePull then ImagePullBackOff with the registry\'s message', async () => {
    await client!.create(resources.pods, 'default', pod('nopull', { containers: [{ name: 'x', image: '127.0.0.1:9/none:1' }] }));
    const p1 = await waitPod('nopull', 'ErrImagePull', (x) => x['status']?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull', 60_000);
    assert.match(p1['status'].containerStatuses[0].state.waiting.message, /127\.0\.0\.1:9/);
    await waitPod('nopull', 'ImagePullBackOff', (x) => x['status']?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff', 60_000);
  });

  it('a restarted agent (and containerd) adopts running containers: no restart, no duplicate', async () => {
    const before = await client!.get(resources.pods, 'default', 'web');
    const uid = before['metadata'].uid;
    const ids = (before['status'].containerStatuses as Obj[]).map((s) => s['containerID']);
    await stopAgent();
    // While the agent is down, the pod keeps serving.
    assert.match(inNetns(`printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /usr/bin/busybox nc -w 3 ${webIP} 80`).stdout, /hello-from-pod/);
    await startAgent();
    // Give the loop a few syncs: it must find everything as it was.
    await new Promise((r) => setTimeout(r, 4_000));
    const after = await client!.get(resources.pods, 'default', 'web');
    assert.deepEqual((after['status'].containerStatuses as Obj[]).map((s) => [s['containerID'], s['restartCount']]), ids.map((id) => [id, 0]));
    const listed = await ctd!.runtime.listContainers({ podUid: uid });
    assert.equal(listed.length, 2, 'no duplicate containers');
    assert.equal((await ctd!.runtime.listPodSandboxes({ podUid: uid })).length, 1, 'no second sandbox');
  });

  it('deleting pods removes their containers and sandboxes', async () => {
    const uids: string[] = [];
    for (const name of ['web', 'crash', 'oom', 'nopull']) {
      uids.push((await client!.get(resources.pods, 'default', name))['metadata'].uid);
      await client!.delete(resources.pods, 'default', name);
    }
    const deadline = Date.now() + 60_000;
    for (const name of ['web', 'crash', 'oom', 'nopull']) {
      while ((await client!.get(resources.pods, 'default', name).catch(() => undefined)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    }
    // The API object goes first; the sandbox is removed right after.
    const left = async () => {
      let n = 0;
      for (const uid of uids) n += (await ctd!.runtime.listContainers({ podUid: uid })).length + (await ctd!.runtime.listPodSandboxes({ podUid: uid })).length;
      return n;
    };
    while ((await left()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.equal(await left(), 0, 'no container or sandbox of a deleted pod is left');
    assert.notEqual(inNetns(`/usr/bin/busybox nc -w 2 ${webIP} 80 </dev/null`).status, 0, 'the pod IP no longer answers');
  });
});
