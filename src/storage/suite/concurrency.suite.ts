/** Conformance: many clients writing at once, as controllers and kubelets do. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TEST_TIMEOUT, WatchReader, withBackend, type OpenBackend } from './helpers.ts';

export function concurrencyCases(open: OpenBackend): void {
  describe('concurrent writers', () => {
    it('read-modify-write increments racing on one key lose no update', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const clients = 20;
        const perClient = 10;
        const created = await b.create('/counter', '0');
        assert.ok(created.ok);
        const w = new WatchReader(b.watch('/counter', { afterRevision: created.kv.modRevision }));
        try {
          const won: number[] = [];
          let conflicts = 0;
          const client = async () => {
            for (let i = 0; i < perClient; i++) {
              let cur = (await b.get('/counter')).kv!;
              for (;;) {
                const r = await b.update('/counter', String(Number(cur.value) + 1), cur.modRevision);
                if (r.ok) {
                  won.push(r.kv.modRevision);
                  break;
                }
                conflicts++;
                assert.ok(r.current, 'the key must still exist');
                cur = r.current;
              }
            }
          };
          await Promise.all(Array.from({ length: clients }, client));
          const total = clients * perClient;
          assert.equal((await b.get('/counter')).kv?.value, String(total));
          assert.equal(new Set(won).size, total, 'every successful write has its own revision');
          assert.equal(await b.currentRevision(), Math.max(...won));
          assert.ok(conflicts > 0, 'the clients never raced; the test proves nothing');
          // The watch saw a gapless chain: each update's prev is the previous update.
          const events = await w.events(total, 10_000);
          events.forEach((e, i) => {
            assert.equal(e.type, 'update');
            assert.equal(e.kv.value, String(i + 1));
            if (e.type === 'update') assert.equal(e.prev.value, String(i));
          });
        } finally {
          await w.close();
        }
      }));

    it('racing creates of one key: exactly one wins, the rest see the winner', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => b.create('/lock', `client-${i}`)));
        const winners = results.filter((r) => r.ok);
        assert.equal(winners.length, 1);
        const winner = winners[0]!;
        assert.ok(winner.ok);
        for (const r of results) if (!r.ok) assert.deepEqual(r.current, winner.kv);
        assert.equal(await b.currentRevision(), winner.kv.modRevision);
      }));

    it('concurrent writes to different keys all land, each at its own revision', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const n = 200;
        const results = await Promise.all(Array.from({ length: n }, (_, i) => b.create(`/many/${i}`, String(i))));
        const revisions = results.map((r) => {
          assert.ok(r.ok);
          return r.kv.modRevision;
        });
        assert.equal(new Set(revisions).size, n);
        assert.equal(await b.currentRevision(), Math.max(...revisions));
        assert.equal((await b.count('/many/')).count, n);
      }));
  });
}
