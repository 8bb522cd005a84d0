import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointSlicePrinter } from './discovery.ts';
import { ago, columnNames, now } from './test-fixtures.ts';

test('endpointslice columns are upstream 1.32', () => {
  assert.deepEqual(columnNames(endpointSlicePrinter), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
});

test('endpointslices', () => {
  const slice = (ports: object[] | undefined, endpoints: object[] | undefined) => ({
    metadata: { name: 'web-x7k2m', creationTimestamp: ago(600) },
    addressType: 'IPv4',
    ports,
    endpoints,
  });
  const ep = (...addresses: string[]) => ({ addresses, conditions: { ready: true } });
  const cases: [string, object, unknown[]][] = [
    ['a typical slice', slice([{ name: 'http', port: 80, protocol: 'TCP' }], [ep('10.42.1.13'), ep('10.42.2.7')]), ['web-x7k2m', 'IPv4', '80', '10.42.1.13,10.42.2.7', '10m']],
    ['nothing yet', slice(undefined, undefined), ['web-x7k2m', 'IPv4', '<unset>', '<unset>', '10m']],
    [
      'ports without numbers show the name, else * (all ports)',
      slice([{ name: 'metrics' }, {}, { port: 443 }, { port: 8443 }], [ep('10.42.1.2', '10.42.1.3'), ep('10.42.1.4'), ep('10.42.1.5', '10.42.1.6')]),
      ['web-x7k2m', 'IPv4', 'metrics,*,443 + 1 more...', '10.42.1.2,10.42.1.3,10.42.1.4 + 2 more...', '10m'],
    ],
  ];
  for (const [name, obj, want] of cases) assert.deepEqual(endpointSlicePrinter.cells(obj as any, now), want, name);
});
