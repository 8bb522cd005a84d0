import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storageClassPrinter } from './storage.ts';
import { ago, columnNames, now } from './test-fixtures.ts';

test('storageclass columns are upstream 1.32', () => {
  assert.deepEqual(columnNames(storageClassPrinter), ['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age']);
});

test('storageclasses', () => {
  const sc = (name: string, annotations: Record<string, string>, extra: object = {}) => ({
    metadata: { name, annotations, creationTimestamp: ago(86400 * 30) },
    provisioner: 'bramble.io/local-path',
    ...extra,
  });
  const cases: [string, object, unknown[]][] = [
    [
      'the default class, fully specified',
      sc('local-path', { 'storageclass.kubernetes.io/is-default-class': 'true' }, { reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true }),
      ['local-path (default)', 'bramble.io/local-path', 'Retain', 'WaitForFirstConsumer', true, '30d'],
    ],
    ['the beta annotation also marks the default', sc('old', { 'storageclass.beta.kubernetes.io/is-default-class': 'true' }), ['old (default)', 'bramble.io/local-path', 'Delete', 'Immediate', false, '30d']],
    ['only the exact value true counts', sc('nfs', { 'storageclass.kubernetes.io/is-default-class': 'True' }), ['nfs', 'bramble.io/local-path', 'Delete', 'Immediate', false, '30d']],
  ];
  for (const [name, obj, want] of cases) assert.deepEqual(storageClassPrinter.cells(obj as any, now), want, name);
});
