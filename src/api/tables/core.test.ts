import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configMapPrinter, namespacePrinter, resourceQuotaPrinter, secretPrinter, serviceAccountPrinter } from './core.ts';
import { ago, columnNames, now } from './test-fixtures.ts';

const meta = (name: string, secondsAgo = 86400 * 3) => ({ name, namespace: 'default', creationTimestamp: ago(secondsAgo) });

test('namespaces', () => {
  assert.deepEqual(columnNames(namespacePrinter), ['Name', 'Status', 'Age']);
  const cases: [object, unknown[]][] = [
    [{ metadata: meta('kube-system'), status: { phase: 'Active' } }, ['kube-system', 'Active', '3d']],
    [{ metadata: { ...meta('old'), deletionTimestamp: ago(1) }, status: { phase: 'Terminating' } }, ['old', 'Terminating', '3d']],
    // A namespace is created Active; a stored object without status reads so.
    [{ metadata: meta('fresh', 20) }, ['fresh', 'Active', '20s']],
  ];
  for (const [obj, want] of cases) assert.deepEqual(namespacePrinter.cells(obj as any, now), want);
});

test('configmaps count text and binary keys', () => {
  assert.deepEqual(columnNames(configMapPrinter), ['Name', 'Data', 'Age']);
  const cases: [object, unknown[]][] = [
    [{ metadata: meta('kube-root-ca.crt'), data: { 'ca.crt': '-----BEGIN CERTIFICATE-----' } }, ['kube-root-ca.crt', 1, '3d']],
    [{ metadata: meta('mixed'), data: { a: '1', b: '2' }, binaryData: { logo: 'iVBORw0=' } }, ['mixed', 3, '3d']],
    [{ metadata: meta('empty') }, ['empty', 0, '3d']],
  ];
  for (const [obj, want] of cases) assert.deepEqual(configMapPrinter.cells(obj as any, now), want);
});

test('secrets', () => {
  assert.deepEqual(columnNames(secretPrinter), ['Name', 'Type', 'Data', 'Age']);
  const cases: [object, unknown[]][] = [
    [{ metadata: meta('web-tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }, ['web-tls', 'kubernetes.io/tls', 2, '3d']],
    // Type defaults to Opaque; stringData merges into data on write.
    [{ metadata: meta('creds'), data: { user: 'YQ==' }, stringData: { user: 'a', pass: 'b' } }, ['creds', 'Opaque', 2, '3d']],
  ];
  for (const [obj, want] of cases) assert.deepEqual(secretPrinter.cells(obj as any, now), want);
});

test('serviceaccounts', () => {
  assert.deepEqual(columnNames(serviceAccountPrinter), ['Name', 'Secrets', 'Age']);
  assert.deepEqual(serviceAccountPrinter.cells({ metadata: meta('default') }, now), ['default', 0, '3d']);
  assert.deepEqual(serviceAccountPrinter.cells({ metadata: meta('builder'), secrets: [{ name: 'builder-token' }] }, now), ['builder', 1, '3d']);
});

test('resourcequotas summarise usage, limits.* apart, in name order with canonical quantities', () => {
  assert.deepEqual(columnNames(resourceQuotaPrinter), ['Name', 'Request', 'Limit', 'Age']);
  const quota = {
    metadata: meta('compute', 7200),
    spec: { hard: {} },
    status: {
      hard: {
        pods: '10',
        'requests.cpu': '4',
        'requests.memory': '8Gi',
        'limits.cpu': '8',
        'limits.memory': '16384Mi',
        'count/deployments.apps': '5',
      },
      used: { pods: '3', 'requests.cpu': '1500m', 'requests.memory': '0.5Gi', 'limits.cpu': '3', 'limits.memory': '2048Mi' },
    },
  };
  assert.deepEqual(resourceQuotaPrinter.cells(quota, now), [
    'compute',
    'count/deployments.apps: 0/5, pods: 3/10, requests.cpu: 1500m/4, requests.memory: 512Mi/8Gi',
    'limits.cpu: 3/8, limits.memory: 2Gi/16Gi',
    '120m',
  ]);
  // Before the quota controller has filled status, both summaries are empty.
  assert.deepEqual(resourceQuotaPrinter.cells({ metadata: meta('new', 1), spec: { hard: { pods: '1' } } }, now), ['new', '', '', '1s']);
});
