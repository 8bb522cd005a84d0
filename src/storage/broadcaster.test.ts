import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageError, type WatchEvent } from './backend.ts';
import { Broadcaster } from './broadcaster.ts';
import { rejectsWith, WatchReader } from './suite/helpers.ts';

const create = (key: string, rev: number): WatchEvent => ({ type: 'create', kv: { key, value: `v${rev}`, createRevision: rev, modRevision: rev } });
const revs = (events: readonly WatchEvent[]) => events.map((e) => e.kv.modRevision);

describe('Broadcaster', () => {
  it('delivers everything published in one turn as one batch', async () => {
    const b = new Broadcaster(0);
    const w = new WatchReader(b.subscribe('/a/', { afterRevision: 0 }));
    b.publish([create('/a/1', 1)], 1);
    b.publish([create('/a/2', 2), create('/a/3', 3)], 3);
    const batch = await w.batch();
    assert.deepEqual(revs(batch.events), [1, 2, 3]);
    assert.equal(batch.revision, 3);
    await w.close();
  });

  it('filters by prefix once and shares the same frozen chunk between watchers', async () => {
    const b = new Broadcaster(0);
    const w1 = new WatchReader(b.subscribe('/a/', { afterRevision: 0 }));
    const w2 = new WatchReader(b.subscribe('/a/', { afterRevision: 0 }));
    const other = new WatchReader(b.subscribe('/ab/', { afterRevision: 0 }));
    b.publish([create('/a/1', 1), create('/ab/1', 2), create('/a/2', 3)], 3);
    const [x, y] = [await w1.batch(), await w2.batch()];
    assert.deepEqual(revs(x.events), [1, 3]);
    assert.equal(x.events, y.events, 'one array for all watchers of a prefix');
    assert.ok(Object.isFrozen(x.events) && Object.isFrozen(x.events[0]) && Object.isFrozen(x.events[0]!.kv));
    assert.throws(() => (x.events as WatchEvent[]).push(create('/a/9', 9)));
    assert.deepEqual(revs((await other.batch()).events), [2]);
    await Promise.all([w1.close(), w2.close(), other.close()]);
    assert.equal(b.watcherCount, 0);
  });

  it('drops a watcher over its bound without holding up the producer or other watchers', async () => {
    const b = new Broadcaster(0);
    const slow = new WatchReader(b.subscribe('/a/', { afterRevision: 0, maxBuffered: 3 }));
    const ok = new WatchReader(b.subscribe('/a/', { afterRevision: 0, maxBuffered: 3 }));
    for (let rev = 1; rev <= 6; rev++) {
      b.publish([create(`/a/${rev}`, rev)], rev);
      assert.equal(revs((await ok.batch()).events).length, 1); // keeps up: one flush per turn
    }
    assert.equal(b.watcherCount, 1);
    await rejectsWith(slow.next(), 'WATCHER_TOO_SLOW');
    assert.equal(await slow.next(50), 'done');
    await ok.close();
  });

  it('skips events at or below afterRevision', async () => {
    const b = new Broadcaster(0);
    const early = new WatchReader(b.subscribe('/a/', { afterRevision: 0 }));
    b.publish([create('/a/1', 1)], 1);
    // Revision 1 is published but not flushed: it reaches the new stream's queue and must be skipped.
    const w = new WatchReader(b.subscribe('/a/', { afterRevision: 1, backfill: () => assert.fail('no backfill expected') }));
    b.publish([create('/a/2', 2)], 2);
    assert.deepEqual(revs((await w.batch()).events), [2]);
    assert.deepEqual(revs((await early.batch()).events), [1, 2]);
    await w.close();
    await early.close();
  });

  it('fills the gap below its flushed revision from backfill, page by page, then goes live without duplicates', async () => {
    const b = new Broadcaster(0);
    for (let rev = 1; rev <= 5; rev++) b.publish([create(`/a/${rev}`, rev)], rev); // nobody listens: nothing is kept
    assert.equal(b.flushedRevision, 5);
    const calls: [number, number][] = [];
    const w = new WatchReader(
      b.subscribe('/a/', {
        afterRevision: 1,
        backfill: (after, upTo) => {
          calls.push([after, upTo]);
          const next = after + 2 <= upTo ? after + 2 : upTo; // two revisions per page
          const events = [];
          for (let r = after + 1; r <= next; r++) events.push(create(`/a/${r}`, r));
          return { events, revision: next };
        },
      }),
    );
    b.publish([create('/a/6', 6)], 6);
    const got: number[] = [];
    while (got.length < 5) got.push(...revs((await w.batch()).events));
    assert.deepEqual(got, [2, 3, 4, 5, 6]);
    assert.deepEqual(calls, [[1, 5], [3, 5]]);
    await w.close();
  });

  it('fails a stream whose backfill fails, or that needs one and has none', async () => {
    const b = new Broadcaster(10);
    const none = new WatchReader(b.subscribe('/a/', { afterRevision: 5 }));
    await rejectsWith(none.next(), 'NOT_SUPPORTED');
    const stuck = new WatchReader(b.subscribe('/a/', { afterRevision: 5, backfill: () => ({ events: [], revision: 5 }) }));
    await rejectsWith(stuck.next(), 'UNAVAILABLE');
    const gone = new StorageError('COMPACTED', 'gone', { compactedRevision: 8, currentRevision: 10 });
    const throwing = new WatchReader(b.subscribe('/a/', { afterRevision: 5, backfill: () => { throw gone; } }));
    assert.equal(await rejectsWith(throwing.next(), 'COMPACTED'), gone);
    assert.equal(b.watcherCount, 0);
  });

  it('sends progress batches while idle, covering writes to other prefixes', async () => {
    const b = new Broadcaster(0);
    const w = new WatchReader(b.subscribe('/a/', { afterRevision: 0, progressIntervalMs: 20 }));
    const elsewhere = new WatchReader(b.subscribe('/b/', { afterRevision: 0 }));
    b.publish([create('/b/1', 1)], 1);
    await elsewhere.batch();
    const p = await w.next(1000);
    assert.ok(typeof p === 'object');
    assert.deepEqual(p, { events: [], revision: 1 });
    await w.close();
    await elsewhere.close();
  });

  it('ends streams on abort and on close, and refuses subscriptions after close', async () => {
    const b = new Broadcaster(0);
    const ac = new AbortController();
    const aborted = new WatchReader(b.subscribe('/a/', { afterRevision: 0, signal: ac.signal }));
    const closed = new WatchReader(b.subscribe('/a/', { afterRevision: 0 }));
    const pending = aborted.next(1000);
    ac.abort();
    assert.equal(await pending, 'done');
    assert.equal(b.watcherCount, 1);
    b.close();
    assert.equal(await closed.next(1000), 'done');
    await rejectsWith(new WatchReader(b.subscribe('/a/', { afterRevision: 0 })).next(), 'UNAVAILABLE');
  });

  it('refuses a second concurrent next() on one stream', async () => {
    const b = new Broadcaster(0);
    const s = b.subscribe('/a/', { afterRevision: 0 });
    const first = s.next();
    await assert.rejects(s.next(), /still pending/);
    await s.return();
    assert.deepEqual(await first, { done: true, value: undefined });
  });

  it('fans 200 events out to 1000 watchers quickly', async () => {
    const b = new Broadcaster(0);
    const streams = Array.from({ length: 1000 }, (_, i) => b.subscribe(i % 2 ? '/a/' : '/b/', { afterRevision: 0 }));
    const counts = new Array<number>(streams.length).fill(0);
    const readers = streams.map(async (s, i) => {
      for await (const batch of s) if ((counts[i]! += batch.events.length) >= 100) return;
    });
    const t0 = performance.now();
    for (let rev = 1; rev <= 200; rev++) {
      b.publish([create(rev % 2 ? '/a/x' : '/b/x', rev)], rev);
      if (rev % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(readers);
    const ms = performance.now() - t0;
    assert.ok(counts.every((c) => c === 100));
    assert.ok(ms < 2000, `fan-out took ${ms.toFixed(0)} ms`);
  });
});
