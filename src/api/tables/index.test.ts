import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../resources.ts';
import { defaultPrinter, humanDuration, printerFor } from './index.ts';
import { columnNames, now } from './test-fixtures.ts';

/** Served resources that have no printer upstream either. */
const defaultTable = new Set(['/limitranges', '/bindings']);

test('every served resource has its printer; only the upstream ones fall back to the default table', () => {
  for (const r of resources) {
    const key = `${r.group}/${r.resource}`;
    const printer = printerFor(r.group, r.resource);
    assert.equal(printer === defaultPrinter, defaultTable.has(key), key);
  }
});

test('every printer is well formed and fills one cell per column, even for a bare object', () => {
  for (const r of resources) {
    const key = `${r.group}/${r.resource}`;
    const p = printerFor(r.group, r.resource);
    const names = columnNames(p);
    assert.equal(new Set(names).size, names.length, `${key}: duplicate columns`);
    assert.equal(p.columns.filter((c) => c.format === 'name').length, 1, `${key}: one name column`);
    for (const c of p.columns) {
      assert.ok(['string', 'integer', 'boolean', 'date'].includes(c.type), `${key}/${c.name}: type ${c.type}`);
      assert.ok(c.priority === 0 || c.priority === 1, `${key}/${c.name}: priority`);
      assert.ok(c.description.length > 0, `${key}/${c.name}: description`);
    }
    for (const obj of [{}, { metadata: { name: 'x' } }, { metadata: { name: 'x' }, spec: {}, status: {} }]) {
      const cells = p.cells(obj, now);
      assert.equal(cells.length, p.columns.length, `${key}: cell count`);
      for (const cell of cells) assert.ok(['string', 'number', 'boolean'].includes(typeof cell), `${key}: cell ${String(cell)}`);
    }
  }
});

test('both event APIs print the same columns', () => {
  assert.deepEqual(printerFor('events.k8s.io', 'events').columns, printerFor('', 'events').columns);
});

test('custom and unknown resources get the default table', () => {
  assert.equal(printerFor('stable.example.com', 'crontabs'), defaultPrinter);
  assert.deepEqual(columnNames(printerFor('apps', 'nope')), ['Name', 'Created At']);
});

test('humanDuration is exported', () => {
  assert.equal(humanDuration(200_000), '3m20s');
});
