import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/clock.ts';
import type { Obj } from '../../client/types.ts';
import { ProbeManager } from './manager.ts';
import type { ContainerProbeState, ExecResult } from './types.ts';

const flush = () => new Promise((r) => setImmediate(r));

/** A manager whose exec probes answer from `health[containerId]` (exit code), recording every call. */
function harness() {
  const clock = new FakeClock(1_000_000);
  const health: Record<string, number | Error> = {};
  const calls: string[] = [];
  const results: string[] = [];
  const events: string[] = [];
  const pm = new ProbeManager({
    clock,
    exec: async (id, cmd): Promise<ExecResult> => {
      calls.push(`${id}:${cmd.join(' ')}`);
      const h = health[id] ?? 0;
      if (h instanceof Error) throw h;
      return { exitCode: h, stdout: h === 0 ? '' : `exit ${h}`, stderr: '' };
    },
    onResult: (uid, name, kind, result, message) => results.push(`${uid}/${name} ${kind}=${result}${message ? ` (${message})` : ''}`),
    onEvent: (_uid, name, _kind, reason, message) => events.push(`${name} ${reason}: ${message}`),
  });
  const tick = async (ms: number) => {
    clock.advance(ms);
    await flush();
  };
  return { clock, health, calls, results, events, pm, tick };
}

function pod(container: Obj): Obj {
  return { metadata: { uid: 'u1', name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'app', ...container }] } };
}

const probe = (cmd: string, extra: Obj = {}) => ({ exec: { command: [cmd] }, periodSeconds: 10, ...extra });
const running = (id: string, startedAt: number): ContainerProbeState[] => [{ name: 'app', containerId: id, running: true, startedAt }];

describe('ProbeManager', () => {
  it('readiness: not ready until a success, flips after the thresholds, events on failures', async () => {
    const h = harness();
    const p = pod({ readinessProbe: probe('ready', { successThreshold: 2, failureThreshold: 2 }) });
    h.pm.syncPod(p, '10.0.0.1', running('c1', h.clock.now()));
    await flush();
    assert.equal(h.pm.ready('u1', 'app'), false, 'one success is not enough');
    assert.equal(h.calls.length, 1, 'probed at once (manual trigger)');
    await h.tick(10_000);
    assert.equal(h.pm.ready('u1', 'app'), true);
    assert.deepEqual(h.results, ['u1/app readiness=success']);

    h.health['c1'] = 1;
    await h.tick(10_000);
    assert.equal(h.pm.ready('u1', 'app'), true, 'one failure is not enough');
    await h.tick(10_000);
    assert.equal(h.pm.ready('u1', 'app'), false);
    assert.deepEqual(h.results.slice(1), ['u1/app readiness=failure (Readiness probe failed: exit 1)']);
    assert.deepEqual(h.events, ['app Unhealthy: Readiness probe failed: exit 1', 'app Unhealthy: Readiness probe failed: exit 1']);
    h.pm.stop();
    assert.equal(h.clock.pending(), 0, 'no timers left');
  });

  it('liveness: failureThreshold failures report once, then hold until a new container', async () => {
    const h = harness();
    const p = pod({ livenessProbe: probe('live', { failureThreshold: 3 }) });
    h.health['c1'] = 1;
    h.pm.syncPod(p, '10.0.0.1', running('c1', h.clock.now()));
    await h.tick(0);
    await h.tick(10_000);
    assert.deepEqual(h.results, []);
    await h.tick(10_000);
    assert.deepEqual(h.results, ['u1/app liveness=failure (Liveness probe failed: exit 1)']);
    const before = h.calls.length;
    await h.tick(30_000);
    assert.equal(h.calls.length, before, 'on hold: no probes for the doomed container');

    // The sync loop restarted it: a new id starts over.
    h.health['c2'] = 0;
    h.pm.syncPod(p, '10.0.0.1', running('c2', h.clock.now()));
    await h.tick(10_000);
    assert.equal(h.calls.at(-1), 'c2:live');
    assert.equal(h.results.length, 1, 'back to success is not a change worth reporting (liveness starts as success)');
    h.pm.stop();
  });

  it('initialDelaySeconds and startup gating', async () => {
    const h = harness();
    const p = pod({
      startupProbe: probe('start', { periodSeconds: 5, failureThreshold: 30 }),
      livenessProbe: probe('live', { initialDelaySeconds: 20 }),
    });
    h.health['c1'] = 1;
    const t0 = h.clock.now();
    h.pm.syncPod(p, '10.0.0.1', running('c1', t0));
    await h.tick(0);
    await h.tick(5_000);
    assert.equal(h.pm.started('u1', 'app'), false);
    assert.ok(h.calls.every((c): boolean => c === 'c1:start'), 'liveness waits for startup');
    h.health['c1'] = 0;
    await h.tick(5_000);
    assert.equal(h.pm.started('u1', 'app'), true);
    assert.deepEqual(h.results, ['u1/app startup=success']);
    const startCalls = h.calls.filter((c) => c === 'c1:start').length;
    await h.tick(10_000); // t0+20s: liveness may run now
    await h.tick(10_000);
    assert.equal(h.calls.filter((c) => c === 'c1:start').length, startCalls, 'startup probe stops after success');
    assert.ok(h.calls.includes('c1:live'));
    const firstLive = h.calls.indexOf('c1:live');
    assert.ok(firstLive > 0);
    h.pm.stop();
  });

  it('liveness honours initialDelaySeconds', async () => {
    const h = harness();
    h.pm.syncPod(pod({ livenessProbe: probe('live', { initialDelaySeconds: 15 }) }), '10.0.0.1', running('c1', h.clock.now()));
    await h.tick(0);
    await h.tick(10_000);
    assert.deepEqual(h.calls, [], 'not before 15 s');
    await h.tick(10_000);
    assert.deepEqual(h.calls, ['c1:live']);
    h.pm.stop();
  });

  it('probe errors are events only; a stopped container is not ready; removePod stops everything', async () => {
    const h = harness();
    const p = pod({ readinessProbe: probe('ready', { failureThreshold: 1 }) });
    h.health['c1'] = new Error('exec failed: container is stopping');
    h.pm.syncPod(p, '10.0.0.1', running('c1', h.clock.now()));
    await h.tick(0);
    await h.tick(10_000);
    assert.deepEqual(h.results, []);
    assert.equal(h.events[0], 'app Unhealthy: Readiness probe errored: exec failed: container is stopping');
    h.health['c1'] = 0;
    await h.tick(10_000);
    assert.equal(h.pm.ready('u1', 'app'), true);
    h.pm.syncPod(p, '10.0.0.1', [{ name: 'app', containerId: 'c1', running: false, startedAt: 0 }]);
    assert.equal(h.pm.ready('u1', 'app'), false);
    assert.equal(h.results.at(-1), 'u1/app readiness=failure');
    h.pm.removePod('u1');
    assert.equal(h.clock.pending(), 0);
    assert.equal(h.pm.ready('u1', 'app'), true, 'unknown pods have no probe');
  });

  it('httpGet probes reach the pod IP given to syncPod (real server on loopback)', async () => {
    const http = await import('node:http');
    const srv = http.createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    const h = harness();
    try {
      h.pm.syncPod(pod({ ports: [{ name: 'http', containerPort: port }], readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 } }), '127.0.0.1', running('c1', h.clock.now()));
      for (let i = 0; i < 20 && h.events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(h.events, ['app Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503']);
    } finally {
      h.pm.stop();
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
