import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import type { ContainerStatus, SandboxStatus } from '../runtime/types.ts';
import { generatePodStatus, podPhase, rfc3339, statusPatch } from './pod-status.ts';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const ctx = (over: Partial<{ terminal: boolean; now: number }> = {}) => ({ runtimeName: 'fake', hostIP: '192.168.1.10', now: T0 + 5_000, terminal: false, ...over });

function pod(spec: Obj = {}, status: Obj = {}): Obj {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '7' },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], restartPolicy: 'Always', ...spec },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-11-22T09:00:00Z' }], ...status },
  };
}

const sandbox: SandboxStatus = { id: 's1', metadata: { name: 'web', namespace: 'default', uid: 'u1', attempt: 0 }, state: 'ready', createdAt: T0, ips: ['10.42.0.2'], annotations: {} };

function container(name: string, state: ContainerStatus['state'], over: Partial<ContainerStatus> = {}): ContainerStatus {
  return {
    id: `${name}-id`,
    sandboxId: 's1',
    metadata: { name, attempt: 0 },
    state,
    image: 'docker.io/library/nginx:1.27',
    imageRef: 'fake://docker.io/library/nginx@sha256:00',
    createdAt: T0,
    startedAt: state === 'created' ? 0 : T0,
    finishedAt: state === 'exited' ? T0 + 2_000 : 0,
    exitCode: 0,
    reason: state === 'exited' ? 'Completed' : '',
    message: '',
    ...over,
  };
}

const cond = (s: Obj, type: string) => (s['conditions'] as Obj[]).find((c) => c['type'] === type);

describe('generatePodStatus', () => {
  it('takes readiness and startup from the probes: a running container is unready until both pass', () => {
    const spec = { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'side', image: 'nginx:1.27' }] };
    const state = (ready: Set<string>, started: Set<string>) => ({
      sandbox,
      containers: [container('web', 'running'), container('side', 'running')],
      probes: { ready: (n: string) => ready.has(n), started: (n: string) => started.has(n) },
    });
    const s1 = generatePodStatus(pod(spec), state(new Set(['side']), new Set(['web', 'side'])), ctx());
    assert.equal(s1['phase'], 'Running');
    assert.deepEqual((s1['containerStatuses'] as Obj[]).map((c) => [c['name'], c['ready'], c['started']]), [['side', true, true], ['web', false, true]]);
    assert.equal(cond(s1, 'Ready')?.['status'], 'False');
    assert.equal(cond(s1, 'ContainersReady')?.['message'], 'containers with unready status: [web]');
    // Ready according to its readiness probe but not started (startup probe pending): not ready.
    const s2 = generatePodStatus(pod(spec), state(new Set(['web', 'side']), new Set(['side'])), ctx());
    assert.deepEqual((s2['containerStatuses'] as Obj[]).map((c) => [c['name'], c['ready'], c['started']]), [['side', true, true], ['web', false, false]]);
    const s3 = generatePodStatus(pod(spec), state(new Set(['web', 'side']), new Set(['web', 'side'])), ctx());
    assert.equal(cond(s3, 'Ready')?.['status'], 'True');
    assert.equal(cond(s3, 'ContainersReady')?.['status'], 'True');
  });

  it('a running pod: Running, ready, IPs, five True conditions, kept PodScheduled time', () => {
    const s = generatePodStatus(pod(), { sandbox, containers: [container('web', 'running')] }, ctx());
    assert.equal(s['phase'], 'Running');
    assert.equal(s['podIP'], '10.42.0.2');
    assert.deepEqual(s['podIPs'], [{ ip: '10.42.0.2' }]);
    assert.equal(s['hostIP'], '192.168.1.10');
    assert.deepEqual(s['hostIPs'], [{ ip: '192.168.1.10' }]);
    assert.equal(s['startTime'], rfc3339(T0 + 5_000));
    assert.deepEqual((s['conditions'] as Obj[]).map((c) => [c['type'], c['status']]), [
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
    assert.equal(cond(s, 'PodScheduled')?.['lastTransitionTime'], '2026-11-22T09:00:00Z');
    assert.deepEqual(s['containerStatuses'], [
      {
        name: 'web',
        state: { running: { startedAt: rfc3339(T0) } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: 'docker.io/library/nginx:1.27',
        imageID: 'fake://docker.io/library/nginx@sha256:00',
        containerID: 'fake://web-id',
        started: true,
      },
    ]);
    assert.equal(s['qosClass'], undefined, 'qosClass is not ours to write');
  });

  it('waiting for the network: Pending, ContainerCreating, no pod IP, not ready', () => {
    const s = generatePodStatus(pod(), { containers: [] }, ctx());
    assert.equal(s['phase'], 'Pending');
    assert.equal(s['podIP'], undefined);
    assert.deepEqual((s['containerStatuses'] as Obj[])[0]?.['state'], { waiting: { reason: 'ContainerCreating' } });
    assert.equal(cond(s, 'PodReadyToStartContainers')?.['status'], 'False');
    assert.deepEqual([cond(s, 'Ready')?.['reason'], cond(s, 'Ready')?.['message']], ['ContainersNotReady', 'containers with unready status: [web]']);
  });

  it('init containers: regular containers wait in PodInitializing; Initialized once all exited 0', () => {
    const spec = { initContainers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }] };
    const s1 = generatePodStatus(pod(spec), { sandbox, containers: [container('a', 'exited'), container('b', 'running')] }, ctx());
    assert.equal(s1['phase'], 'Pending');
    assert.deepEqual([cond(s1, 'Initialized')?.['status'], cond(s1, 'Initialized')?.['message']], ['False', 'containers with incomplete status: [b]']);
    assert.deepEqual((s1['containerStatuses'] as Obj[])[0]?.['state'], { waiting: { reason: 'PodInitializing' } });
    assert.deepEqual((s1['initContainerStatuses'] as Obj[]).map((c) => c['name']), ['a', 'b'], 'init containers in spec order');
    const s2 = generatePodStatus(pod(spec), { sandbox, containers: [container('a', 'exited'), container('b', 'exited'), container('web', 'running')] }, ctx());
    assert.equal(s2['phase'], 'Running');
    assert.equal(cond(s2, 'Initialized')?.['status'], 'True');
  });

  it('container statuses are sorted by name, as the kubelet sorts them', () => {
    const spec = { containers: [{ name: 'z', image: 'x' }, { name: 'a', image: 'y' }] };
    const s = generatePodStatus(pod(spec), { sandbox, containers: [container('z', 'running'), container('a', 'running')] }, ctx());
    assert.deepEqual((s['containerStatuses'] as Obj[]).map((c) => c['name']), ['a', 'z']);
  });

  it('a finished pod: Succeeded with PodCompleted, or Failed', () => {
    const never = pod({ restartPolicy: 'Never' });
    const ok = generatePodStatus(never, { sandbox: { ...sandbox, state: 'notready' }, containers: [container('web', 'exited')] }, ctx());
    assert.equal(ok['phase'], 'Succeeded');
    assert.deepEqual([cond(ok, 'Ready')?.['status'], cond(ok, 'Ready')?.['reason']], ['False', 'PodCompleted']);
    assert.equal(cond(ok, 'PodReadyToStartContainers')?.['status'], 'False');
    assert.equal(ok['podIP'], '10.42.0.2', 'the IP stays in status');
    const bad = generatePodStatus(never, { sandbox, containers: [container('web', 'exited', { exitCode: 2, reason: 'Error' })] }, ctx());
    assert.equal(bad['phase'], 'Failed');
    assert.deepEqual((bad['containerStatuses'] as Obj[])[0]?.['state']?.terminated?.exitCode, 2);
  });

  it('a crash loop: waiting CrashLoopBackOff with the exit as last state; the phase stays Running', () => {
    const s = generatePodStatus(pod(), { sandbox, containers: [container('web', 'exited', { exitCode: 1, reason: 'Error', metadata: { name: 'web', attempt: 2 } })], backoff: new Map([['web', 'back-off 20s restarting failed container=web pod=web_default(u1)']]) }, ctx());
    const cs = (s['containerStatuses'] as Obj[])[0]!;
    assert.equal(s['phase'], 'Running');
    assert.equal(cs['state'].waiting.reason, 'CrashLoopBackOff');
    assert.equal(cs['lastState'].terminated.exitCode, 1);
    assert.equal(cs['restartCount'], 2);
    assert.equal(cs['ready'], false);
  });

  it('a deleted pod whose containers were stopped gets a terminal phase', () => {
    const s = generatePodStatus(pod(), { sandbox: { ...sandbox, state: 'notready' }, containers: [container('web', 'exited')] }, ctx({ terminal: true }));
    assert.equal(s['phase'], 'Succeeded');
    const f = generatePodStatus(pod(), { sandbox, containers: [container('web', 'exited', { exitCode: 137, reason: 'Error' })] }, ctx({ terminal: true }));
    assert.equal(f['phase'], 'Failed');
  });

  it('host-network pods report the host IP as pod IP', () => {
    const s = generatePodStatus(pod({ hostNetwork: true }), { sandbox: { ...sandbox, ips: [] }, containers: [container('web', 'running')] }, ctx());
    assert.equal(s['podIP'], '192.168.1.10');
  });

  it('readiness gates keep Ready False until their condition is True', () => {
    const p = pod({ readinessGates: [{ conditionType: 'example.com/lb' }] });
    const s = generatePodStatus(p, { sandbox, containers: [container('web', 'running')] }, ctx());
    assert.deepEqual([cond(s, 'Ready')?.['status'], cond(s, 'Ready')?.['reason']], ['False', 'ReadinessGatesNotReady']);
    assert.equal(cond(s, 'ContainersReady')?.['status'], 'True');
  });
});

describe('podPhase (upstream getPhase)', () => {
  const st = (state: Obj, lastState: Obj = {}) => ({ state, lastState });
  const run = st({ running: {} });
  const ok = st({ terminated: { exitCode: 0 } });
  const fail = st({ terminated: { exitCode: 1 } });
  const crash = st({ waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 1 } });
  const wait = st({ waiting: { reason: 'ContainerCreating' } });
  const cases: [string, string, Obj[], Obj[], boolean, string][] = [
    ['running', 'Always', [], [run], false, 'Running'],
    ['creating', 'Always', [], [wait], false, 'Pending'],
    ['init running', 'Always', [run], [wait], false, 'Pending'],
    ['init failed, Never', 'Never', [fail], [wait], false, 'Failed'],
    ['init failed, OnFailure (restarts)', 'OnFailure', [fail], [wait], false, 'Pending'],
    ['all succeeded, Never', 'Never', [], [ok, ok], false, 'Succeeded'],
    ['one failed, Never', 'Never', [], [ok, fail], false, 'Failed'],
    ['one failed, OnFailure (restarting)', 'OnFailure', [], [ok, fail], false, 'Running'],
    ['all succeeded, OnFailure', 'OnFailure', [], [ok], false, 'Succeeded'],
    ['exited, Always (restarting)', 'Always', [], [ok], false, 'Running'],
    ['crash loop', 'Always', [], [crash], false, 'Running'],
    ['deleted, stopped cleanly', 'Always', [], [ok], true, 'Succeeded'],
    ['deleted, killed', 'Always', [], [fail], true, 'Failed'],
    ['deleted before start', 'Always', [], [wait], true, 'Failed'],
  ];
  for (const [name, policy, init, regular, terminal, want] of cases) {
    it(name, () => assert.equal(podPhase({ spec: { restartPolicy: policy } }, init, regular, terminal), want));
  }
});

describe('statusPatch', () => {
  it('is undefined when the stored status matches (key order, dropped nulls, foreign conditions aside)', () => {
    const p = pod();
    const next = generatePodStatus(p, { sandbox, containers: [container('web', 'running')] }, ctx());
    // As stored: nulls dropped, keys reordered, another controller's condition added.
    const stored = JSON.parse(JSON.stringify(next, (_k, v) => (v === null ? undefined : v)));
    stored['conditions'] = [...stored['conditions'].reverse(), { type: 'DisruptionTarget', status: 'False' }];
    stored['qosClass'] = 'BestEffort';
    const reordered = Object.fromEntries(Object.entries(stored).reverse());
    assert.equal(statusPatch(reordered, next), undefined);
  });

  it('carries only what changed, conditions by type', () => {
    const p = pod();
    const first = generatePodStatus(p, { containers: [] }, ctx());
    const next = generatePodStatus({ ...p, status: first }, { sandbox, containers: [container('web', 'running')] }, ctx({ now: T0 + 9_000 }));
    const patch = statusPatch(first, next)!;
    assert.deepEqual(Object.keys(patch).sort(), ['conditions', 'containerStatuses', 'phase', 'podIP', 'podIPs']);
    assert.deepEqual((patch['conditions'] as Obj[]).map((c) => c['type']).sort(), ['ContainersReady', 'PodReadyToStartContainers', 'Ready']);
    assert.equal(first['startTime'], next['startTime'], 'startTime is kept');
  });
});
