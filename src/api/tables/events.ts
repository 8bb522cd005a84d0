/**
 * The events printer, for both core/v1 Events and events.k8s.io/v1 Events.
 * Upstream stores one internal Event type and prints both API versions with
 * the same columns, so an events.k8s.io object is first read back into the
 * core field names (regarding -> involvedObject, note -> message,
 * reportingController -> reportingComponent, ...).
 */
import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { Event as NewEvent } from 'kubernetes-types/events/v1.js';
import { column, nameColumn, wide } from './columns.ts';
import { since, timestampMs } from './time.ts';
import type { Printer } from './types.ts';

/**
 * The core/v1 view of an event in either shape. Fields present under their
 * core names win, so a core object passes through unchanged.
 */
export function asCoreEvent(obj: Record<string, any>): CoreEvent {
  const e = obj as CoreEvent & NewEvent;
  return {
    ...e,
    involvedObject: e.involvedObject ?? e.regarding ?? {},
    message: e.message ?? e.note,
    source: e.source ?? e.deprecatedSource,
    count: e.count ?? e.deprecatedCount,
    firstTimestamp: e.firstTimestamp ?? e.deprecatedFirstTimestamp,
    lastTimestamp: e.lastTimestamp ?? e.deprecatedLastTimestamp,
    reportingComponent: e.reportingComponent ?? e.reportingController,
  };
}

/** `component, host`, falling back to the reporting controller and instance; no comma without a host. */
function eventSource(e: CoreEvent): string {
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

/** The columns shared by core/v1 and events.k8s.io/v1 events. */
const columns = [
  column('Last Seen', 'string', 'When the event was last observed.'),
  column('Type', 'string', 'Normal or Warning.'),
  column('Reason', 'string', 'Why the event happened, in UpperCamelCase.'),
  column('Object', 'string', 'The object the event is about, as kind/name.'),
  wide('Subobject', 'string', 'The part of the object the event is about (fieldPath).'),
  wide('Source', 'string', 'The component, and host, that reported the event.'),
  column('Message', 'string', 'A human-readable description of the event.'),
  wide('First Seen', 'string', 'When the event was first observed.'),
  wide('Count', 'string', 'How many times the event has occurred.'),
  { ...nameColumn(), priority: 1 },
];

function cells(obj: Record<string, any>, now: number): unknown[] {
  const e = asCoreEvent(obj);
  // New-style events carry only eventTime; old-style ones only first/lastTimestamp.
  const first =
    timestampMs(e.firstTimestamp) !== undefined ? since(e.firstTimestamp, now) : since(e.eventTime, now);
  let last = timestampMs(e.lastTimestamp) !== undefined ? since(e.lastTimestamp, now) : first;
  let count = e.count ?? 0;
  if (e.series) {
    last = since(e.series.lastObservedTime, now);
    count = e.series.count ?? 0;
  } else if (count === 0) {
    // Singleton events in the new API leave the count unset.
    count = 1;
  }

  const kind = (e.involvedObject.kind ?? '').toLowerCase();
  const target = e.involvedObject.name ? `${kind}/${e.involvedObject.name}` : kind;
  return [
    last,
    e.type ?? '',
    e.reason ?? '',
    target,
    e.involvedObject.fieldPath ?? '',
    eventSource(e),
    (e.message ?? '').trim(),
    first,
    count,
    e.metadata?.name ?? '',
  ];
}

/** core/v1 events. */
export const eventPrinter: Printer = { columns, cells };

/** events.k8s.io/v1 events: same columns, read through {@link asCoreEvent}. */
export const eventsV1Printer: Printer = { columns, cells };
