import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podDisruptionBudgetPrinter } from './policy.ts';
import { ago, columnNames, now } from './test-fixtures.ts';

test('poddisruptionbudgets print N/A for the unset bound', () => {
  assert.deepEqual(columnNames(podDisruptionBudgetPrinter), ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
  const pdb = (spec: object, status: object = {}) => ({ metadata: { name: 'web-pdb', creationTimestamp: ago(3600) }, spec, status });
  const cases: [string, object, unknown[]][] = [
    ['minAvailable as a number', pdb({ minAvailable: 2 }, { disruptionsAllowed: 1 }), ['web-pdb', '2', 'N/A', 1, '60m']],
    ['maxUnavailable as a percentage', pdb({ maxUnavailable: '25%' }, { disruptionsAllowed: 0 }), ['web-pdb', 'N/A', '25%', 0, '60m']],
    ['maxUnavailable zero is set, not N/A', pdb({ maxUnavailable: 0 }), ['web-pdb', 'N/A', '0', 0, '60m']],
  ];
  for (const [name, obj, want] of cases) assert.deepEqual(podDisruptionBudgetPrinter.cells(obj as any, now), want, name);
});
