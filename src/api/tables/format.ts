/**
 * Small cell formatters shared by several printers.
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import { canonicalQuantity } from '../quantity.ts';

/** The wide Containers and Images cells: names and images, comma-joined, in order. */
export function containerCells(containers: Container[] | undefined | null): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** Go's bool formatting used by the printers: `True` / `False`. */
export function printBool(value: boolean): string {
  return value ? 'True' : 'False';
}

/**
 * Up to `max` items comma-joined, then ` + N more...` counting the rest;
 * `<unset>` when there are none. Used by the EndpointSlice columns.
 */
export function listWithMore(items: string[], max = 3): string {
  if (items.length === 0) return '<unset>';
  const shown = items.slice(0, max).join(',');
  return items.length > max ? `${shown} + ${items.length - max} more...` : shown;
}

/** `host:port`, bracketing IPv6 addresses as Go's net.JoinHostPort does. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's IntOrString.String(): the number in decimal, or the string as is. */
export function intOrString(value: number | string): string {
  return typeof value === 'number' ? String(value) : value;
}

/** An integer field that may be absent; Go prints the zero value. */
export function int(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/**
 * A quantity cell: the canonical form (`1024Mi` prints `1Gi`), `0` when
 * absent (Go's zero Quantity), the raw text if it is not a quantity.
 */
export function quantity(value: unknown): string {
  if (value === undefined || value === null) return '0';
  return canonicalQuantity(value) ?? String(value);
}
