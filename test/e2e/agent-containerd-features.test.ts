/**
 * Pod volumes and probes on real containers: a real `bramble server`, and
 * an AgentHost in this process on the containerd runtime with volumes
 * (`podsDir` under the node's data dir) and probes turned on, as
 * agent-containerd.test.ts sets it up: containerd, the CNI bridge and
 * every pod network live in a network namespace this test makes.
 *
 * The agent (this process) is not in that namespace, so httpGet probes
 * reach pod IPs through a dialer that runs `nc` inside it (the probes'
 * `connect` seam); exec probes go through CRI ExecSync as always.
 * The periodic re-sync is 2 s here (60 s in the agent) so a ConfigMap
 * update shows without waiting a minute.
 *
 * Needs root. Everything is removed in `after`, even on failure: sandboxes,
 * containerd and its shims, every mount under the test's directory (the
 * pods' tmpfs volumes included), cgroups, the namespace, the server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
import { netnsConnector } from '../harness/netns.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const BUSYBOX = 'bramble.local/busybox:latest';
const netns = `bramble-af-${process.pid}`;
const cgroupRoot = `bramble-af-${process.pid}`;
const nodeName = `ctf-${process.pid}`;
let dir = '';
let podsDir = '';
let server: TestServer | undefined;
let client: HttpClient | undefined;
let ctd: ContainerdNodeRuntime | undefined;
let host: AgentHost | undefined;
const helpers = new Set<ChildProcess>();
const figures: Record<string, string> = {};

/** TCP connections made inside the test's network namespace. */
const netnsConnect = netnsConnector(netns, helpers);

async function teardown(): Promise<void> {
  await host?.stop().catch(() => {});
  host = undefined;
  for (const c of helpers) c.kill('SIGKILL');
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
  client?.close();
  await server?.stop();
  if (dir) unmountUnder(dir);
  removeCgroupTree(cgroupRoot);
  if (fs.existsSync(`/var/run/netns/${netns}`)) spawnSync('ip', ['netns', 'del', netns]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

const pod = (name: string, spec: Obj): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, terminationGracePeriodSeconds: 2, ...spec } });
const sleeper = (name: string, extra: Obj = {}): Obj => ({ name, image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], ...extra });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function waitPod(name: string, what: string, ok: (p: Obj) => boolean, timeoutMs = 60_000): Promise<Obj> {
  let last: Obj | undefined;
  try {
    return await waitFor(`pod ${name}: ${what}`, async () => {
      last = await client!.get(resources.pods, 'default', name);
      return ok(last) ? last : undefined;
    }, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}; status ${JSON.stringify(last?.['status'])}`);
  }
}

const condition = (p: Obj, type: string) => (p['status']?.conditions as Obj[] | undefined)?.find((c) => c['type'] === type)?.['status'];
const running = (p: Obj) => p['status']?.phase === 'Running' && (p['status'].containerStatuses as Obj[]).every((s) => s['state']?.running);
const containerId = (p: Obj, name: string) => String((p['status'].containerStatuses as Obj[]).find((s) => s['name'] === name)!['containerID']).replace('containerd://', '');

/** Runs a command in a container of a pod; its stdout (trimmed). Fails on a non-zero exit. */
async function exec(p: Obj, container: string, cmd: string[]): Promise<string> {
  const r = await ctd!.runtime.execSync(containerId(p, container), cmd, 10);
  assert.equal(r.exitCode, 0, `${cmd.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

async function podEvents(name: string): Promise<Obj[]> {
  return (await client!.list(resources.events, 'default')).items.filter((e) => e['involvedObject']?.name === name);
}

/** Waits for an event of the pod with this reason whose message matches. */
async function waitEvent(name: string, reason: string, message: RegExp, timeoutMs = 30_000): Promise<Obj> {
  return waitFor(`event ${reason} ${message} on ${name}`, async () => (await podEvents(name)).find((e) => e['reason'] === reason && message.test(e['message'])), timeoutMs);
}

before(async () => {
  if (!process.env.BRAMBLE_TEST_DEBUG) setLogLevel('warn');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baf-'));
  podsDir = path.join(dir, 'node', 'agent', 'pods');
  try {
    execFileSync(path.join(repo, 'node_modules/.bin/node'), [path.join(repo, 'scripts/build-test-images.ts'), '--out', path.join(dir, 'built')], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.mkdirSync(path.join(dir, 'node', 'agent', 'images'), { recursive: true });
    fs.copyFileSync(path.join(dir, 'built', 'busybox.tar'), path.join(dir, 'node', 'agent', 'images', 'busybox.tar'));
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    server = await startServer();
    client = HttpClient.fromKubeconfig(server.kubeconfig);
    ctd = await openContainerdRuntime({ dataDir: path.join(dir, 'node'), netnsPath: `/var/run/netns/${netns}`, cgroupRoot, imageScanMs: 0, relistMs: 500 });
    const v = await ctd.runtime.version();
    const config = hostNodeConfig({ name: nodeName, internalIP: '127.0.0.1', labels: {}, taints: [], dataDir: dir, containerRuntimeVersion: `${v.runtimeName}://${v.runtimeVersion}` });
    const rt = ctd;
    host = new AgentHost({
      client,
      nodes: [{ config, fallbackPodCIDR: '10.216.0.0/24' }],
      runtimeFor: () => rt,
      podFieldSelector: `spec.nodeName=${nodeName}`,
      nodeSelector: { fieldSelector: `metadata.name=${nodeName}` },
      resyncMs: 2_000,
      podSync: { lookup: clientLookup(client), podsDir, probes: { connect: netnsConnect } },
    });
    await host.start();
    await waitFor('node Ready with a pod CIDR', async () => {
      const n = await client!.get(resources.nodes, '', nodeName);
      return n['spec']?.podCIDR && (n['status']?.conditions as Obj[]).some((c) => c['type'] === 'Ready' && c['status'] === 'True') ? n : undefined;
    });
  } catch (e) {
    await teardown();
    throw e;
  }
});

after(async () => {
  await teardown();
  for (const [k, v] of Object.entries(figures)) console.log(`# ${k}: ${v}`);
});

describe('pod volumes on containerd', () => {
  it('a ConfigMap as a volume and as env (envFrom, configMapKeyRef) shows its values; an update reaches the file', async () => {
    await client!.create(resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config' }, data: { greeting: 'hello', color: 'blue' } });
    await client!.create(resources.pods, 'default', pod('cm', {
      containers: [{
        ...sleeper('app'),
        command: ['sh', '-c', 'echo "env greeting=$GREETING color=$CFG_color"; echo "file $(cat /etc/config/greeting)"; exec sleep 3600'],
        envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'app-config' } }],
        env: [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'greeting' } } }],
        volumeMounts: [{ name: 'config', mountPath: '/etc/config' }],
      }],
      volumes: [{ name: 'config', configMap: { name: 'app-config' } }],
    }));
    const p = await waitPod('cm', 'Running', running);
    // The container's own view at start, from its log file.
    const [c] = await ctd!.runtime.listContainers({ podUid: p['metadata'].uid });
    const log = await waitFor('the container output', async () => {
      const text = fs.readFileSync(c!.logPath!, 'utf8');
      return text.includes('file ') ? text : undefined;
    });
    assert.match(log, /stdout F env greeting=hello color=blue/);
    assert.match(log, /stdout F file hello/);
    assert.equal(await exec(p, 'app', ['cat', '/etc/config/color']), 'blue');
    assert.equal(await exec(p, 'app', ['ls', '/etc/config']), 'color\ngreeting');
    // Mounted read-only, as upstream mounts API data volumes.
    const w = await ctd!.runtime.execSync(containerId(p, 'app'), ['sh', '-c', 'echo x > /etc/config/new'], 10);
    assert.notEqual(w.exitCode, 0);
    assert.match(w.stderr.toString(), /Read-only file system/);

    const cm = await client!.get(resources.configmaps, 'default', 'app-config');
    const t0 = Date.now();
    await client!.update(resources.configmaps, 'default', { ...cm, data: { greeting: 'bonjour', color: 'blue' } });
    await waitFor('the mounted file to change', async () => ((await exec(p, 'app', ['cat', '/etc/config/greeting'])) === 'bonjour' ? true : undefined), 20_000);
    figures['ConfigMap update → mounted file changed (re-sync 2 s)'] = `${Date.now() - t0} ms`;
    // The environment is fixed at container start, as upstream.
    assert.match(await exec(p, 'app', ['env']), /^GREETING=hello$/m);
    const after = await client!.get(resources.pods, 'default', 'cm');
    assert.equal(after['status'].containerStatuses[0].restartCount, 0, 'an update does not restart the container');
  });

  it('a Secret volume has mode 0644 files by default (0400 with defaultMode) on tmpfs', async () => {
    await client!.create(resources.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { password: Buffer.from('s3cret').toString('base64') } });
    await client!.create(resources.pods, 'default', pod('sec', {
      containers: [sleeper('app', { volumeMounts: [{ name: 'creds', mountPath: '/etc/creds' }, { name: 'creds-ro', mountPath: '/etc/creds-ro' }] })],
      volumes: [{ name: 'creds', secret: { secretName: 'creds' } }, { name: 'creds-ro', secret: { secretName: 'creds', defaultMode: 0o400 } }],
    }));
    const p = await waitPod('sec', 'Running', running);
    assert.equal(await exec(p, 'app', ['cat', '/etc/creds/password']), 's3cret');
    // The key is a symlink into ..data (the atomic writer); its target carries the mode.
    assert.match(await exec(p, 'app', ['ls', '-l', '/etc/creds/password']), /-> \.\.data\/password/);
    assert.equal(await exec(p, 'app', ['stat', '-L', '-c', '%a', '/etc/creds/password']), '644');
    assert.equal(await exec(p, 'app', ['stat', '-L', '-c', '%a', '/etc/creds-ro/password']), '400');
    // On the host the secret lives on a tmpfs under the pod's directory, never on the disk.
    const volDir = path.join(podsDir, p['metadata'].uid, 'volumes', 'kubernetes.io~secret', 'creds');
    const mount = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === volDir);
    assert.match(mount ?? '', / - tmpfs /, `a tmpfs at ${volDir}`);
  });

  it('an emptyDir is shared between two containers; a Memory emptyDir is a tmpfs', async () => {
    await client!.create(resources.pods, 'default', pod('shared', {
      containers: [
        sleeper('writer', { command: ['sh', '-c', 'echo written-by-writer > /cache/msg; exec sleep 3600'], volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }),
        sleeper('reader', { volumeMounts: [{ name: 'cache', mountPath: '/data' }, { name: 'mem', mountPath: '/mem' }] }),
      ],
      volumes: [{ name: 'cache', emptyDir: {} }, { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }],
    }));
    const p = await waitPod('shared', 'Running', running);
    const seen = await waitFor('the writer\'s file in the reader', async () => {
      const r = await ctd!.runtime.execSync(containerId(p, 'reader'), ['cat', '/data/msg'], 10);
      return r.exitCode === 0 ? r.stdout.toString().trim() : undefined;
    }, 15_000);
    assert.equal(seen, 'written-by-writer');
    const mem = await exec(p, 'reader', ['grep', ' /mem ', '/proc/mounts']);
    assert.match(mem, /^tmpfs \/mem tmpfs .*size=16384k/);
  });

  it('a missing ConfigMap is a FailedMount: the pod waits in ContainerCreating, then starts once it exists', async () => {
    await client!.create(resources.pods, 'default', pod('late', {
      containers: [sleeper('app', { volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] })],
      volumes: [{ name: 'cfg', configMap: { name: 'late-config' } }],
    }));
    const ev = await waitEvent('late', 'FailedMount', /configmap "late-config" not found/);
    assert.equal(ev['type'], 'Warning');
    assert.equal(ev['message'], 'MountVolume.SetUp failed for volume "cfg" : configmap "late-config" not found');
    const p = await waitPod('late', 'ContainerCreating', (x) => x['status']?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating');
    assert.equal(p['status'].phase, 'Pending');
    assert.equal((await ctd!.runtime.listContainers({ podUid: p['metadata'].uid })).length, 0, 'no container started without its volume');
    await client!.create(resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late-config' }, data: { k: 'v' } });
    const t0 = Date.now();
    const ok = await waitPod('late', 'Running', running, 60_000);
    figures['ConfigMap created → FailedMount pod Running'] = `${Date.now() - t0} ms`;
    assert.equal(await exec(ok, 'app', ['cat', '/cfg/k']), 'v');
  });
});

describe('probes on containerd', () => {
  it('a failing liveness probe restarts the container (restartCount grows; Unhealthy and Killing events)', async () => {
    await client!.create(resources.pods, 'default', pod('live', {
      containers: [sleeper('app', {
        command: ['sh', '-c', 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600'],
        livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 2 },
      })],
    }));
    const first = await waitPod('live', 'Running', running);
    const firstId = containerId(first, 'app');
    const p1 = await waitPod('live', 'restartCount 1', (x) => x['status']?.containerStatuses?.[0]?.restartCount >= 1);
    const s1 = p1['status'].containerStatuses[0];
    assert.equal(s1.lastState.terminated.containerID, `containerd://${firstId}`, 'the previous instance is the last state');
    assert.notEqual(s1.containerID, `containerd://${firstId}`);
    const unhealthy = await waitEvent('live', 'Unhealthy', /^Liveness probe failed: cat: can't open '\/tmp\/healthy': No such file or directory/);
    assert.equal(unhealthy['type'], 'Warning');
    assert.equal(unhealthy['involvedObject'].fieldPath, 'spec.containers{app}');
    assert.equal(unhealthy['source']?.component, 'kubelet');
    const killing = await waitEvent('live', 'Killing', /^Container app failed liveness probe, will be restarted$/);
    assert.equal(killing['involvedObject'].fieldPath, 'spec.containers{app}');
    // The new instance fails too: restarted again (after the crash-loop back-off's 10 s).
    const t0 = Date.now();
    const p2 = await waitPod('live', 'restartCount 2', (x) => x['status']?.containerStatuses?.[0]?.restartCount >= 2, 60_000);
    figures['liveness: restart 1 → 2'] = `${Date.now() - t0} ms`;
    assert.equal(p2['status'].containerStatuses[0].restartCount, 2);
  });

  it('a failing readiness probe keeps the pod out of Ready, running and never restarted; passing turns it Ready', async () => {
    await client!.create(resources.pods, 'default', pod('unready', {
      containers: [sleeper('app', { readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 } })],
    }));
    const p = await waitPod('unready', 'Running', running);
    await waitEvent('unready', 'Unhealthy', /^Readiness probe failed: cat: can't open '\/tmp\/ready'/);
    await sleep(4_000); // several failed probes
    const now = await client!.get(resources.pods, 'default', 'unready');
    const s = now['status'].containerStatuses[0];
    assert.equal(now['status'].phase, 'Running');
    assert.ok(s.state.running, 'still running');
    assert.equal(s.ready, false);
    assert.equal(s.started, true);
    assert.equal(s.restartCount, 0, 'readiness failures never restart');
    assert.equal(s.containerID, `containerd://${containerId(p, 'app')}`);
    assert.equal(condition(now, 'Ready'), 'False');
    assert.equal(condition(now, 'ContainersReady'), 'False');
    assert.equal((now['status'].conditions as Obj[]).find((c) => c['type'] === 'Ready')!['message'], 'containers with unready status: [app]');
    // Make the probe pass: the same container turns ready.
    await exec(p, 'app', ['touch', '/tmp/ready']);
    const ready = await waitPod('unready', 'Ready', (x) => condition(x, 'Ready') === 'True', 20_000);
    assert.equal(ready['status'].containerStatuses[0].ready, true);
    assert.equal(ready['status'].containerStatuses[0].restartCount, 0);
  });

  it('an httpGet readiness probe on busybox httpd turns the pod Ready once the page is served', async () => {
    await client!.create(resources.pods, 'default', pod('httpd', {
      containers: [sleeper('web', {
        // The page appears after 3 s: until then httpd answers 404 and the pod must not be Ready.
        command: ['sh', '-c', 'mkdir -p /www; (sleep 3; echo ok > /www/healthz) & exec httpd -f -v -p 8080 -h /www'],
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
      })],
    }));
    const t0 = Date.now();
    await waitPod('httpd', 'Running', running);
    const failed = await waitEvent('httpd', 'Unhealthy', /^Readiness probe failed: HTTP probe failed with statuscode: 404$/);
    assert.equal(failed['involvedObject'].fieldPath, 'spec.containers{web}');
    const p = await waitPod('httpd', 'Ready', (x) => condition(x, 'Ready') === 'True', 30_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}; events ${JSON.stringify((await podEvents('httpd')).map((x) => [x['reason'], x['message'], x['count']]))}`);
    });
    figures['httpGet readiness: create → Ready (page after 3 s)'] = `${Date.now() - t0} ms`;
    assert.equal(p['status'].containerStatuses[0].ready, true);
    assert.equal(condition(p, 'ContainersReady'), 'True');
    // The probes reached this httpd (its -v log names each request's peer and response), from the node's side of the bridge.
    const [c] = await ctd!.runtime.listContainers({ podUid: p['metadata'].uid });
    const served = fs.readFileSync(c!.logPath!, 'utf8');
    assert.match(served, /\[::ffff:10\.42\.\d+\.1\]:\d+: response:404/);
    assert.match(served, /\[::ffff:10\.42\.\d+\.1\]:\d+: response:200/);
  });
});

describe('clean-up', () => {
  it('deleting the pods removes their containers, volumes and mounts', async () => {
    const names = ['cm', 'sec', 'shared', 'late', 'live', 'unready', 'httpd'];
    const uids: string[] = [];
    for (const name of names) {
      const p = await client!.get(resources.pods, 'default', name).catch(() => undefined);
      if (!p) continue;
      uids.push(p['metadata'].uid);
      await client!.delete(resources.pods, 'default', name);
    }
    for (const name of names) await waitFor(`pod ${name} gone`, async () => ((await client!.get(resources.pods, 'default', name).catch(() => undefined)) ? undefined : true));
    const left = async () => {
      let n = 0;
      for (const uid of uids) {
        n += (await ctd!.runtime.listContainers({ podUid: uid })).length + (await ctd!.runtime.listPodSandboxes({ podUid: uid })).length;
        if (fs.existsSync(path.join(podsDir, uid))) n++;
      }
      return n;
    };
    await waitFor('containers, sandboxes and pod directories gone', async () => ((await left()) === 0 ? true : undefined), 60_000);
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => (l.split(' ')[4] ?? '').startsWith(podsDir + '/'));
    assert.deepEqual(mounts, [], 'no mount left under the pods directory');
  });
});
