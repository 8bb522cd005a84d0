/** Conformance: single-key reads and writes, and how revisions move. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rejectsWith, TEST_TIMEOUT, withBackend, type OpenBackend } from './helpers.ts';

export function crudCases(open: OpenBackend): void {
  describe('create, get, update, delete', () => {
    it('starts empty at revision 0', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        assert.equal(await b.currentRevision(), 0);
        assert.equal(await b.compactedRevision(), 0);
        assert.deepEqual(await b.get('/a/x'), { revision: 0, kv: undefined });
        assert.deepEqual(await b.list('/'), { revision: 0, kvs: [], more: false });
        assert.deepEqual(await b.count('/'), { revision: 0, count: 0 });
      }));

    it('create stores the value at a new revision and get returns it', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const r = await b.create('/a/x', '{"n":1}');
        assert.ok(r.ok);
        assert.equal(r.kv.key, '/a/x');
        assert.equal(r.kv.value, '{"n":1}');
        assert.ok(r.kv.modRevision > 0);
        assert.equal(r.kv.createRevision, r.kv.modRevision);
        assert.equal(await b.currentRevision(), r.kv.modRevision);
        assert.deepEqual(await b.get('/a/x'), { revision: r.kv.modRevision, kv: r.kv });
      }));

    it('create on an existing key is refused with the current value, and writes nothing', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const first = await b.create('/a/x', 'one');
        assert.ok(first.ok);
        const again = await b.create('/a/x', 'two');
        assert.deepEqual(again, { ok: false, current: first.kv });
        assert.equal(await b.currentRevision(), first.kv.modRevision);
        assert.equal((await b.get('/a/x')).kv?.value, 'one');
      }));

    it('update with the current revision replaces the value and keeps createRevision', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const c = await b.create('/a/x', 'one');
        assert.ok(c.ok);
        const u = await b.update('/a/x', 'two', c.kv.modRevision);
        assert.ok(u.ok);
        assert.deepEqual(u.prev, c.kv);
        assert.equal(u.kv.value, 'two');
        assert.equal(u.kv.createRevision, c.kv.createRevision);
        assert.ok(u.kv.modRevision > c.kv.modRevision);
        assert.deepEqual((await b.get('/a/x')).kv, u.kv);
      }));

    it('update with a stale revision is refused with the current value', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const c = await b.create('/a/x', 'one');
        assert.ok(c.ok);
        const u = await b.update('/a/x', 'two', c.kv.modRevision);
        assert.ok(u.ok);
        const before = await b.currentRevision();
        assert.deepEqual(await b.update('/a/x', 'three', c.kv.modRevision), { ok: false, current: u.kv });
        assert.deepEqual(await b.update('/a/x', 'three', u.kv.modRevision + 100), { ok: false, current: u.kv });
        assert.equal(await b.currentRevision(), before);
        assert.equal((await b.get('/a/x')).kv?.value, 'two');
      }));

    it('update of a missing key is refused with no current value', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        assert.deepEqual(await b.update('/a/missing', 'v', 0), { ok: false, current: undefined });
        assert.deepEqual(await b.update('/a/missing', 'v', 1), { ok: false, current: undefined });
        assert.equal(await b.currentRevision(), 0);
      }));

    it('delete returns the last value at the deleting revision, and the key is gone', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const c = await b.create('/a/x', 'one');
        assert.ok(c.ok);
        const d = await b.delete('/a/x');
        assert.ok(d.ok);
        assert.deepEqual(d.prev, c.kv);
        assert.deepEqual(d.kv, { ...c.kv, modRevision: d.kv.modRevision });
        assert.ok(d.kv.modRevision > c.kv.modRevision);
        assert.equal(await b.currentRevision(), d.kv.modRevision);
        assert.equal((await b.get('/a/x')).kv, undefined);
        assert.deepEqual(await b.delete('/a/x'), { ok: false, current: undefined });
        assert.equal(await b.currentRevision(), d.kv.modRevision);
      }));

    it('delete with expectedRevision only deletes the expected version', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const c = await b.create('/a/x', 'one');
        assert.ok(c.ok);
        const u = await b.update('/a/x', 'two', c.kv.modRevision);
        assert.ok(u.ok);
        assert.deepEqual(await b.delete('/a/x', c.kv.modRevision), { ok: false, current: u.kv });
        assert.equal((await b.get('/a/x')).kv?.value, 'two');
        const d = await b.delete('/a/x', u.kv.modRevision);
        assert.ok(d.ok);
        assert.deepEqual(d.prev, u.kv);
      }));

    it('revisions increase strictly across all keys; refused writes do not move them', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        let last = await b.currentRevision();
        let written = 0;
        const step = async (p: Promise<{ ok: boolean; kv?: { modRevision: number } }>) => {
          const r = await p;
          if (r.ok) {
            written++;
            assert.ok(r.kv!.modRevision > last, `revision ${r.kv!.modRevision} after ${last}`);
            last = r.kv!.modRevision;
          }
          assert.equal(await b.currentRevision(), last);
          return r;
        };
        await step(b.create('/a/1', 'a'));
        await step(b.create('/b/1', 'b'));
        await step(b.create('/a/1', 'dup'));
        const a1 = await b.get('/a/1');
        await step(b.update('/a/1', 'a2', a1.kv!.modRevision));
        await step(b.update('/a/1', 'stale', a1.kv!.modRevision));
        await step(b.delete('/b/1'));
        await step(b.delete('/b/1'));
        await step(b.create('/b/1', 'again'));
        assert.equal(written, 5);
      }));

    it('createRevision survives updates and is reset by delete and re-create', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const c = await b.create('/a/x', 'v1');
        assert.ok(c.ok);
        let rev = c.kv.modRevision;
        for (let i = 2; i <= 4; i++) {
          const u = await b.update('/a/x', `v${i}`, rev);
          assert.ok(u.ok);
          assert.equal(u.kv.createRevision, c.kv.createRevision);
          rev = u.kv.modRevision;
        }
        assert.ok((await b.delete('/a/x')).ok);
        const again = await b.create('/a/x', 'fresh');
        assert.ok(again.ok);
        assert.equal(again.kv.createRevision, again.kv.modRevision);
        assert.ok(again.kv.createRevision > rev);
      }));

    it('stores values verbatim', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const values = ['', ' ', 'ünïcødé ✓ 漢字 🚀', '{"a":[1,2,{"b":null}]}', 'x'.repeat(1 << 20), 'line\nbreak\u0000nul'];
        for (const [i, v] of values.entries()) assert.ok((await b.create(`/v/${i}`, v)).ok);
        for (const [i, v] of values.entries()) assert.equal((await b.get(`/v/${i}`)).kv?.value, v);
        assert.deepEqual((await b.list('/v/')).kvs.map((kv) => kv.value), values);
      }));

    it('get at a past revision returns the value as it was then', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const other = await b.create('/other', 'o');
        assert.ok(other.ok);
        const c = await b.create('/a/x', 'v1');
        assert.ok(c.ok);
        const u = await b.update('/a/x', 'v2', c.kv.modRevision);
        assert.ok(u.ok);
        const d = await b.delete('/a/x');
        assert.ok(d.ok);
        assert.deepEqual(await b.get('/a/x', { revision: other.kv.modRevision }), { revision: other.kv.modRevision, kv: undefined });
        assert.deepEqual(await b.get('/a/x', { revision: c.kv.modRevision }), { revision: c.kv.modRevision, kv: c.kv });
        assert.deepEqual(await b.get('/a/x', { revision: u.kv.modRevision }), { revision: u.kv.modRevision, kv: u.kv });
        assert.deepEqual(await b.get('/a/x', { revision: d.kv.modRevision }), { revision: d.kv.modRevision, kv: undefined });
      }));

    it('reads above the current revision fail with FUTURE_REVISION', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        assert.ok((await b.create('/a/x', 'v')).ok);
        const current = await b.currentRevision();
        const e = await rejectsWith(b.get('/a/x', { revision: current + 1 }), 'FUTURE_REVISION');
        assert.equal(e.currentRevision, current);
        await rejectsWith(b.list('/a/', { revision: current + 5 }), 'FUTURE_REVISION');
        assert.deepEqual((await b.get('/a/x', { revision: current })).revision, current);
      }));

    it('refuses calls after close with UNAVAILABLE', TEST_TIMEOUT, async () => {
      const b = await open();
      await b.close();
      await rejectsWith(b.get('/a/x'), 'UNAVAILABLE');
      await rejectsWith(b.create('/a/x', 'v'), 'UNAVAILABLE');
      await rejectsWith(b.list('/'), 'UNAVAILABLE');
      await b.close(); // closing twice is harmless
    });
  });
}
