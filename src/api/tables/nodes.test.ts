import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { nodePrinter } from './nodes.ts';
import { ago, cellMap, columnNames, now, wideColumnNames } from './test-fixtures.ts';

function node(name: string, over: { labels?: Record<string, string>; ready?: string | null; unschedulable?: boolean } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, creationTimestamp: ago(5 * 86400 + 4 * 3600), labels: over.labels ?? { 'kubernetes.io/hostname': name } },
    spec: over.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions:
        over.ready === null
          ? []
          : [
              { type: 'MemoryPressure', status: 'False' },
              { type: 'Ready', status: over.ready ?? 'True', reason: 'KubeletReady' },
            ],
      addresses: [
        { type: 'Hostname', address: name },
        { type: 'InternalIP', address: '192.168.1.10' },
        { type: 'InternalIP', address: 'fd00::10' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.4-bramble1',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.6.51+rpt-rpi-2712',
        containerRuntimeVersion: 'containerd://1.7.24',
        architecture: 'arm64',
        bootID: '',
        kubeProxyVersion: '',
        machineID: '',
        operatingSystem: 'linux',
        systemUUID: '',
      },
    },
  };
}

test('node columns are upstream 1.32', () => {
  assert.deepEqual(columnNames(nodePrinter), [
    'Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime',
  ]);
  assert.deepEqual(wideColumnNames(nodePrinter), ['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
});

test('a cordoned control-plane node prints every cell', () => {
  const n = node('pi-1', {
    labels: { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true', 'node-role.kubernetes.io/etcd': '' },
    unschedulable: true,
  });
  assert.deepEqual(nodePrinter.cells(n, now), [
    'pi-1',
    'Ready,SchedulingDisabled',
    'control-plane,etcd,master',
    '5d4h',
    'v1.32.4-bramble1',
    '192.168.1.10',
    '<none>',
    'Debian GNU/Linux 12 (bookworm)',
    '6.6.51+rpt-rpi-2712',
    'containerd://1.7.24',
  ]);
});

const cases: { name: string; node: Node; want: Record<string, unknown> }[] = [
  { name: 'a worker with no role labels', node: node('pi-2'), want: { Status: 'Ready', Roles: '<none>' } },
  { name: 'a node whose kubelet stopped posting', node: node('pi-3', { ready: 'Unknown' }), want: { Status: 'NotReady' } },
  { name: 'a node not ready', node: node('pi-3', { ready: 'False' }), want: { Status: 'NotReady' } },
  { name: 'a node with no Ready condition yet', node: node('pi-4', { ready: null }), want: { Status: 'Unknown' } },
  {
    name: 'a cordoned node with no Ready condition',
    node: node('pi-4', { ready: null, unschedulable: true }),
    want: { Status: 'Unknown,SchedulingDisabled' },
  },
  {
    name: 'roles merge the legacy kubernetes.io/role label, de-duplicated and sorted',
    node: node('pi-5', {
      labels: { 'kubernetes.io/role': 'worker', 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/': 'x', 'node-role.kubernetes.io/edge': '' },
    }),
    want: { Roles: 'edge,worker' },
  },
  { name: 'an empty legacy role label is ignored', node: node('pi-6', { labels: { 'kubernetes.io/role': '' } }), want: { Roles: '<none>' } },
];

for (const c of cases) {
  test(`node: ${c.name}`, () => {
    const got = cellMap(nodePrinter, c.node);
    for (const [column, want] of Object.entries(c.want)) assert.equal(got[column], want, column);
  });
}

test('a node that has not reported its system info yet', () => {
  const got = cellMap(nodePrinter, { metadata: { name: 'new' }, status: { addresses: [{ type: 'ExternalIP', address: '203.0.113.7' }] } });
  assert.deepEqual(got, {
    Name: 'new',
    Status: 'Unknown',
    Roles: '<none>',
    Age: '<unknown>',
    Version: '',
    'Internal-IP': '<none>',
    'External-IP': '203.0.113.7',
    'OS-Image': '<unknown>',
    'Kernel-Version': '<unknown>',
    'Container-Runtime': '<unknown>',
  });
});
