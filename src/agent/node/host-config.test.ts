import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { boardModel, boardModelLabel, hostNodeConfig, hostPressure, labelValueOf } from './host-config.ts';
import { nodeStatus } from './node-object.ts';
import { nodeForRegistration } from './node-object.ts';

const parseQuantity = (q: string) => (q.endsWith('Ki') ? Number(q.slice(0, -2)) * 1024 : Number(q));

test('a real node reports the machine: CPUs, memory, disk, 110 pods; allocatable keeps reservations back', () => {
  const cfg = hostNodeConfig({ name: 'pi-1', internalIP: '10.0.0.5', labels: { a: 'b' }, taints: [], dataDir: os.tmpdir(), containerRuntimeVersion: 'containerd://1.6.20', controlPlane: true, daemonPort: 10250 });
  assert.equal(cfg.capacity['cpu'], String(os.availableParallelism()));
  assert.equal(cfg.capacity['pods'], '110');
  const mem = (parseQuantity(cfg.capacity['memory']!));
  assert.ok(Math.abs(mem - os.totalmem()) < 1024, 'memory capacity is the machine total');
  const allocMem = (parseQuantity(cfg.allocatable!['memory']!));
  assert.equal(mem - allocMem, 228 * 1024 * 1024, 'agent reservation (128Mi) plus eviction threshold (100Mi)');
  assert.ok((parseQuantity(cfg.capacity['ephemeral-storage']!)) > 0);
  assert.equal(cfg.defaultLabels['node-role.kubernetes.io/control-plane'], 'true');
  assert.equal(cfg.info.containerRuntimeVersion, 'containerd://1.6.20');
  const node = nodeForRegistration(cfg, { ready: true }, Date.now());
  assert.deepEqual(node['status'].allocatable, cfg.allocatable);
  assert.notDeepEqual(node['status'].allocatable, node['status'].capacity);
  assert.equal(node['metadata'].labels.a, 'b');
});

test('board model: read from the device tree and made a valid label value', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-'));
  try {
    const f = path.join(dir, 'model');
    fs.writeFileSync(f, 'Raspberry Pi 4 Model B Rev 1.4\0');
    assert.equal(boardModel(f), 'Raspberry Pi 4 Model B Rev 1.4');
    assert.equal(labelValueOf('Raspberry Pi 4 Model B Rev 1.4'), 'Raspberry-Pi-4-Model-B-Rev-1.4');
    assert.equal(boardModel(path.join(dir, 'missing')), undefined);
    assert.equal(labelValueOf(' (weird) '), 'weird');
    assert.ok(boardModelLabel.includes('/'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('eviction signals: MemAvailable under 100Mi is memory pressure, and the node reports it as the kubelet does', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pressure-'));
  try {
    const low = path.join(dir, 'low');
    const high = path.join(dir, 'high');
    fs.writeFileSync(low, 'MemTotal:        1000000 kB\nMemAvailable:      50000 kB\n');
    fs.writeFileSync(high, 'MemTotal:        1000000 kB\nMemAvailable:     900000 kB\n');
    assert.equal(hostPressure(dir, low).memory, true);
    assert.equal(hostPressure(dir, high).memory, false);
    assert.equal(typeof hostPressure(dir, high).disk, 'boolean');
    const cfg = hostNodeConfig({ name: 'n', internalIP: '10.0.0.1', labels: {}, taints: [], dataDir: dir, containerRuntimeVersion: 'containerd://x' });
    const st = nodeStatus(cfg, { ready: true, pressure: { memory: true } }, undefined, Date.now());
    const mem = st['conditions'].find((c: { type: string }) => c.type === 'MemoryPressure');
    assert.equal(mem.status, 'True');
    assert.equal(mem.reason, 'KubeletHasInsufficientMemory');
    assert.equal(st['conditions'].find((c: { type: string }) => c.type === 'DiskPressure').status, 'False');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
