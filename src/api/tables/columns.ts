/**
 * Column definition builders. Names, types, formats and priorities follow
 * the Kubernetes 1.32 printers exactly, because kubectl prints the header
 * names as given and hides priority-1 columns unless `-o wide`. Descriptions
 * are bramble's own wording; kubectl never shows them.
 */
import type { TableColumnDefinition } from './types.ts';

/** Optional parts of a column definition. */
export interface ColumnOptions {
  format?: string;
  /** 1 for wide-only columns. */
  priority?: number;
}

/** A column; `type` is the OpenAPI type upstream declares for it (not always the cell's JS type). */
export function column(name: string, type: string, description: string, options: ColumnOptions = {}): TableColumnDefinition {
  return { name, type, format: options.format ?? '', description, priority: options.priority ?? 0 };
}

/** A wide-only (`-o wide`) column. */
export function wide(name: string, type: string, description: string): TableColumnDefinition {
  return column(name, type, description, { priority: 1 });
}

/** The object-name column every built-in printer starts with. */
export function nameColumn(): TableColumnDefinition {
  return column('Name', 'string', 'The name of the object, unique within its namespace and resource.', { format: 'name' });
}

/** The Age column: time since metadata.creationTimestamp, as a short duration string. */
export function ageColumn(): TableColumnDefinition {
  return column('Age', 'string', 'Time since the object was created (metadata.creationTimestamp).');
}

/** The wide Containers/Images pair shared by the workload printers. */
export function containerColumns(): TableColumnDefinition[] {
  return [
    wide('Containers', 'string', 'Names of the containers in the pod template.'),
    wide('Images', 'string', 'Images of the containers in the pod template.'),
  ];
}

/** The wide Selector column of workload printers. */
export function selectorColumn(): TableColumnDefinition {
  return wide('Selector', 'string', 'The label selector that picks the pods this object manages.');
}
