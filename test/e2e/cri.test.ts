/**
 * The CRI stack for real: our supervised containerd (1.6, runc, cgroupfs)
 * in a temporary data directory, the offline test images built by
 * scripts/build-test-images.ts and side-loaded with ctr, and pods driven
 * through our own gRPC/CRI client.
 *
 * Networking: containerd runs inside a network namespace this test
 * creates, with a bridge + host-local CNI config; the bridge and every
 * pod namespace live inside it, so no traffic touches the host's network
 * (the test reaches the pod from that namespace only).
 *
 * Needs root and the Debian packages of scripts/install-deps.sh (run when
 * missing). Everything created is removed in `after`, even on failure:
 * sandboxes, containerd, its shims, mounts, cgroups, the namespace and the
 * directory; the last test checks that nothing is left.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectCri, isGrpcError, type CriClient, type PodSandboxConfig, type In } from '../../src/agent/cri/index.ts';
import { killShims, mountsUnder, removeCgroupTree, shimPids, unmountUnder } from '../../src/agent/containerd/cleanup.ts';
import { startContainerd, type ContainerdHandle } from '../../src/agent/containerd/supervisor.ts';
import { importImages } from '../../src/agent/images/import.ts';
import { PAUSE_IMAGE } from '../../src/agent/images/pause.ts';
import { logger, setLogLevel } from '../../src/util/log.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const node = path.join(repo, 'node_modules/.bin/node');
const BUSYBOX = 'bramble.local/busybox:latest';
const id = `${process.pid}`;
const netns = `bramble-cri-${id}`;
const cgroupRoot = `bramble-e2e-${id}`;
const subnet = '10.213.0';

let dir: string;
let containerd: ContainerdHandle | undefined;
let cri: CriClient | undefined;
const figures: Record<string, string> = {};

function ensurePackages(): void {
  const need = ['/usr/bin/containerd', '/usr/bin/ctr', '/usr/sbin/runc', '/bin/busybox', '/usr/lib/cni/bridge', '/usr/lib/cni/host-local', '/usr/sbin/ip'];
  if (need.every((f) => fs.existsSync(f))) return;
  execFileSync('bash', [path.join(repo, 'scripts/install-deps.sh')], { stdio: 'inherit' });
}

const sandboxConfig = (logDirectory: string): In<PodSandboxConfig> => ({
  metadata: { name: 'pod1', namespace: 'default', uid: `uid-${id}`, attempt: 0 },
  hostname: 'pod1',
  logDirectory,
  dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
  portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort: 0 }],
  labels: { 'io.kubernetes.pod.name': 'pod1', suite: `cri-${id}` },
  annotations: { 'bramble.io/test': 'yes' },
  linux: {
    cgroupParent: `/${cgroupRoot}/pod1`,
    securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } },
    sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' },
  },
});

/** A cgroup control file of a process, on cgroup v1 (hybrid) or v2. */
function cgroupFile(pid: number, v1: [controller: string, file: string], v2file: string): string {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const v1line = lines.find((l) => l.split(':')[1].split(',').includes(v1[0]));
  if (v1line && fs.existsSync(`/sys/fs/cgroup/${v1[0]}`)) return fs.readFileSync(path.join('/sys/fs/cgroup', v1[0], v1line.split(':')[2], v1[1]), 'utf8').trim();
  const v2 = lines.find((l) => l.startsWith('0::'))!;
  return fs.readFileSync(path.join('/sys/fs/cgroup', v2.slice(3), v2file), 'utf8').trim();
}

async function containerPid(containerId: string): Promise<number> {
  const st = await cri!.runtime.containerStatus(containerId, true);
  return JSON.parse(st.info.info).pid;
}

async function waitExited(containerId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = (await cri!.runtime.containerStatus(containerId)).status!;
    if (s.state === 'CONTAINER_EXITED' || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Removes everything the suite created; safe to run twice. Returns what it had to clean up by force. */
async function teardown(): Promise<string[]> {
  const forced: string[] = [];
  if (cri && containerd?.pid) {
    try {
      for (const sb of await cri.runtime.listPodSandbox(undefined, { timeoutMs: 10_000 })) {
        await cri.runtime.stopPodSandbox(sb.id, { timeoutMs: 30_000 });
        await cri.runtime.removePodSandbox(sb.id, { timeoutMs: 30_000 });
        forced.push(`sandbox ${sb.id}`);
      }
    } catch (e) {
      forced.push(`sandbox cleanup failed: ${(e as Error).message}`);
    }
  }
  await cri?.close();
  cri = undefined;
  const socket = containerd?.socketPath;
  await containerd?.stop();
  containerd = undefined;
  if (socket && (await killShims(socket)) > 0) forced.push('shims');
  if (dir) {
    const m = unmountUnder(dir);
    if (m.length) forced.push(`mounts ${m.join(' ')}`);
  }
  const left = removeCgroupTree(cgroupRoot);
  if (left.length) forced.push(`cgroups left ${left.join(' ')}`);
  if (fs.existsSync(`/var/run/netns/${netns}`)) spawnSync('ip', ['netns', 'del', netns]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  return forced;
}

before(async () => {
  ensurePackages();
  if (!process.env.BRAMBLE_TEST_DEBUG) setLogLevel('warn');
  // Short: the socket path must stay under 108 bytes.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bcri-'));
  try {
    execFileSync(node, [path.join(repo, 'scripts/build-test-images.ts'), '--out', path.join(dir, 'images')], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    const cniConfDir = path.join(dir, 'cni', 'net.d');
    fs.mkdirSync(cniConfDir, { recursive: true });
    fs.writeFileSync(
      path.join(cniConfDir, '10-bramble-test.conflist'),
      JSON.stringify({
        cniVersion: '0.4.0',
        name: 'bramble-test',
        plugins: [
          {
            type: 'bridge',
            bridge: 'bramble0',
            isGateway: true,
            ipMasq: false,
            ipam: { type: 'host-local', ranges: [[{ subnet: `${subnet}.0/24` }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: path.join(dir, 'cni', 'ipam') },
          },
        ],
      }),
    );
    const t0 = performance.now();
    containerd = await startContainerd({ dataDir: dir, sandboxImage: PAUSE_IMAGE, cniConfDir, netnsPath: `/var/run/netns/${netns}`, log: logger('containerd') });
    figures['containerd start to CRI ready'] = `${Math.round(performance.now() - t0)} ms`;
    const imported = await importImages({
      address: containerd.socketPath,
      files: [path.join(dir, 'images', 'pause.tar'), path.join(dir, 'images', 'busybox.tar')],
      snapshotter: containerd.snapshotter,
    });
    assert.deepEqual(imported.map((i) => i.images), [[PAUSE_IMAGE], [BUSYBOX]]);
    cri = connectCri(containerd.socketPath);
  } catch (e) {
    await teardown();
    throw e;
  }
});

after(async () => {
  await teardown();
});

describe('CRI against a supervised containerd', () => {
  let sandboxId = '';
  let mainId = '';
  const logDir = () => path.join(dir, 'pods', 'pod1');

  it('answers Version and reports the runtime and network ready', async () => {
    const v = await cri!.runtime.version();
    assert.equal(v.runtimeName, 'containerd');
    assert.equal(v.runtimeApiVersion, 'v1');
    assert.match(v.runtimeVersion, /^1\.6\./);
    const st = await cri!.runtime.status();
    const cond = Object.fromEntries(st.status!.conditions.map((c) => [c.type, c.status]));
    assert.deepEqual(cond, { RuntimeReady: true, NetworkReady: true });
    // Without a conf_template containerd only records the CIDR; the agent's network code writes CNI configs.
    await cri!.runtime.updateRuntimeConfig(`${subnet}.0/24`);
  });

  it('sees the side-loaded images through the ImageService', async () => {
    const busybox = await cri!.images.imageStatus(BUSYBOX);
    assert.ok(busybox, 'busybox image present');
    assert.match(busybox.id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(busybox.repoTags, [BUSYBOX]);
    assert.equal(await cri!.images.imageStatus('bramble.local/absent:1'), undefined);
    const names = (await cri!.images.listImages()).flatMap((i) => i.repoTags);
    assert.ok(names.includes(PAUSE_IMAGE) && names.includes(BUSYBOX), names.join(','));
    const fsInfo = await cri!.images.imageFsInfo();
    assert.ok(fsInfo[0].fsId!.mountpoint.startsWith(dir), fsInfo[0].fsId!.mountpoint);
    // Nothing can be pulled here: the failure is a coded error, not a hang.
    await assert.rejects(cri!.images.pullImage('127.0.0.1:9/none:1', { username: 'u', password: 'p' }, undefined, { timeoutMs: 20_000 }), (e: unknown) => isGrpcError(e) && e.code !== 'DEADLINE_EXCEEDED');
  });

  it('runs a pod sandbox on the bridge network', async (t: TestContext) => {
    const t0 = performance.now();
    sandboxId = await cri!.runtime.runPodSandbox(sandboxConfig(logDir()));
    figures['RunPodSandbox (pause + CNI bridge)'] = `${Math.round(performance.now() - t0)} ms`;
    const st = (await cri!.runtime.podSandboxStatus(sandboxId)).status!;
    assert.equal(st.state, 'SANDBOX_READY');
    assert.equal(st.metadata!.name, 'pod1');
    assert.equal(st.labels.suite, `cri-${id}`);
    assert.equal(st.annotations['bramble.io/test'], 'yes');
    assert.ok(st.network!.ip.startsWith(`${subnet}.`), `pod IP ${st.network!.ip}`);
    assert.equal(st.linux!.namespaces!.options!.network, 'POD');
    const listed = await cri!.runtime.listPodSandbox({ labelSelector: { suite: `cri-${id}` }, state: { state: 'SANDBOX_READY' } });
    assert.deepEqual(listed.map((s) => s.id), [sandboxId]);
    t.diagnostic(`pod IP ${st.network!.ip}`);
  });

  it('creates and starts a busybox container that logs in CRI format', async () => {
    const t0 = performance.now();
    mainId = await cri!.runtime.createContainer(
      sandboxId,
      { metadata: { name: 'main' }, image: { image: BUSYBOX }, command: ['sh', '-c', 'echo hello; sleep 1000'], logPath: 'main/0.log', labels: { role: 'main' } },
      sandboxConfig(logDir()),
    );
    await cri!.runtime.startContainer(mainId);
    figures['CreateContainer + StartContainer'] = `${Math.round(performance.now() - t0)} ms`;
    const st = (await cri!.runtime.containerStatus(mainId)).status!;
    assert.equal(st.state, 'CONTAINER_RUNNING');
    assert.equal(st.metadata!.name, 'main');
    assert.ok(st.startedAt > 0);
    assert.match(st.imageRef, /^sha256:/);
    assert.equal(st.logPath, path.join(logDir(), 'main/0.log'));
    let log = '';
    for (let i = 0; i < 50 && !log.includes('hello'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      log = fs.existsSync(st.logPath) ? fs.readFileSync(st.logPath, 'utf8') : '';
    }
    // CRI log format: RFC 3339 nano timestamp, stream, F(ull)/P(artial), text.
    assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) stdout F hello$/m);
    // After a rotation (rename), the runtime writes to a fresh file at the same path.
    fs.renameSync(st.logPath, st.logPath + '.1');
    await cri!.runtime.reopenContainerLog(mainId);
    assert.ok(fs.existsSync(st.logPath));
  });

  it('runs commands with ExecSync, inside the pod network and DNS settings', async () => {
    const r = await cri!.runtime.execSync(mainId, ['echo', 'hi'], 10);
    assert.equal(Buffer.from(r.stdout).toString(), 'hi\n');
    assert.equal(r.exitCode, 0);
    const fail = await cri!.runtime.execSync(mainId, ['sh', '-c', 'echo oops >&2; exit 3'], 10);
    assert.equal(fail.exitCode, 3);
    assert.equal(Buffer.from(fail.stderr).toString(), 'oops\n');
    const resolv = Buffer.from((await cri!.runtime.execSync(mainId, ['cat', '/etc/resolv.conf'], 10)).stdout).toString();
    assert.match(resolv, /nameserver 10\.96\.0\.10/);
    assert.match(resolv, /search default\.svc\.cluster\.local svc\.cluster\.local/);
    assert.equal(Buffer.from((await cri!.runtime.execSync(mainId, ['hostname'], 10)).stdout).toString(), 'pod1\n');
    assert.equal(Buffer.from((await cri!.runtime.execSync(mainId, ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'], 10)).stdout).toString(), '80\n');
    // Serve a file from the pod and fetch it from the namespace containerd's bridge lives in.
    const started = await cri!.runtime.execSync(mainId, ['httpd', '-p', '8080', '-h', '/etc'], 10);
    assert.equal(started.exitCode, 0);
    const ip = (await cri!.runtime.podSandboxStatus(sandboxId)).status!.network!.ip;
    // nc, not wget: Debian's static busybox wget crashes in its service-name lookup.
    const got = execFileSync('ip', ['netns', 'exec', netns, '/bin/busybox', 'nc', '-w', '5', ip, '8080'], { input: 'GET /hostname HTTP/1.0\r\n\r\n', encoding: 'utf8' });
    assert.match(got, /^HTTP\/1\.[01] 200 OK\r\n/);
    assert.ok(got.endsWith('\r\n\r\npod1\n'), got);
  });

  it('applies a memory limit to a running container (UpdateContainerResources)', async () => {
    await cri!.runtime.updateContainerResources(mainId, { memoryLimitInBytes: 64 << 20, cpuPeriod: 100_000, cpuQuota: 50_000 });
    const pid = await containerPid(mainId);
    const mem = cgroupFile(pid, ['memory', 'memory.limit_in_bytes'], 'memory.max');
    assert.equal(Number(mem), 64 << 20);
    const quota = cgroupFile(pid, ['cpu', 'cpu.cfs_quota_us'], 'cpu.max');
    assert.match(quota, /^50000( 100000)?$/);
  });

  it('honours the container config: args, env, working dir, mounts, devices, user, read-only root, capabilities', async () => {
    const hostDir = path.join(dir, 'hostdata');
    fs.mkdirSync(hostDir);
    fs.writeFileSync(path.join(hostDir, 'f'), 'from host\n');
    const cid = await cri!.runtime.createContainer(
      sandboxId,
      {
        metadata: { name: 'confined' },
        image: { image: BUSYBOX },
        command: ['sleep'],
        args: ['1000'],
        workingDir: '/tmp',
        envs: [{ key: 'GREETING', value: 'hello world' }],
        mounts: [{ containerPath: '/data', hostPath: hostDir, readonly: true }],
        devices: [{ containerPath: '/dev/xnull', hostPath: '/dev/null', permissions: 'rwm' }],
        logPath: 'confined/0.log',
        linux: {
          resources: { cpuShares: 512, memoryLimitInBytes: 48 << 20 },
          securityContext: { runAsUser: { value: 65534 }, readonlyRootfs: true, capabilities: { dropCapabilities: ['ALL'] }, noNewPrivs: true },
        },
      },
      sandboxConfig(logDir()),
    );
    await cri!.runtime.startContainer(cid);
    const sh = async (script: string) => {
      const r = await cri!.runtime.execSync(cid, ['sh', '-c', script], 10);
      return { out: Buffer.from(r.stdout).toString().trim(), code: r.exitCode };
    };
    assert.deepEqual(await sh('echo "$GREETING"; pwd; id -u'), { out: 'hello world\n/tmp\n65534', code: 0 });
    assert.deepEqual(await sh('cat /data/f'), { out: 'from host', code: 0 });
    assert.notEqual((await sh('touch /data/x')).code, 0, 'read-only mount');
    assert.notEqual((await sh('touch /x')).code, 0, 'read-only root filesystem');
    assert.equal((await sh('test -c /dev/xnull')).code, 0, 'device node');
    assert.match((await sh('grep CapEff /proc/self/status')).out, /CapEff:\s+0+$/);
    const pid = await containerPid(cid);
    // cgroup v2 has weights: runc maps 512 shares to weight 20.
    assert.equal(cgroupFile(pid, ['cpu', 'cpu.shares'], 'cpu.weight'), fs.existsSync('/sys/fs/cgroup/cpu/cpu.shares') ? '512' : '20');
    assert.equal(Number(cgroupFile(pid, ['memory', 'memory.limit_in_bytes'], 'memory.max')), 48 << 20);
    const listed = await cri!.runtime.listContainers({ podSandboxId: sandboxId, state: { state: 'CONTAINER_RUNNING' } });
    assert.deepEqual(listed.map((c) => c.metadata!.name).sort(), ['confined', 'main']);
    assert.deepEqual((await cri!.runtime.listContainers({ labelSelector: { role: 'main' } })).map((c) => c.id), [mainId]);
    await cri!.runtime.stopContainer(cid, 0);
    await cri!.runtime.removeContainer(cid);
  });

  it('reports a container killed for exceeding its memory limit as OOMKilled', async () => {
    const cid = await cri!.runtime.createContainer(
      sandboxId,
      {
        metadata: { name: 'hog' },
        image: { image: BUSYBOX },
        command: ['sh', '-c', 'x=$(head -c 100m /dev/zero | tr "\\0" x); echo survived'],
        logPath: 'hog/0.log',
        linux: { resources: { memoryLimitInBytes: 32 << 20, memorySwapLimitInBytes: 32 << 20 } },
      },
      sandboxConfig(logDir()),
    );
    await cri!.runtime.startContainer(cid);
    const st = await waitExited(cid, 30_000);
    assert.equal(st.state, 'CONTAINER_EXITED');
    assert.equal(st.reason, 'OOMKilled');
    assert.equal(st.exitCode, 137);
    assert.ok(st.finishedAt >= st.startedAt);
    await cri!.runtime.removeContainer(cid);
  });

  it('reports container and sandbox stats', async () => {
    const stats = await cri!.runtime.containerStats(mainId);
    assert.equal(stats!.attributes!.id, mainId);
    assert.ok(stats!.memory!.workingSetBytes!.value > 0);
    assert.ok(stats!.cpu!.usageCoreNanoSeconds!.value > 0);
    const all = await cri!.runtime.listContainerStats({ podSandboxId: sandboxId });
    assert.deepEqual(all.map((s) => s.attributes!.id), [mainId]);
    const pod = await cri!.runtime.podSandboxStats(sandboxId);
    assert.equal(pod!.attributes!.metadata!.name, 'pod1');
    assert.ok(pod!.linux!.memory!.workingSetBytes!.value > 0);
    assert.equal((await cri!.runtime.listPodSandboxStats()).length, 1);
  });

  it('hands out streaming URLs for exec, attach and port-forward', async () => {
    const urls = [
      await cri!.runtime.exec({ containerId: mainId, cmd: ['sh'], stdin: true, stdout: true, tty: true }),
      await cri!.runtime.attach({ containerId: mainId, stdout: true, stderr: true }),
      await cri!.runtime.portForward(sandboxId, [8080]),
    ];
    for (const u of urls) assert.match(u, /^http:\/\/127\.0\.0\.1:\d+\/(exec|attach|portforward)\/[\w-]+/);
  });

  it('fails calls on unknown ids with NOT_FOUND', async () => {
    await assert.rejects(cri!.runtime.containerStatus('0'.repeat(64)), (e: unknown) => isGrpcError(e, 'NOT_FOUND'));
    await assert.rejects(cri!.runtime.startContainer('nope'), (e: unknown) => isGrpcError(e, 'NOT_FOUND'));
  });

  it('survives containerd being killed: the supervisor restarts it and the pod keeps running', async () => {
    const before = containerd!.pid!;
    process.kill(before, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    await containerd!.waitReady(30_000);
    assert.notEqual(containerd!.pid, before);
    assert.equal(containerd!.restarts, 1);
    assert.equal((await cri!.runtime.containerStatus(mainId)).status!.state, 'CONTAINER_RUNNING');
    assert.equal(Buffer.from((await cri!.runtime.execSync(mainId, ['echo', 'still'], 10)).stdout).toString(), 'still\n');
  });

  it('measures containerd RSS with a running pod', (t: TestContext) => {
    const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    figures['containerd RSS (1 pod running)'] = `${(rss(containerd!.pid!) / 1024).toFixed(1)} MB`;
    const shims = shimPids(containerd!.socketPath);
    figures['shim RSS per pod'] = `${(shims.reduce((a, p) => a + rss(p), 0) / 1024).toFixed(1)} MB (${shims.length} shim)`;
    t.diagnostic(JSON.stringify(figures));
  });

  it("measures the CRI client's memory cost in a fresh process", (t: TestContext) => {
    // http2 and net are loaded first: the agent needs HTTP/2 for the API server anyway.
    const script = `
      const mb = () => { gc(); gc(); const m = process.memoryUsage(); return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20 }; };
      process.getBuiltinModule('node:http2'); process.getBuiltinModule('node:net');
      const before = mb();
      const { connectCri } = await import(${JSON.stringify(new URL('../../src/agent/cri/index.ts', import.meta.url).href)});
      const c = connectCri(${JSON.stringify(containerd!.socketPath)});
      await c.runtime.version();
      const loaded = mb();
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) await c.runtime.listContainers();
      const perCallMs = (performance.now() - t0) / 1000;
      const used = mb();
      await c.close();
      console.log(JSON.stringify({ before, loaded, used, perCallMs }));`;
    const env = { ...process.env, NODE_COMPILE_CACHE: path.join(dir, 'compile-cache') };
    const run = () => JSON.parse(execFileSync(node, ['--expose-gc', '--max-semi-space-size=2', '--input-type=module', '-e', script], { encoding: 'utf8', env }));
    run(); // fills the compile cache, as a second start of the agent would find it
    const m = run();
    const d = (a: { rss: number; heap: number }, b: { rss: number; heap: number }) => `+${(b.rss - a.rss).toFixed(1)} MB RSS, +${(b.heap - a.heap).toFixed(1)} MB heap`;
    figures['client: import + first call'] = d(m.before, m.loaded);
    // Most of the growth over many calls is V8's optimising JIT warming up, not
    // the client: a bare node:http2 loop grows ~21 MB the same way, and with
    // --no-opt --no-maglev --no-sparkplug this grows ~7 MB instead of ~30.
    figures['client: after 1000 more calls'] = d(m.before, m.used);
    figures['ListContainers round trip'] = `${m.perCallMs.toFixed(2)} ms`;
    t.diagnostic(JSON.stringify(m));
    assert.ok(m.used.heap - m.before.heap < 5, 'the client holds little heap');
  });

  it('stops and removes the containers and the sandbox', async () => {
    await cri!.runtime.stopContainer(mainId, 2);
    assert.equal((await cri!.runtime.containerStatus(mainId)).status!.state, 'CONTAINER_EXITED');
    await cri!.runtime.removeContainer(mainId);
    await cri!.runtime.removeContainer(mainId); // idempotent
    await cri!.runtime.stopPodSandbox(sandboxId);
    assert.equal((await cri!.runtime.podSandboxStatus(sandboxId)).status!.state, 'SANDBOX_NOTREADY');
    await cri!.runtime.removePodSandbox(sandboxId);
    assert.deepEqual(await cri!.runtime.listPodSandbox(), []);
    assert.deepEqual(await cri!.runtime.listContainers(), []);
  });

  it('stops containerd and leaves nothing behind', async (t: TestContext) => {
    const socket = containerd!.socketPath;
    const pid = containerd!.pid!;
    const forced = await teardown();
    assert.deepEqual(forced, [], 'nothing needed forced cleanup');
    assert.ok(!fs.existsSync(`/proc/${pid}`), 'containerd exited');
    assert.deepEqual(shimPids(socket), []);
    assert.deepEqual(mountsUnder(dir), []);
    assert.ok(!fs.existsSync(dir));
    assert.ok(!fs.existsSync(`/var/run/netns/${netns}`));
    t.diagnostic(JSON.stringify(figures));
  });
});
