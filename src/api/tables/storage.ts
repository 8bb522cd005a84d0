/**
 * The storageclasses printer (storage.k8s.io/v1).
 */
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { ageColumn, column, nameColumn } from './columns.ts';
import { age } from './time.ts';
import type { Printer } from './types.ts';

const defaultClassAnnotations = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

/** Whether either the GA or the beta default-class annotation is exactly `true`. */
export function isDefaultStorageClass(sc: StorageClass): boolean {
  const annotations = sc.metadata?.annotations ?? {};
  return defaultClassAnnotations.some((a) => annotations[a] === 'true');
}

/**
 * storage.k8s.io/v1 storageclasses. The default class is marked in the Name
 * cell (`local-path (default)`); unset policies read as their defaults
 * (Delete, Immediate, no expansion).
 */
export const storageClassPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Provisioner', 'string', 'The volume plugin that provisions volumes of this class.'),
    column('ReclaimPolicy', 'string', 'The reclaim policy of volumes provisioned for this class.'),
    column('VolumeBindingMode', 'string', 'When volumes are bound and provisioned.'),
    column('AllowVolumeExpansion', 'string', 'Whether claims of this class can be resized.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const sc = obj as StorageClass;
    const name = sc.metadata?.name ?? '';
    return [
      isDefaultStorageClass(sc) ? `${name} (default)` : name,
      sc.provisioner ?? '',
      sc.reclaimPolicy ?? 'Delete',
      sc.volumeBindingMode ?? 'Immediate',
      sc.allowVolumeExpansion ?? false,
      age(obj, now),
    ];
  },
};
