import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchemaText, scanSchemaText } from './dsl.ts';
import { TextSchema } from './index.ts';

const prefix = 'io.example.v1';
const text = `
Widget kind=example.io/v1
  apiVersion 0 string
  metadata 1 meta.ObjectMeta def={}
  size 2 *int32 req
  parts 3 []Part smp=merge:name list=map:name,kind
  labels 4 {}string map=atomic
  mode 5 string enum=|Fast|Slow def="Fast"
  when 6 *Time
Part atomic
  +Base 1
  kind 2 string
Base
  name 1 string def=""
`;

test('parses types, fields and attributes', () => {
  const types = parseSchemaText({ prefix, text }, { meta: 'io.k8s.apimachinery.pkg.apis.meta.v1' });
  assert.equal(types.length, 3);
  const [widget, part] = types;
  assert.equal(widget.name, 'io.example.v1.Widget');
  assert.deepEqual(widget.gvk, { group: 'example.io', version: 'v1', kind: 'Widget' });
  assert.deepEqual(widget.fields[1], {
    name: 'metadata',
    tag: 1,
    type: { kind: 'message', name: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
    pointer: false,
    default: {},
  });
  assert.deepEqual(widget.fields[2], { name: 'size', tag: 2, type: { kind: 'scalar', scalar: 'int32' }, pointer: true, required: true });
  assert.deepEqual(widget.fields[3], {
    name: 'parts',
    tag: 3,
    type: { kind: 'list', items: { kind: 'message', name: 'io.example.v1.Part' } },
    pointer: true,
    patchStrategy: 'merge',
    patchMergeKey: 'name',
    listType: 'map',
    listMapKeys: ['name', 'kind'],
  });
  assert.equal(widget.fields[4].mapType, 'atomic');
  assert.deepEqual(widget.fields[5].enum, ['', 'Fast', 'Slow']);
  assert.equal(widget.fields[5].default, 'Fast');
  assert.deepEqual(widget.fields[6].type, { kind: 'special', special: 'Time' });
  assert.equal(part.structType, 'atomic');
  assert.deepEqual(part.embedded, [{ tag: 1, type: 'io.example.v1.Base', position: 0 }]);
});

test('core group kinds and shared kinds', () => {
  const [t] = parseSchemaText({ prefix, text: 'Opts kind=v1*\n  x 1 string\n' }, {});
  assert.deepEqual(t.gvk, { group: '', version: 'v1', kind: 'Opts' });
  assert.equal(t.sharedKind, true);
});

test('malformed text fails loudly with the line number', () => {
  const bad = 'A\n  ok 1 string\n  broken x string\n';
  assert.throws(() => parseSchemaText({ prefix, text: bad }, {}), /line 3: bad tag/);
  assert.throws(() => parseSchemaText({ prefix, text: 'A\n  f 1 nope.Thing\n' }, {}), /unknown package alias/);
  assert.throws(() => parseSchemaText({ prefix, text: 'A\n  f 1 string smp=sideways\n' }, {}), /unknown patch strategy/);
  assert.throws(() => parseSchemaText({ prefix, text: 'A\n  f 1 string colour=red\n' }, {}), /unknown field attribute/);
  assert.throws(() => parseSchemaText({ prefix, text: 'A\n  +B\n' }, {}), /embedded struct line/);
});

test('scanning finds types without parsing fields', () => {
  const chunks = scanSchemaText({ prefix, text: 'A kind=v1\n  f 1 string\nB\n  broken\n' });
  assert.deepEqual(
    chunks.map((c) => [c.name, c.header]),
    [
      ['io.example.v1.A', 'A kind=v1'],
      ['io.example.v1.B', 'B'],
    ],
  );
});

test('TextSchema flattens embedded structs and attaches descriptions', () => {
  const s = new TextSchema([{ prefix: 'io.k8s.api.core.v1', text }], 'core.Part: A part.\n  name: Its name.\n');
  const part = s.type('io.k8s.api.core.v1.Part');
  assert.ok(part);
  assert.equal(part.description, 'A part.');
  const name = s.field(part, 'name');
  assert.equal(name?.inline, 1);
  assert.equal(name?.description, 'Its name.');
  assert.equal(s.fieldByTag(part, 1), undefined);
  assert.equal(s.fieldByTag(part, 2)?.name, 'kind');
  assert.deepEqual(
    part.fields.map((f) => f.name),
    ['name', 'kind'],
    'embedded fields sit where the embedding is',
  );
  assert.equal(s.typeForKind('example.io', 'v1', 'Widget')?.name, 'io.k8s.api.core.v1.Widget');
  assert.equal(s.typeForKind('', 'v1', 'Widget'), undefined);
});
