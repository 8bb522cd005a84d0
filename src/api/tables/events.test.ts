import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asCoreEvent, eventPrinter, eventsV1Printer } from './events.ts';
import { ago, cellMap, columnNames, now, wideColumnNames } from './test-fixtures.ts';

// MicroTime as the API writes it, with six fractional digits.
const micro = (seconds: number) => ago(seconds).replace('Z', '.000000Z');

test('event columns are upstream 1.32, for both API groups', () => {
  const names = ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name'];
  assert.deepEqual(columnNames(eventPrinter), names);
  assert.deepEqual(columnNames(eventsV1Printer), names);
  assert.deepEqual(wideColumnNames(eventPrinter), ['Subobject', 'Source', 'First Seen', 'Count', 'Name']);
  assert.equal(eventPrinter.columns.find((c) => c.name === 'Name')!.format, 'name');
});

test('a repeated kubelet event prints every cell', () => {
  const e = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'api-5d8f7.1879c3f2a1b4c5d6', namespace: 'default', creationTimestamp: ago(600) },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'api-5d8f7', uid: 'u1', fieldPath: 'spec.containers{api}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container api in pod api-5d8f7_default(u1)\n',
    source: { component: 'kubelet', host: 'pi-2' },
    firstTimestamp: ago(600),
    lastTimestamp: ago(125),
    count: 5,
    type: 'Warning',
    eventTime: null,
  };
  assert.deepEqual(eventPrinter.cells(e, now), [
    '2m5s',
    'Warning',
    'BackOff',
    'pod/api-5d8f7',
    'spec.containers{api}',
    'kubelet, pi-2',
    'Back-off restarting failed container api in pod api-5d8f7_default(u1)',
    '10m',
    5,
    'api-5d8f7.1879c3f2a1b4c5d6',
  ]);
});

const cases: { name: string; event: object; want: Record<string, unknown> }[] = [
  {
    name: 'a new-style event has only eventTime and reporting fields',
    event: {
      metadata: { name: 'web.1' },
      involvedObject: { kind: 'Pod', name: 'web' },
      reason: 'Scheduled',
      type: 'Normal',
      message: 'Successfully assigned default/web to pi-1',
      eventTime: micro(30),
      reportingComponent: 'default-scheduler',
      reportingInstance: 'default-scheduler-pi-1',
      source: {},
    },
    want: { 'Last Seen': '30s', 'First Seen': '30s', Count: 1, Source: 'default-scheduler, default-scheduler-pi-1' },
  },
  {
    name: 'an event series reports its own count and last observation',
    event: {
      metadata: { name: 'x' },
      involvedObject: { kind: 'Node', name: 'pi-1' },
      eventTime: micro(600),
      series: { count: 4, lastObservedTime: micro(60) },
      count: 0,
    },
    want: { 'Last Seen': '60s', 'First Seen': '10m', Count: 4, Object: 'node/pi-1' },
  },
  {
    name: 'no last timestamp falls back to the first',
    event: { metadata: { name: 'x' }, involvedObject: { kind: 'Pod', name: 'p' }, firstTimestamp: ago(90), count: 1 },
    want: { 'Last Seen': '90s', 'First Seen': '90s' },
  },
  {
    name: 'an object without a name prints only its kind; a source without a host has no comma',
    event: {
      metadata: { name: 'x' },
      involvedObject: { kind: 'ClusterRole' },
      source: { component: 'rbac-controller' },
      lastTimestamp: ago(10),
      firstTimestamp: ago(10),
      count: 1,
    },
    want: { Object: 'clusterrole', Source: 'rbac-controller' },
  },
  {
    name: 'no timestamps at all',
    event: { metadata: { name: 'x' }, involvedObject: { kind: 'Pod', name: 'p' } },
    want: { 'Last Seen': '<unknown>', 'First Seen': '<unknown>', Count: 1, Type: '', Reason: '', Subobject: '', Source: '', Message: '' },
  },
];

for (const c of cases) {
  test(`event: ${c.name}`, () => {
    const got = cellMap(eventPrinter, c.event);
    for (const [column, want] of Object.entries(c.want)) assert.equal(got[column], want, column);
  });
}

test('an events.k8s.io/v1 event prints as its core/v1 form does', () => {
  const v1 = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'web-7f9c.17a', namespace: 'default', creationTimestamp: ago(300) },
    eventTime: micro(300),
    regarding: { kind: 'Deployment', namespace: 'default', name: 'web', apiVersion: 'apps/v1' },
    reason: 'ScalingReplicaSet',
    note: 'Scaled up replica set web-7f9c to 3 ',
    type: 'Normal',
    action: 'Scale',
    reportingController: 'deployment-controller',
    reportingInstance: '',
    deprecatedSource: { component: 'deployment-controller' },
    deprecatedFirstTimestamp: ago(300),
    deprecatedLastTimestamp: ago(200),
    deprecatedCount: 2,
  };
  const core = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: v1.metadata,
    eventTime: v1.eventTime,
    involvedObject: v1.regarding,
    reason: v1.reason,
    message: v1.note,
    type: v1.type,
    action: v1.action,
    reportingComponent: v1.reportingController,
    reportingInstance: v1.reportingInstance,
    source: v1.deprecatedSource,
    firstTimestamp: v1.deprecatedFirstTimestamp,
    lastTimestamp: v1.deprecatedLastTimestamp,
    count: v1.deprecatedCount,
  };
  const want = ['3m20s', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller', 'Scaled up replica set web-7f9c to 3', '5m', 2, 'web-7f9c.17a'];
  assert.deepEqual(eventsV1Printer.cells(v1, now), want);
  assert.deepEqual(eventPrinter.cells(core, now), want);
  assert.equal(asCoreEvent(v1).involvedObject.name, 'web');
});

test('an events.k8s.io/v1 singleton uses reportingController as the source', () => {
  const got = cellMap(eventsV1Printer, {
    metadata: { name: 'x' },
    eventTime: micro(5),
    regarding: { kind: 'Pod', name: 'p' },
    note: 'n',
    reportingController: 'bramble.io/agent',
    reportingInstance: 'pi-3',
  });
  assert.equal(got.Source, 'bramble.io/agent, pi-3');
  assert.equal(got.Count, 1);
  assert.equal(got['Last Seen'], '5s');
});
