/**
 * Events, through core/v1 (legacy rules, no name checks: old clients
 * rely on that) and through events.k8s.io/v1 (strict rules). Both end up
 * as the same stored object, so errors name the core fields as upstream does.
 */
import { field, root, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { byteLength, isDNS1123Subdomain, isQualifiedName } from './names.ts';
import { deepEqual, isObj, isSet, obj, str, type Obj } from './util.ts';

/** The core shape of an events.k8s.io/v1 Event, for validation only. */
export function eventToCore(e: Obj): Obj {
  return {
    metadata: e.metadata,
    involvedObject: e.regarding,
    related: e.related,
    reason: e.reason,
    message: e.note,
    source: e.deprecatedSource,
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    count: e.deprecatedCount,
    type: e.type,
    eventTime: e.eventTime,
    series: e.series,
    action: e.action,
    reportingComponent: e.reportingController,
    reportingInstance: e.reportingInstance,
  };
}

function legacy(ev: Obj, strictGroup: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const namespace = str(obj(ev.metadata).namespace);
  const involvedNs = str(obj(ev.involvedObject).namespace);
  const rcName = strictGroup ? 'reportingController' : 'reportingComponent';
  const ns = root('involvedObject', 'namespace');
  if (!isSet(ev.eventTime)) {
    if (!involvedNs) {
      if (namespace !== '' && namespace !== 'default') errs.push(field.invalid(ns, involvedNs, 'does not match event.namespace'));
    } else if (namespace !== involvedNs) errs.push(field.invalid(ns, involvedNs, 'does not match event.namespace'));
  } else {
    if (!involvedNs && namespace !== 'default' && namespace !== 'kube-system') errs.push(field.invalid(ns, involvedNs, 'does not match event.namespace'));
    const rc = str(ev.reportingComponent);
    if (!rc) errs.push(field.required(root(rcName)));
    errs.push(...isQualifiedName(rc).map((m) => field.invalid(root(rcName), rc, m)));
    const limit = (k: string, max: number, path = k) => {
      if (byteLength(str(ev[k])) > max) errs.push(field.invalid(root(path), '', `can have at most ${max} characters`));
    };
    if (!str(ev.reportingInstance)) errs.push(field.required(root('reportingInstance')));
    limit('reportingInstance', 128);
    if (!str(ev.action)) errs.push(field.required(root('action')));
    limit('action', 128);
    if (!str(ev.reason)) errs.push(field.required(root('reason')));
    limit('reason', 128);
    limit('message', 1024);
  }
  errs.push(...isDNS1123Subdomain(namespace).map((m) => field.invalid(root('namespace'), namespace, m)));
  return errs;
}

/** `strictGroup` is true for requests through events.k8s.io. */
export function validateEvent(ev: Obj, strictGroup: boolean): FieldError[] {
  const errs = legacy(ev, strictGroup);
  if (!strictGroup) return errs;
  errs.push(...validateObjectMeta(ev.metadata, true, nameIsDNSSubdomain));
  if (isObj(ev.series)) {
    if (typeof ev.series.count !== 'number' || ev.series.count < 2)
      errs.push(field.invalid(root('series', 'count'), '', 'should be at least 2'));
    if (!isSet(ev.series.lastObservedTime)) errs.push(field.required(root('series', 'lastObservedTime')));
  }
  if (!isSet(ev.eventTime)) errs.push(field.required(root('eventTime')));
  if (ev.type !== 'Normal' && ev.type !== 'Warning') errs.push(field.invalid(root('type'), '', `has invalid value: ${str(ev.type)}`));
  if (isSet(ev.firstTimestamp)) errs.push(field.invalid(root('firstTimestamp'), '', 'needs to be unset'));
  if (isSet(ev.lastTimestamp)) errs.push(field.invalid(root('lastTimestamp'), '', 'needs to be unset'));
  if (typeof ev.count === 'number' && ev.count !== 0) errs.push(field.invalid(root('count'), '', 'needs to be unset'));
  if (str(obj(ev.source).component) || str(obj(ev.source).host)) errs.push(field.invalid(root('source'), '', 'needs to be unset'));
  return errs;
}

export function validateEventUpdate(ev: Obj, old: Obj, strictGroup: boolean): FieldError[] {
  const errs = [...legacy(ev, strictGroup), ...validateObjectMetaUpdate(ev.metadata, old.metadata)];
  if (!strictGroup) return errs;
  const fixed: Array<[string, string]> = [
    ['involvedObject', 'involvedObject'],
    ['reason', 'reason'],
    ['message', 'message'],
    ['source', 'source'],
    ['firstTimestamp', 'firstTimestamp'],
    ['lastTimestamp', 'lastTimestamp'],
    ['count', 'count'],
    ['reason', 'reason'],
    ['type', 'type'],
    ['eventTime', 'eventTime'],
    ['action', 'action'],
    ['related', 'related'],
    ['reportingComponent', 'reportingController'],
    ['reportingInstance', 'reportingInstance'],
  ];
  const seen = new Set<string>();
  for (const [k, path] of fixed) {
    if (seen.has(k)) continue;
    seen.add(k);
    if (!deepEqual(ev[k], old[k])) errs.push(field.invalid(root(path), ev[k] ?? null, 'field is immutable'));
  }
  return errs;
}
