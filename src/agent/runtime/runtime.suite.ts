/**
 * The conformance suite every Runtime implementation runs (the fake now,
 * the CRI runtime over containerd later): the state machine the pod sync
 * loop relies on. `make` gives a fresh runtime; `podCIDR` is handed to it
 * with updateRuntimeConfig before pods need IPs; `settle` waits until a
 * started container is observable as running (0 for the fake).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { RuntimeError, runtimeConditionMet, type ContainerEvent, type Runtime, type SandboxConfig } from './types.ts';

/**
 * A real container that runs until stopped and stops at once on SIGTERM (the image's own
 * command, `sh`, exits immediately without a terminal; PID 1 ignores signals it has no handler for).
 */
function longRunning(o: { realProcesses?: boolean }): string[] | undefined {
  return o.realProcesses ? ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'] : undefined;
}

export interface RuntimeSuiteOptions {
  make(): Promise<Runtime> | Runtime;
  /** An image the runtime can run (a long-running one). */
  image: string;
  podCIDR: string;
  /** Whether the runtime reports NetworkReady=false before it has a pod CIDR. */
  networkNeedsCIDR: boolean;
  /**
   * The runtime runs real processes from `image` (a busybox): commands,
   * environment, logs, exit codes and memory limits are checked for real.
   */
  realProcesses?: boolean;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let seq = 0;
function sandboxConfig(over: Partial<SandboxConfig> = {}): SandboxConfig {
  const n = ++seq;
  return {
    metadata: { name: `suite-${n}`, namespace: 'default', uid: `uid-${n}`, attempt: 0 },
    hostname: `suite-${n}`,
    labels: {},
    annotations: {},
    hostNetwork: false,
    ...over,
  };
}

const inCIDR = (ip: string, cidr: string) => {
  const [base, bits] = cidr.split('/');
  const toN = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toN(ip) / size) === Math.floor(toN(base!) / size);
};

export function runRuntimeSuite(name: string, o: RuntimeSuiteOptions): void {
  describe(`Runtime conformance: ${name}`, () => {
    it('reports its version and readiness; the network is ready once it has a pod CIDR', async () => {
      const rt = await o.make();
      const v = await rt.version();
      assert.match(v.runtimeName, /^[a-z]+$/);
      assert.ok(v.runtimeVersion);
      assert.equal(runtimeConditionMet(await rt.status(), 'RuntimeReady'), true);
      if (o.networkNeedsCIDR) {
        assert.equal(runtimeConditionMet(await rt.status(), 'NetworkReady'), false);
        await assert.rejects(rt.runPodSandbox(sandboxConfig()), (e: unknown) => e instanceof RuntimeError && e.code === 'FailedPrecondition');
      }
      await rt.updateRuntimeConfig({ podCIDR: o.podCIDR });
      assert.equal(runtimeConditionMet(await rt.status(), 'NetworkReady'), true);
    });

    it('runs a sandbox with an IP from the pod CIDR, lists it by pod, stops and removes it', async () => {
      const rt = await o.make();
      await rt.updateRuntimeConfig({ podCIDR: o.podCIDR });
      const cfg = sandboxConfig();
      const id = await rt.runPodSandbox(cfg);
      const [s] = await rt.listPodSandboxes({ podUid: cfg.metadata.uid });
      assert.equal(s?.id, id);
      assert.equal(s.state, 'ready');
      assert.deepEqual(s.metadata, cfg.metadata);
      assert.equal(s.ips.length, 1);
      assert.ok(inCIDR(s.ips[0]!, o.podCIDR), `${s.ips[0]} in ${o.podCIDR}`);
      const other = await rt.runPodSandbox(sandboxConfig());
      const [s2] = (await rt.listPodSandboxes()).filter((x) => x.id === other);
      assert.notEqual(s2?.ips[0], s.ips[0], 'two sandboxes never share an IP');
      await rt.stopPodSandbox(id);
      assert.equal((await rt.listPodSandboxes({ podUid: cfg.metadata.uid }))[0]?.state, 'notready');
      assert.equal((await rt.listPodSandboxes({ podUid: cfg.metadata.uid, state: 'ready' })).length, 0);
      await rt.removePodSandbox(id);
      assert.equal((await rt.listPodSandboxes({ podUid: cfg.metadata.uid })).length, 0);
      // Stop and remove are idempotent.
      await rt.stopPodSandbox(id);
      await rt.removePodSandbox(id);
    });

    it('a host-network sandbox needs no pod IP', async () => {
      const rt = await o.make();
      const cfg = sandboxConfig({ hostNetwork: true });
      await rt.runPodSandbox(cfg);
      assert.deepEqual((await rt.listPodSandboxes({ podUid: cfg.metadata.uid }))[0]?.ips, []);
    });

    it('creates, starts, stops and removes a container, with events', async () => {
      const rt = await o.make();
      await rt.updateRuntimeConfig({ podCIDR: o.podCIDR });
      const events: ContainerEvent[] = [];
      const off = rt.onContainerEvent((e) => events.push(e));
      const cfg = sandboxConfig();
      const sb = await rt.runPodSandbox(cfg);
      const id = await rt.createContainer(sb, { metadata: { name: 'app', attempt: 0 }, image: o.image, command: longRunning(o) });
      let [c] = await rt.listContainers({ sandboxId: sb });
      assert.equal(c?.id, id);
      assert.equal(c.state, 'created');
      assert.deepEqual(c.metadata, { name: 'app', attempt: 0 });
      assert.ok(c.imageRef, 'the resolved image reference is known');
      await rt.startContainer(id);
      [c] = await rt.listContainers({ podUid: cfg.metadata.uid });
      assert.equal(c?.state, 'running');
      assert.ok(c.startedAt > 0);
      await rt.stopContainer(id, 1);
      [c] = await rt.listContainers({ sandboxId: sb });
      assert.equal(c?.state, 'exited');
      assert.ok(c.finishedAt >= c.startedAt);
      await rt.removeContainer(id);
      assert.equal((await rt.listContainers({ sandboxId: sb })).length, 0);
      await rt.stopContainer(id, 0);
      await rt.removeContainer(id);
      await new Promise((r) => setImmediate(r));
      off();
      assert.deepEqual(
        events.filter((e) => e.containerId === id).map((e) => e.type),
        ['created', 'started', 'stopped', 'deleted'],
      );
      assert.ok(events.every((e) => e.pod.uid === cfg.metadata.uid));
    });

    it('stopping a sandbox stops its containers; a stopped sandbox takes no new containers', async () => {
      const rt = await o.make();
      await rt.updateRuntimeConfig({ podCIDR: o.podCIDR });
      const sb = await rt.runPodSandbox(sandboxConfig());
      const id = await rt.createContainer(sb, { metadata: { name: 'app', attempt: 0 }, image: o.image, command: longRunning(o) });
      await rt.startContainer(id);
      await rt.stopPodSandbox(sb);
      assert.equal((await rt.listContainers({ sandboxId: sb }))[0]?.state, 'exited');
      await assert.rejects(rt.createContainer(sb, { metadata: { name: 'late', attempt: 0 }, image: o.image }), RuntimeError);
    });

    it('runs commands in a running container (execSync)', async () => {
      const rt = await o.make();
      await rt.updateRuntimeConfig({ podCIDR: o.podCIDR });
      const sb = await rt.runPodSandbox(sandboxConfig({ dns: { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] } }));
      const id = await rt.createContainer(sb, {
        metadata: { name: 'app', attempt: 0 },
        image: o.image,
        command: o.realProcesses ? ['sh', '-c', 'echo started; exec sleep 1000'] : undefined,
        env: [{ name: 'GREETING', value: 'hello there' }],
        workingDir: '/tmp',
        logPath: 'app/0.log',
      });
      await rt.startContainer(id);
      const r = await rt.execSync(id, ['sh', '-c', 'echo "$GREETING in $(pwd)"'], 10);
      assert.equal(r.exitCode, 0);
      if (!o.realProcesses) return;
      assert.equal(r.stdout.toString(), 'hello there in /tmp\n');
      const fail = await rt.execSync(id, ['sh', '-c', 'echo oops >&2; exit 3'], 10);
      assert.equal(fail.exitCode, 3);
      assert.equal(fail.stderr.toString(), 'oops\n');
      await assert.rejects(rt.execSync(id, ['sleep', '5'], 1), (e: unknown) => e instanceof RuntimeError && e.code === 'DeadlineExceeded');
      const resolv = (await rt.execSync(id, ['cat', '/etc/resolv.conf'], 10)).stdout.toString();
      assert.match(resolv, /nameserver 10\.43\.0\.10/);
      assert.match(resolv, /search default\.svc\.cluster\.local svc\.cluster\.local/);
      assert.match(resolv, /options ndots:5/);
      const [c] = await rt.listContainers({ sandboxId: sb });
      assert.ok(c?.logPath?.endsWith('/app/0.log'), c?.logPath);
      const logged = await waitFor('the log line', async () => {
        const text = fs.existsSync(c.logPath!) ? fs.readFileSync(c.logPath!, 'utf8') : '';
        return text.includes('started') ? text : undefined;
      });
      assert.match(logged, /^\S+ stdout F started$/m);
    });

    if (o.realProcesses) {
      it('reports exit codes, and OOMKilled for a container over its memory limit', async () => {
        const rt = await o.make();
        await rt.updateRuntimeConfig({ podCIDR: o.podCIDR });
        const sb = await rt.runPodSandbox(sandboxConfig());
        const failing = await rt.createContainer(sb, { metadata: { name: 'fails', attempt: 0 }, image: o.image, command: ['sh', '-c', 'exit 7'] });
        // tail buffers /dev/zero looking for a newline: it grows until the limit stops it.
        const hog = await rt.createContainer(sb, { metadata: { name: 'hog', attempt: 0 }, image: o.image, command: ['tail', '/dev/zero'], resources: { memoryLimitBytes: 32 * 2 ** 20 } });
        await rt.startContainer(failing);
        await rt.startContainer(hog);
        const exited = (name: string) => waitFor(`${name} to exit`, async () => (await rt.listContainers({ sandboxId: sb })).find((c) => c.metadata.name === name && c.state === 'exited'));
        const f = await exited('fails');
        assert.equal(f.exitCode, 7);
        assert.equal(f.reason, 'Error');
        assert.ok(f.finishedAt >= f.startedAt && f.startedAt > 0);
        const h = await exited('hog');
        assert.equal(h.reason, 'OOMKilled');
        assert.equal(h.exitCode, 137);
      });
    }

    it('rejects unknown sandboxes and containers with NotFound', async () => {
      const rt = await o.make();
      await assert.rejects(rt.createContainer('nope', { metadata: { name: 'x', attempt: 0 }, image: o.image }), (e: unknown) => e instanceof RuntimeError && e.code === 'NotFound');
      await assert.rejects(rt.startContainer('nope'), (e: unknown) => e instanceof RuntimeError && e.code === 'NotFound');
    });
  });
}
