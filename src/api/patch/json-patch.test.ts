import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isApiError } from '../errors.ts';
import { applyJsonPatch, applyJsonPatchOperations, decodeJsonPatch, JsonPatchError, type JsonPatchOperation } from './json-patch.ts';

const doc = () => ({
  metadata: { name: 'web', annotations: { a: '1' }, 'odd/key': 'slash', 'ti~lde': 'tilde' },
  spec: { list: ['x', 'y', 'z'], nested: { n: null as null | number } },
});

describe('applyJsonPatchOperations', () => {
  const ok: { name: string; ops: JsonPatchOperation[]; check: (out: any) => void }[] = [
    { name: 'add a member', ops: [{ op: 'add', path: '/metadata/labels', value: { app: 'web' } }], check: (o) => assert.deepEqual(o.metadata.labels, { app: 'web' }) },
    { name: 'add overwrites a member', ops: [{ op: 'add', path: '/metadata/name', value: 'api' }], check: (o) => assert.equal(o.metadata.name, 'api') },
    { name: 'add inserts at an index', ops: [{ op: 'add', path: '/spec/list/1', value: 'n' }], check: (o) => assert.deepEqual(o.spec.list, ['x', 'n', 'y', 'z']) },
    { name: 'add at the length appends', ops: [{ op: 'add', path: '/spec/list/3', value: 'n' }], check: (o) => assert.deepEqual(o.spec.list, ['x', 'y', 'z', 'n']) },
    { name: '- appends', ops: [{ op: 'add', path: '/spec/list/-', value: 'n' }], check: (o) => assert.deepEqual(o.spec.list, ['x', 'y', 'z', 'n']) },
    { name: 'negative index counts from the end (v4)', ops: [{ op: 'add', path: '/spec/list/-1', value: 'n' }], check: (o) => assert.deepEqual(o.spec.list, ['x', 'y', 'z', 'n']) },
    { name: 'add without value adds null (v4)', ops: [{ op: 'add', path: '/metadata/x' }], check: (o) => assert.equal(o.metadata.x, null) },
    { name: '~1 and ~0 unescape', ops: [{ op: 'replace', path: '/metadata/odd~1key', value: 's' }, { op: 'remove', path: '/metadata/ti~0lde' }], check: (o) => {
      assert.equal(o.metadata['odd/key'], 's');
      assert.equal('ti~lde' in o.metadata, false);
    } },
    { name: 'remove a member', ops: [{ op: 'remove', path: '/metadata/annotations' }], check: (o) => assert.equal('annotations' in o.metadata, false) },
    { name: 'remove an item', ops: [{ op: 'remove', path: '/spec/list/0' }], check: (o) => assert.deepEqual(o.spec.list, ['y', 'z']) },
    { name: 'remove the last item by -1', ops: [{ op: 'remove', path: '/spec/list/-1' }], check: (o) => assert.deepEqual(o.spec.list, ['x', 'y']) },
    { name: 'replace a member', ops: [{ op: 'replace', path: '/spec/list', value: [] }], check: (o) => assert.deepEqual(o.spec.list, []) },
    { name: 'replace of a missing member adds it (v4)', ops: [{ op: 'replace', path: '/metadata/labels', value: { a: 'b' } }], check: (o) => assert.deepEqual(o.metadata.labels, { a: 'b' }) },
    { name: 'replace the whole document', ops: [{ op: 'replace', path: '', value: { kind: 'X' } }], check: (o) => assert.deepEqual(o, { kind: 'X' }) },
    { name: 'move', ops: [{ op: 'move', from: '/metadata/annotations', path: '/metadata/labels' }], check: (o) => {
      assert.deepEqual(o.metadata.labels, { a: '1' });
      assert.equal('annotations' in o.metadata, false);
    } },
    { name: 'move within a list', ops: [{ op: 'move', from: '/spec/list/0', path: '/spec/list/-' }], check: (o) => assert.deepEqual(o.spec.list, ['y', 'z', 'x']) },
    { name: 'copy', ops: [{ op: 'copy', from: '/spec/list', path: '/spec/copy' }], check: (o) => {
      assert.deepEqual(o.spec.copy, ['x', 'y', 'z']);
      o.spec.copy.push('w');
      assert.deepEqual(o.spec.list, ['x', 'y', 'z']);
    } },
    { name: 'copy of a missing member copies null (v4)', ops: [{ op: 'copy', from: '/metadata/none', path: '/metadata/x' }], check: (o) => assert.equal(o.metadata.x, null) },
    { name: 'test equal value passes', ops: [{ op: 'test', path: '/spec/list', value: ['x', 'y', 'z'] }, { op: 'test', path: '/metadata/annotations', value: { a: '1' } }], check: () => {} },
    { name: 'test null matches a missing member', ops: [{ op: 'test', path: '/metadata/none', value: null }, { op: 'test', path: '/spec/nested/n', value: null }], check: () => {} },
    { name: 'test the whole document', ops: [{ op: 'test', path: '', value: doc() }], check: () => {} },
    { name: 'no operations', ops: [], check: (o) => assert.deepEqual(o, doc()) },
  ];
  for (const c of ok) {
    it(c.name, () => {
      const input = doc();
      const out = applyJsonPatchOperations(input, c.ops);
      c.check(out);
      assert.deepEqual(input, doc(), 'the input is not modified');
    });
  }

  const failing: { name: string; ops: JsonPatchOperation[]; message: string }[] = [
    { name: 'add below a missing member', ops: [{ op: 'add', path: '/status/x', value: 1 }], message: 'add operation does not apply: doc is missing path: "/status/x": missing value' },
    { name: 'add with the empty path (v4)', ops: [{ op: 'add', path: '', value: {} }], message: 'add operation does not apply: doc is missing path: "": missing value' },
    { name: 'add past the end', ops: [{ op: 'add', path: '/spec/list/4', value: 'n' }], message: "error in add for path: '/spec/list/4': Unable to access invalid index: 4: invalid index referenced" },
    { name: 'add at a non-index', ops: [{ op: 'add', path: '/spec/list/x', value: 'n' }], message: `error in add for path: '/spec/list/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax` },
    { name: 'remove a missing member', ops: [{ op: 'remove', path: '/metadata/labels' }], message: "error in remove for path: '/metadata/labels': Unable to remove nonexistent key: labels: missing value" },
    { name: 'remove past the end', ops: [{ op: 'remove', path: '/spec/list/3' }], message: "error in remove for path: '/spec/list/3': Unable to access invalid index: 3: invalid index referenced" },
    { name: 'replace a missing item', ops: [{ op: 'replace', path: '/spec/list/5', value: 'n' }], message: 'replace operation does not apply: doc is missing key: /spec/list/5: missing value' },
    { name: 'replace below a missing member', ops: [{ op: 'replace', path: '/metadata/labels/app', value: 'n' }], message: 'replace operation does not apply: doc is missing path: /metadata/labels/app: missing value' },
    { name: 'failed test', ops: [{ op: 'test', path: '/metadata/name', value: 'api' }], message: 'testing value /metadata/name failed: test failed' },
    { name: 'test of a missing member with a value', ops: [{ op: 'test', path: '/metadata/none', value: 'x' }], message: 'testing value /metadata/none failed: test failed' },
    { name: 'unknown operation', ops: [{ op: 'frobnicate', path: '/x' }], message: 'Unexpected kind: frobnicate' },
    { name: 'operation without op', ops: [{ path: '/x' }], message: 'Unexpected kind: unknown' },
    { name: 'failure stops the patch', ops: [{ op: 'add', path: '/a', value: 1 }, { op: 'remove', path: '/nope' }], message: "error in remove for path: '/nope': Unable to remove nonexistent key: nope: missing value" },
  ];
  for (const c of failing) {
    it(`fails: ${c.name}`, () => {
      assert.throws(() => applyJsonPatchOperations(doc(), c.ops), (e: unknown) => e instanceof JsonPatchError && e.message === c.message);
    });
  }
});

describe('applyJsonPatch (as the apiserver answers)', () => {
  it('applies the rollout undo patch kubectl sends', () => {
    const deployment = {
      metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '3' } },
      spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
    };
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } };
    const out = applyJsonPatch(deployment, [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '2' } },
    ]) as typeof deployment;
    assert.deepEqual(out.spec.template, template);
    assert.deepEqual(out.metadata.annotations, { 'deployment.kubernetes.io/revision': '2' });
  });

  it('answers a patch that does not apply with the generic 422', () => {
    assert.throws(
      () => applyJsonPatch(doc(), [{ op: 'test', path: '/metadata/name', value: 'other' }]),
      (e: unknown) =>
        isApiError(e, 'Invalid') &&
        e.code === 422 &&
        e.message === 'the server rejected our request due to an error in our request' &&
        e.cause instanceof JsonPatchError &&
        e.cause.message === 'testing value /metadata/name failed: test failed',
    );
  });

  const badBodies: { name: string; body: unknown; reason: 'BadRequest' | 'RequestEntityTooLarge'; message: string }[] = [
    { name: 'an object', body: { op: 'add' }, reason: 'BadRequest', message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' },
    { name: 'a string', body: 'add', reason: 'BadRequest', message: 'json: cannot unmarshal string into Go value of type jsonpatch.Patch' },
    { name: 'a list of numbers', body: [1], reason: 'BadRequest', message: 'json: cannot unmarshal number into Go value of type jsonpatch.Operation' },
    {
      name: 'too many operations',
      body: Array.from({ length: 10001 }, () => ({ op: 'test', path: '/metadata' })),
      reason: 'RequestEntityTooLarge',
      message: 'The allowed maximum operations in a JSON patch is 10000, got 10001',
    },
  ];
  for (const c of badBodies) {
    it(`rejects a body that is ${c.name}`, () => {
      assert.throws(() => applyJsonPatch(doc(), c.body), (e: unknown) => isApiError(e, c.reason) && e.message === c.message);
    });
  }

  it('decodes null as an empty patch, as Go does', () => {
    assert.deepEqual(decodeJsonPatch(null), []);
    assert.deepEqual(applyJsonPatch(doc(), null), doc());
  });
});
