import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessModes, persistentVolumeClaimPrinter, persistentVolumePrinter } from './volumes.ts';
import { ago, cellMap, columnNames, now, wideColumnNames } from './test-fixtures.ts';

test('persistentvolume and claim columns are upstream 1.32', () => {
  assert.deepEqual(columnNames(persistentVolumePrinter), [
    'Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode',
  ]);
  assert.deepEqual(wideColumnNames(persistentVolumePrinter), ['VolumeMode']);
  assert.deepEqual(columnNames(persistentVolumeClaimPrinter), [
    'Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode',
  ]);
  assert.deepEqual(wideColumnNames(persistentVolumeClaimPrinter), ['VolumeMode']);
});

test('access modes abbreviate in a fixed order without duplicates', () => {
  assert.equal(accessModes(['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce']), 'RWO,RWX');
  assert.equal(accessModes(['ReadWriteOncePod', 'ReadOnlyMany']), 'ROX,RWOP');
  assert.equal(accessModes(undefined), '');
});

const boundPV = {
  metadata: { name: 'pvc-3f1c9e2a', creationTimestamp: ago(86400 * 12) },
  spec: {
    capacity: { storage: '10240Mi' },
    accessModes: ['ReadWriteOnce'],
    persistentVolumeReclaimPolicy: 'Delete',
    storageClassName: 'local-path',
    claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data-pg-0' },
    volumeMode: 'Filesystem',
    hostPath: { path: '/var/lib/bramble/storage/pvc-3f1c9e2a' },
  },
  status: { phase: 'Bound' },
};

test('a bound local-path volume prints every cell', () => {
  assert.deepEqual(persistentVolumePrinter.cells(boundPV, now), [
    'pvc-3f1c9e2a', '10Gi', 'RWO', 'Delete', 'Bound', 'default/data-pg-0', 'local-path', '<unset>', '', '12d', 'Filesystem',
  ]);
});

test('persistent volume cases', () => {
  const cases: [string, object, Record<string, unknown>][] = [
    ['a volume being deleted is Terminating', { ...boundPV, metadata: { ...boundPV.metadata, deletionTimestamp: ago(1) } }, { Status: 'Terminating' }],
    [
      'a failed recycle shows the reason; the beta class annotation wins',
      {
        metadata: { name: 'nfs-1', annotations: { 'volume.beta.kubernetes.io/storage-class': 'slow' } },
        spec: { capacity: { storage: '1.5Gi' }, accessModes: ['ReadWriteMany'], persistentVolumeReclaimPolicy: 'Recycle', storageClassName: 'fast', volumeMode: 'Block' },
        status: { phase: 'Failed', reason: 'RecyclerFailed' },
      },
      { Capacity: '1536Mi', Status: 'Failed', Reason: 'RecyclerFailed', StorageClass: 'slow', VolumeMode: 'Block', Claim: '' },
    ],
    [
      'unset fields read as the create-time defaults',
      { metadata: { name: 'bare' }, spec: {} },
      { Capacity: '0', 'Access Modes': '', 'Reclaim Policy': 'Retain', Status: 'Pending', StorageClass: '', VolumeMode: 'Filesystem' },
    ],
  ];
  for (const [name, obj, want] of cases) {
    const got = cellMap(persistentVolumePrinter, obj);
    for (const [column, value] of Object.entries(want)) assert.equal(got[column], value, `${name}: ${column}`);
  }
});

test('persistent volume claim cases', () => {
  const cases: [string, object, unknown[]][] = [
    [
      'a bound claim shows the volume capacity and modes',
      {
        metadata: { name: 'data-pg-0', namespace: 'default', creationTimestamp: ago(86400 * 12) },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } }, storageClassName: 'local-path', volumeName: 'pvc-3f1c9e2a', volumeMode: 'Filesystem' },
        status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
      },
      ['data-pg-0', 'Bound', 'pvc-3f1c9e2a', '10Gi', 'RWO', 'local-path', '<unset>', '12d', 'Filesystem'],
    ],
    [
      'a pending claim shows neither capacity nor modes',
      {
        metadata: { name: 'cache', namespace: 'default', creationTimestamp: ago(30) },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path', volumeAttributesClassName: 'gold' },
        status: { phase: 'Pending' },
      },
      ['cache', 'Pending', '', '', '', 'local-path', 'gold', '30s', 'Filesystem'],
    ],
    [
      'a claim being deleted, with no class and no status',
      { metadata: { name: 'old', deletionTimestamp: ago(1), creationTimestamp: ago(60) }, spec: { volumeName: 'pv-1' } },
      ['old', 'Terminating', 'pv-1', '0', '', '', '<unset>', '60s', 'Filesystem'],
    ],
  ];
  for (const [name, obj, want] of cases) assert.deepEqual(persistentVolumeClaimPrinter.cells(obj as any, now), want, name);
});
