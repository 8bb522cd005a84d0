import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leasePrinter } from './coordination.ts';
import { ago, columnNames, now } from './test-fixtures.ts';

test('leases show their holder', () => {
  assert.deepEqual(columnNames(leasePrinter), ['Name', 'Holder', 'Age']);
  const cases: [object, unknown[]][] = [
    [{ metadata: { name: 'pi-1', namespace: 'kube-node-lease', creationTimestamp: ago(86400 * 2) }, spec: { holderIdentity: 'pi-1', leaseDurationSeconds: 40 } }, ['pi-1', 'pi-1', '2d']],
    [{ metadata: { name: 'bramble-scheduler', creationTimestamp: ago(30) }, spec: {} }, ['bramble-scheduler', '', '30s']],
  ];
  for (const [obj, want] of cases) assert.deepEqual(leasePrinter.cells(obj as any, now), want);
});
