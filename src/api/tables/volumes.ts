/**
 * Printers for PersistentVolumes and PersistentVolumeClaims.
 *
 * Fields that the upstream apiserver defaults on create (reclaim policy,
 * volume mode, phase) are read with those defaults, so an object stored
 * without them prints as it would on a real cluster.
 */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { ageColumn, column, nameColumn, wide } from './columns.ts';
import { quantity } from './format.ts';
import { age } from './time.ts';
import type { Printer } from './types.ts';

/** The deprecated annotation still takes precedence over spec.storageClassName. */
const betaStorageClassAnnotation = 'volume.beta.kubernetes.io/storage-class';

const accessModeAbbreviations: [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** Access modes abbreviated in a fixed order (RWO,ROX,RWX,RWOP), duplicates dropped. */
export function accessModes(modes: string[] | undefined): string {
  const set = new Set(modes ?? []);
  return accessModeAbbreviations.filter(([mode]) => set.has(mode)).map(([, abbr]) => abbr).join(',');
}

function storageClassOf(obj: { metadata?: { annotations?: Record<string, string> }; spec?: { storageClassName?: string } }): string {
  const annotations = obj.metadata?.annotations ?? {};
  if (Object.hasOwn(annotations, betaStorageClassAnnotation)) return annotations[betaStorageClassAnnotation]!;
  return obj.spec?.storageClassName ?? '';
}

/** core/v1 persistentvolumes. */
export const persistentVolumePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Capacity', 'string', 'The storage capacity of the volume.'),
    column('Access Modes', 'string', 'How the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'What happens to the volume when its claim is released.'),
    column('Status', 'string', 'The volume phase.'),
    column('Claim', 'string', 'The claim bound to the volume, as namespace/name.'),
    column('StorageClass', 'string', 'The storage class of the volume.'),
    column('VolumeAttributesClass', 'string', 'The volume attributes class of the volume.'),
    column('Reason', 'string', 'Why the volume is in its phase, if failed.'),
    ageColumn(),
    wide('VolumeMode', 'string', 'Filesystem or Block.'),
  ],
  cells(obj, now) {
    const pv = obj as PersistentVolume;
    const ref = pv.spec?.claimRef;
    const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : pv.status?.phase || 'Pending';
    return [
      pv.metadata?.name ?? '',
      quantity(pv.spec?.capacity?.storage),
      accessModes(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy || 'Retain',
      phase,
      ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
      storageClassOf(pv),
      pv.spec?.volumeAttributesClassName ?? '<unset>',
      pv.status?.reason ?? '',
      age(obj, now),
      pv.spec?.volumeMode || 'Filesystem',
    ];
  },
};

/** core/v1 persistentvolumeclaims. Capacity and access modes show only once bound to a volume. */
export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'The claim phase.'),
    column('Volume', 'string', 'The volume bound to the claim.'),
    column('Capacity', 'string', 'The capacity of the bound volume.'),
    column('Access Modes', 'string', 'The access modes of the bound volume.'),
    column('StorageClass', 'string', 'The storage class the claim asks for.'),
    column('VolumeAttributesClass', 'string', 'The volume attributes class the claim asks for.'),
    ageColumn(),
    wide('VolumeMode', 'string', 'Filesystem or Block.'),
  ],
  cells(obj, now) {
    const pvc = obj as PersistentVolumeClaim;
    const volumeName = pvc.spec?.volumeName ?? '';
    const bound = volumeName !== '';
    const phase = pvc.metadata?.deletionTimestamp ? 'Terminating' : pvc.status?.phase || 'Pending';
    return [
      pvc.metadata?.name ?? '',
      phase,
      volumeName,
      bound ? quantity(pvc.status?.capacity?.storage) : '',
      bound ? accessModes(pvc.status?.accessModes) : '',
      storageClassOf(pvc),
      pvc.spec?.volumeAttributesClassName ?? '<unset>',
      age(obj, now),
      pvc.spec?.volumeMode || 'Filesystem',
    ];
  },
};
