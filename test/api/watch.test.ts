/**
 * Watch over the real HTTP API: framing, replay from a resourceVersion,
 * initial events, selector transitions, timeouts, Table events, bookmarks
 * for WatchList, and 410 after compaction.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type TestServer } from '../harness/server.ts';
import { apiClient, type ApiClient } from '../harness/api.ts';

let srv: TestServer;
let api: ApiClient;

// A short compaction interval lets the 410 test run in seconds.
before(async () => {
  srv = await startServer(['--compaction-interval', '1s']);
  api = apiClient(srv.kubeconfig);
});
after(async () => srv?.stop());

const base = '/api/v1/namespaces/default/configmaps';
const merge = { 'content-type': 'application/merge-patch+json' };

/** Collects frames until `n` arrive or the timeout passes. */
async function collect(lines: AsyncGenerator<string>, n: number, ms = 3000): Promise<{ type: string; object: any }[]> {
  const out: { type: string; object: any }[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n && Date.now() < deadline) {
    const next = await Promise.race([lines.next(), sleep(Math.max(1, deadline - Date.now())).then(() => undefined)]);
    if (!next || next.done) break;
    out.push(JSON.parse(next.value));
  }
  return out;
}

describe('watch', () => {
  it('replays changes after a resourceVersion, in order, then streams live', async () => {
    const start = (await api.request('GET', base)).json.metadata.resourceVersion;
    await api.request('POST', base, { metadata: { name: 'w1' }, data: { a: '1' } });
    await api.request('PATCH', `${base}/w1`, { data: { a: '2' } }, merge);
    const w = api.stream(`${base}?watch=true&resourceVersion=${start}`);
    assert.equal(await w.status, 200);
    const first = await collect(w.lines, 2);
    assert.deepEqual(first.map((e) => e.type), ['ADDED', 'MODIFIED']);
    assert.deepEqual(first[1]!.object.data, { a: '2' });
    await api.request('DELETE', `${base}/w1`);
    const del = await collect(w.lines, 1);
    assert.equal(del[0]!.type, 'DELETED');
    assert.equal(del[0]!.object.metadata.name, 'w1');
    assert.ok(Number(del[0]!.object.metadata.resourceVersion) > Number(first[1]!.object.metadata.resourceVersion));
    w.close();
  });

  it('starts with synthetic ADDED events for resourceVersion 0 and honours timeoutSeconds', async () => {
    await api.request('POST', base, { metadata: { name: 'w2' } });
    const w = api.stream(`${base}?watch=1&resourceVersion=0&timeoutSeconds=1&fieldSelector=metadata.name%3Dw2`);
    const evs = await collect(w.lines, 5, 4000);
    assert.deepEqual(evs.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'w2']]);
  });

  it('turns selector transitions into ADDED and DELETED', async () => {
    await api.request('POST', base, { metadata: { name: 'w3', labels: { tier: 'a' } } });
    const rv = (await api.request('GET', `${base}/w3`)).json.metadata.resourceVersion;
    const w = api.stream(`${base}?watch=true&resourceVersion=${rv}&labelSelector=tier%3Db`);
    await api.request('PATCH', `${base}/w3`, { metadata: { labels: { tier: 'b' } } }, merge);
    await api.request('PATCH', `${base}/w3`, { data: { x: 'y' } }, merge);
    await api.request('PATCH', `${base}/w3`, { metadata: { labels: { tier: 'c' } } }, merge);
    const evs = await collect(w.lines, 3);
    assert.deepEqual(evs.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    w.close();
  });

  it('sends one-row Tables with column definitions only first', async () => {
    const w = api.stream(`${base}?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dw3`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    const [added] = await collect(w.lines, 1);
    assert.equal(added!.object.kind, 'Table');
    assert.deepEqual(added!.object.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Data', 'Age']);
    assert.equal(added!.object.rows.length, 1);
    await api.request('PATCH', `${base}/w3`, { data: { z: '1' } }, merge);
    const [mod] = await collect(w.lines, 1);
    assert.equal(mod!.object.columnDefinitions, null);
    assert.equal(mod!.object.rows[0].cells[0], 'w3');
    w.close();
  });

  it('ends WatchList initial events with an annotated BOOKMARK', async () => {
    const w = api.stream(`${base}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&fieldSelector=metadata.name%3Dw3`);
    const evs = await collect(w.lines, 2);
    assert.deepEqual(evs.map((e) => e.type), ['ADDED', 'BOOKMARK']);
    assert.equal(evs[1]!.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    w.close();
    const bad = await api.request('GET', `${base}?watch=true&sendInitialEvents=true`);
    assert.equal(bad.status, 422);
  });

  it('answers a compacted resourceVersion with an ERROR 410 Expired event', async () => {
    const old = (await api.request('POST', base, { metadata: { name: 'w4' } })).json.metadata.resourceVersion;
    for (let i = 0; i < 5; i++) await api.request('PATCH', `${base}/w4`, { data: { i: String(i) } }, merge);
    // Two compaction intervals: the first records a mark, the second compacts to it.
    await sleep(2600);
    await api.request('PATCH', `${base}/w4`, { data: { i: 'x' } }, merge);
    await sleep(1200);
    const w = api.stream(`${base}?watch=true&resourceVersion=${old}`);
    assert.equal(await w.status, 200);
    const [ev] = await collect(w.lines, 1);
    assert.equal(ev!.type, 'ERROR');
    assert.equal(ev!.object.code, 410);
    assert.equal(ev!.object.reason, 'Expired');
    assert.match(ev!.object.message, /^too old resource version: \d+ \(\d+\)$/);
    const list = await api.request('GET', `${base}?resourceVersion=${old}&resourceVersionMatch=Exact`);
    assert.equal(list.status, 410);
  });
});
