import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FakeClock } from '../../client/clock.ts';
import { FakeRuntime } from '../runtime/fake/fake-runtime.ts';
import { fakeCpuAnnotation, fakeMemoryAnnotation, fakeFigures } from './fake-pods.ts';
import { parseMeminfo, parseProcStat, parseVmstat } from './host.ts';
import { createStatsProvider } from './provider.ts';
import { RateTracker } from './rates.ts';
import type { CriStatsSource } from './cri-pods.ts';

const MI = 1024 * 1024;

const procStat = (user: number, system: number, idle: number) =>
  `cpu  ${user} 10 ${system} ${idle} 50 5 5 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\nbtime 1700000000\nprocesses 10\n`;
const meminfo = `MemTotal:        8000000 kB\nMemFree:         2000000 kB\nMemAvailable:    5000000 kB\nActive(anon):     700000 kB\nInactive(anon):   300000 kB\nActive(file):    1500000 kB\nInactive(file):  1000000 kB\n`;

describe('host readers', () => {
  it('/proc/stat: busy time excludes idle and iowait, in nanoseconds at USER_HZ 100', () => {
    const s = parseProcStat(procStat(1000, 500, 99999));
    // user 1000 + nice 10 + system 500 + irq 5 + softirq 5 + steal 0 = 1520 ticks
    assert.equal(s.usageCoreNanoSeconds, 1520 * 1e7);
    assert.equal(s.bootTime, 1700000000);
  });

  it('/proc/meminfo: working set = MemTotal − MemFree − Inactive(file), as runc computes the root cgroup', () => {
    const m = parseMeminfo(meminfo);
    assert.equal(m.usageBytes, 6000000 * 1024);
    assert.equal(m.workingSetBytes, 5000000 * 1024);
    assert.equal(m.availableBytes, 3000000 * 1024);
    assert.equal(m.rssBytes, 1000000 * 1024);
  });

  it('/proc/vmstat page faults', () => {
    assert.deepEqual(parseVmstat('pgfault 1234\npgmajfault 5\npgfree 1\n'), { pageFaults: 1234, majorPageFaults: 5 });
  });

  it('rates come from consecutive samples; a counter reset gives none', () => {
    const r = new RateTracker();
    assert.equal(r.rate('a', 1e9, 1000), undefined);
    assert.equal(r.rate('a', 1.5e9, 2000), 0.5e9); // half a core
    assert.equal(r.rate('a', 1e8, 3000), undefined);
  });
});

describe('createStatsProvider', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });
  const tmp = async () => {
    const d = await fs.mkdtemp(path.join(os.tmpdir(), 'bramble-stats-'));
    dirs.push(d);
    return d;
  };

  it('host node: CPU counter and rate from /proc, memory, fs of the data dir, rlimit', async () => {
    const proc = await tmp();
    await fs.mkdir(path.join(proc, 'sys/kernel'), { recursive: true });
    await fs.writeFile(path.join(proc, 'stat'), procStat(1000, 0, 5000));
    await fs.writeFile(path.join(proc, 'meminfo'), meminfo);
    await fs.writeFile(path.join(proc, 'sys/kernel/pid_max'), '4194304\n');
    await fs.writeFile(path.join(proc, 'loadavg'), '0.10 0.20 0.30 2/345 6789\n');
    let t = 1_000_000;
    const p = createStatsProvider({ nodeName: 'n1', dataDir: proc, procRoot: proc, now: () => t });
    const s1 = await p.summary();
    assert.equal(s1.node.nodeName, 'n1');
    assert.equal(s1.node.cpu?.usageNanoCores, undefined, 'no rate from a single sample');
    assert.equal(s1.node.memory?.workingSetBytes, 5000000 * 1024);
    assert.equal(s1.node.rlimit?.maxpid, 4194304);
    assert.equal(s1.node.rlimit?.curproc, 345);
    assert.ok(s1.node.fs!.capacityBytes! > 0 && s1.node.fs!.usedBytes! > 0, 'statfs of the data dir');
    assert.equal(s1.node.startTime, new Date(1700000000 * 1000).toISOString());
    assert.deepEqual(s1.pods, []);
    // 10 s later 250 more busy ticks (2.5 s of CPU): a quarter of a core.
    await fs.writeFile(path.join(proc, 'stat'), procStat(1250, 0, 6000));
    t += 10_000;
    const s2 = await p.summary();
    assert.equal(s2.node.cpu?.usageNanoCores, 250_000_000);
    assert.equal(s2.node.cpu?.usageCoreNanoSeconds, 1270 * 1e7);
    assert.equal(s2.node.cpu?.time, new Date(t).toISOString());
  });

  it('fake runtime: deterministic per-container figures, annotations override, pods summed, node simulated', async () => {
    const clock = new FakeClock(5_000_000);
    const rt = new FakeRuntime({ clock });
    await rt.updateRuntimeConfig({ podCIDR: '10.42.0.0/24' });
    const sb = (name: string, annotations: Record<string, string> = {}) =>
      rt.runPodSandbox({ metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 }, hostname: name, labels: {}, annotations, hostNetwork: false });
    const a = await sb('web', { [fakeCpuAnnotation]: '250m', [fakeMemoryAnnotation]: '64Mi' });
    for (const n of ['app', 'sidecar']) await rt.startContainer(await rt.createContainer(a, { metadata: { name: n, attempt: 0 }, image: 'busybox' }));
    const b = await sb('db');
    await rt.startContainer(await rt.createContainer(b, { metadata: { name: 'pg', attempt: 0 }, image: 'postgres' }));
    const dead = await rt.createContainer(b, { metadata: { name: 'never-started', attempt: 0 }, image: 'x' });
    assert.ok(dead);

    const data = await tmp();
    const p = createStatsProvider({ nodeName: 'sim-0', dataDir: data, runtime: rt, now: () => clock.now() });
    clock.advance(10_000);
    const s = await p.summary();
    const web = s.pods.find((x) => x.podRef.name === 'web')!;
    assert.deepEqual(web.podRef, { name: 'web', namespace: 'default', uid: 'uid-web' });
    assert.deepEqual(web.containers.map((c) => c.name), ['app', 'sidecar']);
    assert.equal(web.containers[0]!.cpu!.usageNanoCores, 250e6);
    assert.equal(web.containers[0]!.cpu!.usageCoreNanoSeconds, 250e6 * 10, '250m for 10 s');
    assert.equal(web.containers[0]!.memory!.workingSetBytes, 64 * MI);
    assert.equal(web.cpu!.usageNanoCores, 500e6);
    assert.equal(web.memory!.workingSetBytes, 128 * MI);

    const db = s.pods.find((x) => x.podRef.name === 'db')!;
    assert.deepEqual(db.containers.map((c) => c.name), ['pg'], 'only running containers');
    const f = fakeFigures('default', 'db', 'pg', {});
    assert.equal(db.containers[0]!.cpu!.usageNanoCores, f.nanoCores);
    assert.ok(f.nanoCores >= 2e6 && f.nanoCores < 50e6);
    assert.ok(f.workingSetBytes >= 8 * MI && f.workingSetBytes < 65 * MI);
    assert.deepEqual(fakeFigures('default', 'db', 'pg', {}), f, 'deterministic');

    const nodeRate = s.node.cpu!.usageNanoCores!;
    assert.equal(nodeRate, 80e6 + 500e6 + f.nanoCores);
    assert.equal(s.node.memory!.workingSetBytes, 320 * MI + 128 * MI + f.workingSetBytes);
    // The node counter advances by its rate and never goes back when pods go.
    clock.advance(4_000);
    const before = (await p.summary()).node.cpu!.usageCoreNanoSeconds!;
    await rt.stopPodSandbox(a);
    clock.advance(2_000);
    const later = await p.summary();
    assert.ok(later.node.cpu!.usageCoreNanoSeconds! > before);
    assert.equal(later.pods.length, 1);
  });

  it('CRI: ready sandboxes and their newest running containers, runtime rates, sandbox stats or sums', async () => {
    const ns = (ms: number) => ms * 1e6;
    const v = (value: number) => ({ value });
    let tick = 0;
    const cri: CriStatsSource = {
      listPodSandbox: async () => [
        { id: 'sb1', metadata: { name: 'p1', namespace: 'ns', uid: 'u1', attempt: 0 }, state: 'SANDBOX_READY', createdAt: ns(1000), labels: {}, annotations: {}, runtimeHandler: '' },
        { id: 'sb2', metadata: { name: 'p2', namespace: 'ns', uid: 'u2', attempt: 0 }, state: 'SANDBOX_READY', createdAt: ns(2000), labels: {}, annotations: {}, runtimeHandler: '' },
      ],
      listContainers: async () => [
        { id: 'c-old', podSandboxId: 'sb1', metadata: { name: 'app', attempt: 0 }, imageRef: '', state: 'CONTAINER_RUNNING', createdAt: ns(1100), labels: {}, annotations: {} },
        { id: 'c-new', podSandboxId: 'sb1', metadata: { name: 'app', attempt: 1 }, imageRef: '', state: 'CONTAINER_RUNNING', createdAt: ns(1500), labels: {}, annotations: {} },
        { id: 'c2', podSandboxId: 'sb2', metadata: { name: 'db', attempt: 0 }, imageRef: '', state: 'CONTAINER_RUNNING', createdAt: ns(2100), labels: {}, annotations: {} },
      ],
      listContainerStats: async () => {
        tick++;
        const at = ns(10_000 * tick);
        return [
          { attributes: { id: 'c-new', labels: {}, annotations: {} }, cpu: { timestamp: at, usageCoreNanoSeconds: v(tick * 1e9) }, memory: { timestamp: at, workingSetBytes: v(5 * MI), usageBytes: v(6 * MI) } },
          { attributes: { id: 'c-old', labels: {}, annotations: {} }, cpu: { timestamp: at, usageCoreNanoSeconds: v(1) }, memory: { timestamp: at, workingSetBytes: v(1) } },
          { attributes: { id: 'c2', labels: {}, annotations: {} }, cpu: { timestamp: at, usageCoreNanoSeconds: v(7e9), usageNanoCores: v(3e6) }, memory: { timestamp: at, workingSetBytes: v(9 * MI) } },
        ];
      },
      listPodSandboxStats: async () => [
        { attributes: { id: 'sb2', labels: {}, annotations: {} }, linux: { cpu: { timestamp: ns(10_000), usageCoreNanoSeconds: v(8e9) }, memory: { timestamp: ns(10_000), workingSetBytes: v(11 * MI) }, containers: [] } },
      ],
    };
    const data = await tmp();
    const p = createStatsProvider({ nodeName: 'n', dataDir: data, cri, simulatedNode: true });
    await p.summary();
    const s = await p.summary();
    const p1 = s.pods.find((x) => x.podRef.uid === 'u1')!;
    assert.equal(p1.containers.length, 1);
    assert.equal(p1.containers[0]!.startTime, new Date(1500).toISOString(), 'the newest attempt');
    assert.equal(p1.containers[0]!.cpu!.usageCoreNanoSeconds, 2e9);
    assert.equal(p1.containers[0]!.cpu!.usageNanoCores, 100e6, 'own rate: 1 s of CPU over 10 s');
    assert.equal(p1.memory!.workingSetBytes, 5 * MI, 'no sandbox stats: summed');
    const p2 = s.pods.find((x) => x.podRef.uid === 'u2')!;
    assert.equal(p2.containers[0]!.cpu!.usageNanoCores, 3e6, "the runtime's own rate is kept");
    assert.equal(p2.memory!.workingSetBytes, 11 * MI, 'sandbox cgroup figures');
    assert.equal(p2.startTime, new Date(2000).toISOString());
  });
});
