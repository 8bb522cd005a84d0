/** Conformance: prefix lists, pagination, counts and reads of the past. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, KeyValue } from '../backend.ts';
import { TEST_TIMEOUT, withBackend, type OpenBackend } from './helpers.ts';

const keys = (kvs: KeyValue[]) => kvs.map((kv) => kv.key);

async function put(b: Backend, key: string, value: string): Promise<KeyValue> {
  const cur = (await b.get(key)).kv;
  const r = cur ? await b.update(key, value, cur.modRevision) : await b.create(key, value);
  assert.ok(r.ok, `write ${key}`);
  return r.kv;
}

export function listCases(open: OpenBackend): void {
  describe('list and count', () => {
    it('lists live keys under a prefix, in key order, and nothing else', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        for (const k of ['/r/pods/ns1/c', '/r/pods/ns1/a', '/r/pods/ns2/b', '/r/pods-x/y', '/r/pods', '/r/podsz', '/r/pods/ns1/b']) await put(b, k, k);
        assert.ok((await b.delete('/r/pods/ns1/b')).ok);
        const all = await b.list('/r/pods/');
        assert.deepEqual(keys(all.kvs), ['/r/pods/ns1/a', '/r/pods/ns1/c', '/r/pods/ns2/b']);
        assert.equal(all.more, false);
        assert.equal(all.revision, await b.currentRevision());
        assert.deepEqual(all.kvs[0], (await b.get('/r/pods/ns1/a')).kv);
        assert.deepEqual(keys((await b.list('/r/pods/ns1/')).kvs), ['/r/pods/ns1/a', '/r/pods/ns1/c']);
        assert.deepEqual(keys((await b.list('/r/pods/ns3/')).kvs), []);
        assert.equal((await b.list('')).kvs.length, 6);
      }));

    it('limit returns the first keys and says whether more exist', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        for (const k of ['e', 'b', 'd', 'a', 'c']) await put(b, `/l/${k}`, k);
        assert.deepEqual(await b.list('/l/', { limit: 2 }).then((r) => [keys(r.kvs), r.more]), [['/l/a', '/l/b'], true]);
        assert.deepEqual(await b.list('/l/', { limit: 4 }).then((r) => [keys(r.kvs), r.more]), [['/l/a', '/l/b', '/l/c', '/l/d'], true]);
        assert.deepEqual(await b.list('/l/', { limit: 5 }).then((r) => [keys(r.kvs).length, r.more]), [5, false]);
        assert.deepEqual(await b.list('/l/', { limit: 50 }).then((r) => [keys(r.kvs).length, r.more]), [5, false]);
        assert.deepEqual(await b.list('/l/', { limit: 0 }).then((r) => [keys(r.kvs).length, r.more]), [5, false]);
      }));

    it('startKey and a fixed revision page through a consistent snapshot while writes go on', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        for (let i = 0; i < 7; i++) await put(b, `/p/k${i}`, `v${i}`);
        const snapshot = await b.list('/p/');
        const rev = snapshot.revision;
        // Writes after the snapshot: pages read at `rev` must not see them.
        await put(b, '/p/k00', 'new');
        await put(b, '/p/k3', 'changed');
        assert.ok((await b.delete('/p/k5')).ok);
        const pages: KeyValue[] = [];
        let startKey: string | undefined;
        for (;;) {
          const page = await b.list('/p/', { revision: rev, limit: 3, startKey });
          assert.equal(page.revision, rev);
          pages.push(...page.kvs);
          if (!page.more) break;
          startKey = page.kvs[page.kvs.length - 1]!.key + '\u0000';
        }
        assert.deepEqual(pages, snapshot.kvs);
        // startKey before the prefix is the same as no startKey.
        assert.deepEqual((await b.list('/p/', { startKey: '/a' })).kvs.length, 7);
        assert.deepEqual(keys((await b.list('/p/', { startKey: '/p/k4' })).kvs), ['/p/k4', '/p/k6']);
      }));

    it('lists at past revisions show values, presence and absence as they were', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        const a1 = await put(b, '/h/a', 'a1');
        const b1 = await put(b, '/h/b', 'b1');
        const a2 = await put(b, '/h/a', 'a2');
        const del = await b.delete('/h/b');
        assert.ok(del.ok);
        const c1 = await put(b, '/h/c', 'c1');
        const at = async (revision: number) => (await b.list('/h/', { revision })).kvs;
        assert.deepEqual(await at(a1.modRevision), [a1]);
        assert.deepEqual(await at(b1.modRevision), [a1, b1]);
        assert.deepEqual(await at(a2.modRevision), [a2, b1]);
        assert.deepEqual(await at(del.kv.modRevision), [a2]);
        assert.deepEqual(await at(c1.modRevision), [a2, c1]);
        assert.deepEqual((await b.list('/h/', { revision: b1.modRevision, limit: 1 })).more, true);
      }));

    it('count counts live keys under a prefix at the current revision', TEST_TIMEOUT, () =>
      withBackend(open, async (b) => {
        for (let i = 0; i < 5; i++) await put(b, `/c/x/${i}`, 'v');
        await put(b, '/c/xy', 'v');
        await put(b, '/c/x/0', 'again');
        assert.ok((await b.delete('/c/x/1')).ok);
        assert.deepEqual(await b.count('/c/x/'), { revision: await b.currentRevision(), count: 4 });
        assert.equal((await b.count('/c/')).count, 5);
        assert.equal((await b.count('/nothing/')).count, 0);
      }));
  });
}
