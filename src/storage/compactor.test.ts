import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCompactor, startCompactor } from './compactor.ts';
import { logger } from '../util/log.ts';

/** A backend stand-in that records what the compactor asked of it. */
function fakeStore() {
  const s = {
    revision: 0,
    compacted: 0,
    compactCalls: [] as number[],
    fail: false,
    async currentRevision() {
      return s.revision;
    },
    async compactedRevision() {
      return s.compacted;
    },
    async compact(revision: number) {
      if (s.fail) throw new Error('disk on fire');
      s.compactCalls.push(revision);
      s.compacted = Math.max(s.compacted, revision);
      return s.compacted;
    },
  };
  return s;
}

const quiet = logger('test');

describe('compactor', () => {
  it('compacts to the revision that was current one run earlier', async () => {
    const s = fakeStore();
    const c = createCompactor(s, quiet);
    s.revision = 10;
    assert.equal(await c.runOnce(), undefined, 'the first run only learns where the store is');
    s.revision = 25;
    assert.equal(await c.runOnce(), 10);
    s.revision = 40;
    assert.equal(await c.runOnce(), 25);
    assert.deepEqual(s.compactCalls, [10, 25]);
  });

  it('does nothing, not even a compaction call, when nothing was written since the last run', async () => {
    const s = fakeStore();
    const c = createCompactor(s, quiet);
    s.revision = 10;
    await c.runOnce();
    s.revision = 20;
    await c.runOnce(); // compacts to 10
    for (let i = 0; i < 5; i++) assert.equal(await c.runOnce(), undefined);
    assert.deepEqual(s.compactCalls, [10]);
  });

  it('skips targets that are already compacted', async () => {
    const s = fakeStore();
    const c = createCompactor(s, quiet);
    s.revision = 10;
    await c.runOnce();
    s.compacted = 15; // someone else compacted further
    s.revision = 30;
    assert.equal(await c.runOnce(), undefined);
    assert.deepEqual(s.compactCalls, []);
  });

  it('reports failures instead of throwing, and tries again next time', async () => {
    const s = fakeStore();
    const lines: string[] = [];
    const { setLogSink } = await import('../util/log.ts');
    setLogSink((l) => lines.push(l));
    try {
      const c = createCompactor(s, logger('storage/compactor'));
      s.revision = 5;
      await c.runOnce();
      s.revision = 9;
      s.fail = true;
      assert.equal(await c.runOnce(), undefined);
      assert.ok(lines.some((l) => l.includes('compaction failed') && l.includes('disk on fire')));
      s.fail = false;
      s.revision = 12;
      assert.equal(await c.runOnce(), 9);
    } finally {
      setLogSink();
    }
  });

  it('runs on its own timer until stopped', async () => {
    const s = fakeStore();
    const c = startCompactor(s, { intervalMs: 5, log: quiet });
    try {
      for (let i = 1; i <= 20; i++) {
        s.revision = i * 10;
        await new Promise((r) => setTimeout(r, 8));
      }
      assert.ok(s.compactCalls.length >= 3, `only ${s.compactCalls.length} compactions`);
      for (let i = 1; i < s.compactCalls.length; i++) assert.ok(s.compactCalls[i]! > s.compactCalls[i - 1]!);
    } finally {
      c.stop();
    }
    const n = s.compactCalls.length;
    s.revision += 100;
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(s.compactCalls.length, n, 'ran after stop()');
  });
});
