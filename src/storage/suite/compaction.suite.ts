/**
 * Conformance: compaction. The boundary follows backend.ts and etcd: history
 * strictly below the compacted revision is gone, while the state *at* the
 * compacted revision stays readable and a watch may resume from it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, KeyValue } from '../backend.ts';
import { rejectsWith, TEST_TIMEOUT, WatchReader, withBackend, type OpenBackend } from './helpers.ts';

async function put(b: Backend, key: string, value: string): Promise<KeyValue> {
  const cur = (await b.get(key)).kv;
  const r = cur ? await b.update(key, value, cur.modRevision) : await b.create(key, value);
  assert.ok(r.ok, `write ${key}`);
  return r.kv;
}

export function compactionCases(open: OpenBackend): void {
  describe('compaction', () => {
    it('reads below the compacted revision fail with COMPACTED; from it on they are exact', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const revs = [
          (await put(b, '/c/a', 'a1')).modRevision,
          (await put(b, '/c/b', 'b1')).modRevision,
          (await put(b, '/c/a', 'a2')).modRevision,
        ];
        const del = await b.delete('/c/b');
        assert.ok(del.ok);
        revs.push(del.kv.modRevision, (await put(b, '/c/c', 'c1')).modRevision);
        const current = await b.currentRevision();
        const before = new Map<number, KeyValue[]>();
        for (const r of revs) before.set(r, (await b.list('/c/', { revision: r })).kvs);

        const target = revs[2]!;
        assert.equal(await b.compact(target), target);
        assert.equal(await b.compactedRevision(), target);
        for (const r of [revs[0]!, revs[1]!, target - 1]) {
          const e = await rejectsWith(b.list('/c/', { revision: r }), 'COMPACTED');
          assert.equal(e.compactedRevision, target);
          assert.equal(e.currentRevision, current);
          await rejectsWith(b.get('/c/a', { revision: r }), 'COMPACTED');
        }
        for (const r of revs.slice(2)) assert.deepEqual((await b.list('/c/', { revision: r })).kvs, before.get(r), `list at ${r}`);
        assert.deepEqual((await b.get('/c/b', { revision: target })).kv?.value, 'b1');
        assert.deepEqual((await b.list('/c/')).kvs, before.get(current));
      }));

    it('a watch from below the compacted revision fails; from it, later changes replay with prev', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const a1 = await put(b, '/c/a', '1');
        const a2 = await put(b, '/c/a', '2');
        const a3 = await put(b, '/c/a', '3');
        await b.compact(a2.modRevision);
        const old = new WatchReader(b.watch('/c/', { afterRevision: a1.modRevision }));
        const e = await rejectsWith(old.next(), 'COMPACTED');
        assert.equal(e.compactedRevision, a2.modRevision);
        const w = new WatchReader(b.watch('/c/', { afterRevision: a2.modRevision }));
        try {
          assert.deepEqual(await w.events(1), [{ type: 'update', kv: a3, prev: a2 }]);
        } finally {
          await w.close();
        }
      }));

    it('compacting to the current revision keeps the latest value of every live key', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        for (let round = 0; round < 5; round++) for (let k = 0; k < 10; k++) await put(b, `/k/${k}`, `v${round}`);
        for (let k = 0; k < 10; k += 3) assert.ok((await b.delete(`/k/${k}`)).ok);
        const snapshot = await b.list('');
        const current = await b.currentRevision();
        assert.equal(await b.compact(current), current);
        assert.deepEqual(await b.list(''), snapshot);
        assert.deepEqual((await b.list('', { revision: current })).kvs, snapshot.kvs);
        assert.equal((await b.count('/k/')).count, 6);
        for (const kv of snapshot.kvs) assert.deepEqual((await b.get(kv.key)).kv, kv);
        const first = snapshot.kvs[0]!;
        const u = await b.update(first.key, 'after', first.modRevision);
        assert.ok(u.ok);
        assert.equal(u.kv.createRevision, first.createRevision);
        assert.equal(await b.currentRevision(), current + 1);
      }));

    it('deleted keys leave nothing behind and can be created afresh', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const x = await put(b, '/d/x', 'old');
        await put(b, '/d/keep', 'k');
        const d = await b.delete('/d/x');
        assert.ok(d.ok);
        const later = await put(b, '/d/keep', 'k2');
        await b.compact(later.modRevision);
        await rejectsWith(b.get('/d/x', { revision: d.kv.modRevision }), 'COMPACTED');
        assert.equal((await b.get('/d/x', { revision: later.modRevision })).kv, undefined);
        assert.deepEqual((await b.list('/d/', { revision: later.modRevision })).kvs.map((kv) => kv.key), ['/d/keep']);
        const w = new WatchReader(b.watch('/d/', { afterRevision: await b.compactedRevision() }));
        try {
          const again = await b.create('/d/x', 'new');
          assert.ok(again.ok);
          assert.ok(again.kv.createRevision > x.createRevision);
          assert.equal(again.kv.createRevision, again.kv.modRevision);
          assert.deepEqual(await w.events(1), [{ type: 'create', kv: again.kv }]);
        } finally {
          await w.close();
        }
      }));

    it('compact above the current revision fails; at or below the compacted one it changes nothing', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const revs: number[] = [];
        for (let i = 0; i < 4; i++) revs.push((await put(b, '/x', String(i))).modRevision);
        const current = await b.currentRevision();
        await rejectsWith(b.compact(current + 1), 'FUTURE_REVISION');
        const [, second, third] = revs as [number, number, number, number];
        assert.equal(await b.compact(third), third);
        assert.equal(await b.compact(second), third);
        assert.equal(await b.compact(third), third);
        assert.equal(await b.compactedRevision(), third);
        assert.equal((await b.get('/x', { revision: third })).kv?.value, '2');
      }));

    it('open watches keep working across a compaction', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const w = new WatchReader(b.watch('/c/', { afterRevision: 0 }));
        try {
          for (let i = 0; i < 5; i++) await put(b, '/c/a', String(i));
          await b.compact(await b.currentRevision());
          for (let i = 5; i < 8; i++) await put(b, '/c/a', String(i));
          const events = await w.events(8);
          assert.deepEqual(events.map((e) => e.kv.value), ['0', '1', '2', '3', '4', '5', '6', '7']);
        } finally {
          await w.close();
        }
      }));
  });
}
