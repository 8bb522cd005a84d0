/**
 * Response shapes for objects and lists: plain JSON, `meta.k8s.io/v1 Table`
 * (what `kubectl get` prints) or PartialObjectMetadata. Table cells come
 * from the printers in src/api/tables.
 */
import type { Obj } from '../registry/types.ts';
import type { Store } from '../registry/store.ts';

import type { Printer } from '../api/tables/types.ts';

export type { Printer };

export type PrinterLookup = (group: string, resource: string) => Printer;

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export const tableContentType = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export function partialMetadata(obj: Obj): Obj {
  const { managedFields: _mf, ...metadata } = obj['metadata'] ?? {};
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
}

export function tableRow(printer: Printer, obj: Obj, include: IncludeObject, now: number): Obj {
  const row: Obj = { cells: printer.cells(obj, now) };
  if (include === 'Object') row['object'] = obj;
  else if (include === 'Metadata') row['object'] = partialMetadata(obj);
  return row;
}

export function toTable(
  printer: Printer,
  items: Obj[],
  listMeta: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
  include: IncludeObject,
  withColumns = true,
): Obj {
  const now = Date.now();
  const metadata: Obj = {};
  if (listMeta.resourceVersion) metadata['resourceVersion'] = listMeta.resourceVersion;
  if (listMeta.continue) metadata['continue'] = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined) metadata['remainingItemCount'] = listMeta.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: withColumns ? printer.columns : null,
    rows: items.map((o) => tableRow(printer, o, include, now)),
  };
}

export function partialList(store: Store, items: Obj[], listMeta: Obj): Obj {
  return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: items.map(partialMetadata) };
}

/** Upstream list responses carry items without apiVersion/kind. */
export function stripTypeMeta(items: Obj[]): Obj[] {
  return items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
}
