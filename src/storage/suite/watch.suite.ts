/** Conformance: watches, replay from the past, fan-out and slow watchers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, KeyValue } from '../backend.ts';
import { brief, rejectsWith, sleep, TEST_TIMEOUT, WatchReader, withBackend, type OpenBackend } from './helpers.ts';

async function mustCreate(b: Backend, key: string, value: string): Promise<KeyValue> {
  const r = await b.create(key, value);
  assert.ok(r.ok, `create ${key}`);
  return r.kv;
}

async function mustUpdate(b: Backend, prev: KeyValue, value: string): Promise<KeyValue> {
  const r = await b.update(prev.key, value, prev.modRevision);
  assert.ok(r.ok, `update ${prev.key}`);
  return r.kv;
}

export function watchCases(open: OpenBackend): void {
  describe('watch', () => {
    it('from a past revision replays exactly the later changes, then continues live', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const x1 = await mustCreate(b, '/w/x', 'x1');
        const start = x1.modRevision;
        const y1 = await mustCreate(b, '/w/y', 'y1');
        await mustCreate(b, '/other/z', 'z1');
        const x2 = await mustUpdate(b, x1, 'x2');
        const del = await b.delete('/w/y');
        assert.ok(del.ok);
        const y2 = await mustCreate(b, '/w/y', 'y2');
        const w = new WatchReader(b.watch('/w/', { afterRevision: start }));
        try {
          const replay = await w.events(4);
          assert.deepEqual(replay, [
            { type: 'create', kv: y1 },
            { type: 'update', kv: x2, prev: x1 },
            { type: 'delete', kv: { ...y1, modRevision: del.kv.modRevision }, prev: y1 },
            { type: 'create', kv: y2 },
          ]);
          const x3 = await mustUpdate(b, x2, 'x3');
          assert.deepEqual(await w.events(1), [{ type: 'update', kv: x3, prev: x2 }]);
          await w.quiet();
        } finally {
          await w.close();
        }
      }));

    it('pump delivers history then live batches in order, synchronously once caught up, and ends on abort', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        await mustCreate(b, '/zz/first', 'so that a1 is not revision 1 (0 means "from now")');
        const a1 = await mustCreate(b, '/p/a', 'a1');
        const a2 = await mustUpdate(b, a1, 'a2');
        await mustCreate(b, '/q/other', 'o');
        const ac = new AbortController();
        const got: { type: string; key: string; rev: number }[] = [];
        let lastBatchRevision = 0;
        const pumping = b.watch('/p/', { afterRevision: a1.modRevision - 1, signal: ac.signal }).pump((batch) => {
          assert.ok(batch.revision >= lastBatchRevision, 'batch revisions never go back');
          lastBatchRevision = batch.revision;
          for (const e of batch.events) got.push({ type: e.type, key: e.kv.key, rev: e.kv.modRevision });
        });
        const deadline = Date.now() + 2000;
        while (got.length < 2 && Date.now() < deadline) await sleep(5);
        assert.deepEqual(got.map((g) => g.rev), [a1.modRevision, a2.modRevision], 'history replayed first');
        const b1 = await mustCreate(b, '/p/b', 'b1');
        const del = await b.delete('/p/a');
        assert.ok(del.ok);
        while (got.length < 4 && Date.now() < deadline) await sleep(5);
        assert.deepEqual(got.slice(2), [
          { type: 'create', key: '/p/b', rev: b1.modRevision },
          { type: 'delete', key: '/p/a', rev: del.kv.modRevision },
        ]);
        ac.abort();
        await pumping;
        await mustCreate(b, '/p/c', 'after abort');
        await sleep(20);
        assert.equal(got.length, 4, 'nothing delivered after the watch ended');
      }));

    it('pump fails with COMPACTED for a compacted start revision', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        await mustCreate(b, '/zz/first', 'so that x1 is not revision 1');
        const x1 = await mustCreate(b, '/c/x', '1');
        const x2 = await mustUpdate(b, x1, '2');
        await mustUpdate(b, x2, '3');
        await b.compact(x2.modRevision);
        await rejectsWith(b.watch('/c/', { afterRevision: x1.modRevision - 1 }).pump(() => undefined), 'COMPACTED');
      }));

    it('from 0 delivers only changes made after the call, live creates, updates and deletes included', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const old = await mustCreate(b, '/w/old', 'o');
        const w = new WatchReader(b.watch('/w/', { afterRevision: 0 }));
        try {
          const n = await mustCreate(b, '/w/new', 'n');
          const o2 = await mustUpdate(b, old, 'o2');
          const d = await b.delete('/w/new');
          assert.ok(d.ok);
          assert.deepEqual(await w.events(3), [
            { type: 'create', kv: n },
            { type: 'update', kv: o2, prev: old },
            { type: 'delete', kv: { ...n, modRevision: d.kv.modRevision }, prev: n },
          ]);
        } finally {
          await w.close();
        }
      }));

    it('from the current revision is the same as from 0', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        await mustCreate(b, '/w/a', 'a');
        const w = new WatchReader(b.watch('/w/', { afterRevision: await b.currentRevision() }));
        try {
          const c = await mustCreate(b, '/w/b', 'b');
          assert.deepEqual(await w.events(1), [{ type: 'create', kv: c }]);
        } finally {
          await w.close();
        }
      }));

    it('a prefix sees only its own keys (/a/ versus /ab/)', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        // A write elsewhere first: afterRevision 0 would mean "from now", not "from the start".
        const start = (await mustCreate(b, '/elsewhere', 'x')).modRevision;
        const wa = new WatchReader(b.watch('/a/', { afterRevision: 0 }));
        const wab = new WatchReader(b.watch('/ab/', { afterRevision: 0 }));
        try {
          await mustCreate(b, '/ab/1', 'x');
          await mustCreate(b, '/a', 'x');
          await mustCreate(b, '/a/1', 'x');
          await mustCreate(b, '/abc', 'x');
          assert.deepEqual((await wa.events(1)).map((e) => e.kv.key), ['/a/1']);
          assert.deepEqual((await wab.events(1)).map((e) => e.kv.key), ['/ab/1']);
          await wa.quiet();
          await wab.quiet();
          // And the same through replay.
          const replay = new WatchReader(b.watch('/a/', { afterRevision: start }));
          try {
            assert.deepEqual((await replay.events(1)).map((e) => e.kv.key), ['/a/1']);
          } finally {
            await replay.close();
          }
        } finally {
          await wa.close();
          await wab.close();
        }
      }));

    it('batch revisions cover their events, never go back, and progress while idle', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const w = new WatchReader(b.watch('/w/', { afterRevision: 0, progressIntervalMs: 50 }));
        try {
          await Promise.all([mustCreate(b, '/w/1', 'a'), mustCreate(b, '/w/2', 'b'), mustCreate(b, '/x/1', 'c')]);
          await mustCreate(b, '/w/3', 'd');
          const got = await w.events(3);
          assert.deepEqual(got.map((e) => e.kv.key).sort(), ['/w/1', '/w/2', '/w/3']);
          // A write elsewhere must eventually be covered by a (possibly empty) batch.
          const other = await mustCreate(b, '/x/2', 'e');
          for (let deadline = Date.now() + 5000; ; ) {
            const batch = await w.next(1000);
            assert.ok(typeof batch === 'object', `expected a progress batch, got ${String(batch)}`);
            assert.deepEqual(batch.events, []);
            if (batch.revision >= other.modRevision) break;
            assert.ok(Date.now() < deadline, 'no progress batch reached the latest revision');
          }
          let last = 0;
          for (const batch of w.batches) {
            assert.ok(batch.revision >= last, 'batch revisions went backwards');
            for (const e of batch.events) {
              assert.ok(e.kv.modRevision <= batch.revision);
              assert.ok(e.kv.modRevision > last, 'event at or below an earlier batch revision');
            }
            last = batch.revision;
          }
        } finally {
          await w.close();
        }
      }));

    it('aborting the signal ends the iterator normally', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const ac = new AbortController();
        const w = new WatchReader(b.watch('/w/', { afterRevision: 0, signal: ac.signal }));
        assert.equal(await w.next(50), 'timeout');
        ac.abort();
        assert.equal(await w.next(2000), 'done');
        await mustCreate(b, '/w/after', 'x'); // writers are unaffected by ended watches

        const pre = new AbortController();
        pre.abort();
        const w2 = new WatchReader(b.watch('/w/', { afterRevision: 0, signal: pre.signal }));
        assert.equal(await w2.next(2000), 'done');
      }));

    it('leaving a for-await loop ends the watch', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const watch = b.watch('/w/', { afterRevision: 0 });
        const writes = (async () => {
          await sleep(10);
          await mustCreate(b, '/w/1', 'x');
        })();
        let seen = 0;
        for await (const batch of watch) {
          seen += batch.events.length;
          if (seen > 0) break;
        }
        await writes;
        assert.equal(seen, 1);
        await mustCreate(b, '/w/2', 'y');
      }));

    it('watching above the current revision fails with FUTURE_REVISION', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        await mustCreate(b, '/w/1', 'x');
        const w = new WatchReader(b.watch('/w/', { afterRevision: (await b.currentRevision()) + 10 }));
        await rejectsWith(w.next(), 'FUTURE_REVISION');
      }));

    it('a long history replays completely and in order', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const n = 2500;
        const start = (await mustCreate(b, '/elsewhere', 'x')).modRevision;
        for (let i = 0; i < n; i += 250) {
          await Promise.all(Array.from({ length: 250 }, (_, j) => mustCreate(b, `/long/${String(i + j).padStart(5, '0')}`, `v${i + j}`)));
        }
        const replay = new WatchReader(b.watch('/long/', { afterRevision: start }));
        try {
          const events = await replay.events(n, 10_000);
          const revisions = events.map((e) => e.kv.modRevision);
          assert.ok(revisions.every((r, i) => i === 0 || r > revisions[i - 1]!), 'replay out of order');
          assert.equal(new Set(events.map((e) => e.kv.key)).size, n);
        } finally {
          await replay.close();
        }
      }));

    it('a watch started during a stream of writes sees every later change exactly once', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        let stop = false;
        const writer = (async () => {
          let prev = await mustCreate(b, '/s/k', '0');
          for (let i = 1; !stop && i < 5000; i++) prev = await mustUpdate(b, prev, String(i));
          return prev;
        })();
        await sleep(30);
        const from = await b.currentRevision();
        const w = new WatchReader(b.watch('/s/', { afterRevision: from }));
        try {
          await sleep(50);
          stop = true;
          const last = await writer;
          const events = await w.events(last.modRevision - from, 10_000);
          assert.deepEqual(events.map((e) => e.kv.modRevision), Array.from({ length: last.modRevision - from }, (_, i) => from + 1 + i));
          for (const e of events) {
            assert.equal(e.type, 'update');
            if (e.type === 'update') assert.equal(Number(e.kv.value), Number(e.prev.value) + 1);
          }
        } finally {
          await w.close();
        }
      }));

    it('many watchers of one prefix all get the same events in the same order', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const readers = Array.from({ length: 50 }, () => new WatchReader(b.watch('/m/', { afterRevision: 0 })));
        try {
          for (let i = 0; i < 20; i++) await mustCreate(b, `/m/${i}`, String(i));
          const first = (await readers[0]!.events(20)).map(brief);
          for (const r of readers.slice(1)) assert.deepEqual((await r.events(20)).map(brief), first);
        } finally {
          await Promise.all(readers.map((r) => r.close()));
        }
      }));

    it('a watcher that stops reading is dropped with WATCHER_TOO_SLOW; writers and other watchers carry on', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const slow = new WatchReader(b.watch('/w/', { afterRevision: 0, maxBuffered: 5 }));
        const fast = new WatchReader(b.watch('/w/', { afterRevision: 0 }));
        try {
          const n = 50;
          const fastEvents = fast.events(n, 10_000);
          const t0 = performance.now();
          for (let i = 0; i < n; i++) await mustCreate(b, `/w/${i}`, 'x');
          const writeMs = performance.now() - t0;
          assert.equal((await fastEvents).length, n);
          await rejectsWith(slow.next(), 'WATCHER_TOO_SLOW');
          assert.equal(await slow.next(100), 'done');
          // Generous: 50 durable writes, nothing waiting on the stalled watcher.
          assert.ok(writeMs < 10_000, `writes took ${writeMs} ms`);
        } finally {
          await slow.close();
          await fast.close();
        }
      }));
  });
}
