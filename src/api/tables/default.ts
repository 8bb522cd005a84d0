/**
 * The printer for resources without a dedicated one (custom resources,
 * limitranges, bindings, ...), as the apiserver's default table convertor
 * renders them: the name and the creation time in RFC 3339, UTC, to the
 * second.
 */
import { column, nameColumn } from './columns.ts';
import { timestampMs } from './time.ts';
import type { Printer } from './types.ts';

/** Go's zero time, printed when an object has no creationTimestamp. */
const zeroTime = '0001-01-01T00:00:00Z';

/** RFC 3339 in UTC without fractional seconds, as Go's time.RFC3339 layout prints it. */
export function rfc3339(value: unknown): string {
  const ms = timestampMs(value);
  if (ms === undefined) return zeroTime;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Name and Created At. */
export const defaultPrinter: Printer = {
  columns: [nameColumn(), column('Created At', 'date', 'When the object was created (metadata.creationTimestamp).')],
  cells(obj) {
    return [obj.metadata?.name ?? '', rfc3339(obj.metadata?.creationTimestamp)];
  },
};
