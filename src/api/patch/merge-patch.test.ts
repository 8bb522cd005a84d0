import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isApiError } from '../errors.ts';
import { applyMergePatch } from './merge-patch.ts';

describe('applyMergePatch', () => {
  // The behaviour RFC 7386 section 3 and appendix A specify, one row each.
  const rfc: { original: unknown; patch: unknown; result: unknown }[] = [
    { original: { a: 'b' }, patch: { a: 'c' }, result: { a: 'c' } },
    { original: { a: 'b' }, patch: { b: 'c' }, result: { a: 'b', b: 'c' } },
    { original: { a: 'b' }, patch: { a: null }, result: {} },
    { original: { a: 'b', b: 'c' }, patch: { a: null }, result: { b: 'c' } },
    { original: { a: ['b'] }, patch: { a: 'c' }, result: { a: 'c' } },
    { original: { a: 'c' }, patch: { a: ['b'] }, result: { a: ['b'] } },
    { original: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } }, result: { a: { b: 'd' } } },
    { original: { a: [{ b: 'c' }] }, patch: { a: [1] }, result: { a: [1] } },
    { original: {}, patch: { a: { bb: { ccc: null } } }, result: { a: { bb: {} } } },
    { original: { e: null }, patch: { a: 1 }, result: { e: null, a: 1 } },
    { original: [1, 2], patch: { a: 'b', c: null }, result: { a: 'b' } },
  ];
  for (const c of rfc) {
    it(`${JSON.stringify(c.original)} + ${JSON.stringify(c.patch)}`, () => {
      const original = structuredClone(c.original);
      assert.deepEqual(applyMergePatch(original, c.patch), c.result);
      assert.deepEqual(original, c.original, 'the input is not modified');
    });
  }

  it('applies the kubectl scale and label patches', () => {
    const d = { metadata: { name: 'web', labels: { app: 'web', tier: 'x' } }, spec: { replicas: 1, paused: false } };
    const scaled = applyMergePatch(d, { spec: { replicas: 3 } });
    assert.deepEqual(scaled, { metadata: d.metadata, spec: { replicas: 3, paused: false } });
    const labelled = applyMergePatch(d, { metadata: { labels: { tier: null, env: 'prod' } } });
    assert.deepEqual(labelled, { metadata: { name: 'web', labels: { app: 'web', env: 'prod' } }, spec: d.spec });
  });

  it('replaces lists and drops nulls inside objects taken from the patch', () => {
    const out = applyMergePatch({ spec: { list: [1, 2] } }, { spec: { list: [{ a: 1, b: null }, null] } });
    assert.deepEqual(out, { spec: { list: [{ a: 1 }, null] } });
  });

  it('returns an array patch as the new document', () => {
    assert.deepEqual(applyMergePatch({ a: 1 }, [1, { x: null }]), [1, {}]);
  });

  for (const patch of [null, 'x', 3, true]) {
    it(`rejects ${JSON.stringify(patch)} as upstream does`, () => {
      assert.throws(() => applyMergePatch({}, patch), (e: unknown) => isApiError(e, 'BadRequest') && e.message === 'Invalid JSON Patch');
    });
  }
});
