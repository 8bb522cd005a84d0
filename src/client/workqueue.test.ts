import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { runWorkers, TerminalError, WorkQueue } from './workqueue.ts';

describe('WorkQueue', () => {
  it('de-duplicates keys that are queued', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
  });

  it('never hands out a key being processed; re-queues it when done', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    const k = await q.get();
    q.add('a');
    assert.equal(q.len(), 0, 'a dirty key being processed is not queued yet');
    q.done(k!);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'a');
  });

  it('backs off exponentially per key and forgets on success', () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock, baseDelayMs: 10 });
    q.addRateLimited('a');
    q.addRateLimited('a');
    q.addRateLimited('a');
    assert.equal(q.retries('a'), 3);
    clock.advance(9);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1, 'the earliest pending delayed add wins');
    q.forget('a');
    assert.equal(q.retries('a'), 0);
  });

  it('caps the backoff', () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock, baseDelayMs: 10, maxDelayMs: 50 });
    for (let i = 0; i < 10; i++) q.addRateLimited('a');
    clock.advance(50);
    assert.equal(q.len(), 1);
  });

  it('wakes a waiting getter and ends getters on shutdown', async () => {
    const q = new WorkQueue<string>();
    const p = q.get();
    q.add('x');
    assert.equal(await p, 'x');
    const p2 = q.get();
    q.shutDown();
    assert.equal(await p2, undefined);
    q.add('y');
    assert.equal(q.len(), 0);
  });
});

describe('runWorkers', () => {
  it('retries failures, drops terminal errors, honours requeueAfter', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock, baseDelayMs: 1 });
    const seen: string[] = [];
    let failOnce = true;
    const errs: [string, boolean][] = [];
    const done = runWorkers(
      q,
      2,
      async (k) => {
        seen.push(k);
        if (k === 'flaky' && failOnce) {
          failOnce = false;
          throw new Error('boom');
        }
        if (k === 'bad') throw new TerminalError('no');
        if (k === 'later' && seen.filter((s) => s === 'later').length === 1) return { requeueAfterMs: 100 };
      },
      (k, _e, retry) => errs.push([k, retry]),
    );
    q.add('flaky');
    q.add('bad');
    q.add('later');
    await new Promise((r) => setImmediate(r));
    clock.advance(1);
    await new Promise((r) => setImmediate(r));
    clock.advance(100);
    await new Promise((r) => setImmediate(r));
    q.shutDown();
    await done;
    assert.deepEqual(errs, [
      ['flaky', true],
      ['bad', false],
    ]);
    assert.equal(seen.filter((s) => s === 'flaky').length, 2);
    assert.equal(seen.filter((s) => s === 'bad').length, 1);
    assert.equal(seen.filter((s) => s === 'later').length, 2);
  });
});
