/**
 * Deferred updates (heartbeats such as node Lease renewals): visible at
 * once, written to disk later, never reusing a revision after a crash, and
 * leaving the log compactable.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteBackend } from './sqlite.ts';
import type { Backend, WatchBatch } from '../backend.ts';

const tempPath = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-deferred-')), 'state.db');
const node = process.execPath;

/** The newest row of a key as stored on disk, read with a separate connection. */
function onDisk(file: string, key: string): { id: number; value: string | null } | undefined {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare('SELECT id, value FROM log WHERE key = ? ORDER BY id DESC LIMIT 1').get(key) as { id: number; value: string | null } | undefined;
  } finally {
    db.close();
  }
}

function rowsOf(file: string, key: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM log WHERE key = ?').get(key) as { n: number }).n;
  } finally {
    db.close();
  }
}

const walSize = (file: string) => (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);

async function renew(b: Backend, key: string, times: number): Promise<number> {
  let kv = (await b.get(key)).kv!;
  for (let i = 0; i < times; i++) {
    const r = await b.update(key, `renew-${i}`, kv.modRevision, { deferred: true });
    assert.ok(r.ok);
    kv = r.kv;
  }
  return kv.modRevision;
}

describe('sqlite deferred updates', () => {
  it('are visible to get, list and watch at once but not written to disk', async () => {
    const file = tempPath();
    const b = await openSqliteBackend({ path: file, compactIntervalMs: 0, writer: 'inline', deferredFlushMs: 0 });
    try {
      const c = await b.create('/lease/a', 'v0');
      assert.ok(c.ok);
      const events: WatchBatch[] = [];
      const ac = new AbortController();
      const pumping = b.watch('/lease/', { afterRevision: 0, signal: ac.signal }).pump((batch) => events.push(batch));
      await renew(b, '/lease/a', 1);
      const walBefore = walSize(file);
      const last = await renew(b, '/lease/a', 200);
      assert.equal(walSize(file), walBefore, '200 renewals wrote nothing to the WAL');
      assert.equal((await b.get('/lease/a')).kv?.value, 'renew-199');
      assert.equal((await b.get('/lease/a')).kv?.modRevision, last);
      assert.equal((await b.list('/lease/')).kvs[0]?.value, 'renew-199');
      assert.equal(onDisk(file, '/lease/a')?.value, 'v0', 'disk still holds the durable value');
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(events.flatMap((e) => e.events).length, 201, 'every renewal reached live watchers');
      ac.abort();
      await pumping;
      // A stale compare still fails against the deferred state.
      const stale = await b.update('/lease/a', 'x', c.kv.modRevision, { deferred: true });
      assert.equal(stale.ok, false);
      assert.equal(!stale.ok && stale.current?.modRevision, last);
    } finally {
      await b.close();
    }
    // Closing writes them: the newest value and its revision survive a restart.
    const again = await openSqliteBackend({ path: file, compactIntervalMs: 0, writer: 'inline' });
    try {
      const kv = (await again.get('/lease/a')).kv!;
      assert.equal(kv.value, 'renew-199');
      const next = await again.update('/lease/a', 'durable', kv.modRevision);
      assert.ok(next.ok && next.kv.modRevision > kv.modRevision);
    } finally {
      await again.close();
    }
  });

  it('a durable write after deferred ones keeps the log chain whole, so compaction leaves one row', async () => {
    const file = tempPath();
    const b = await openSqliteBackend({ path: file, compactIntervalMs: 0, writer: 'inline', deferredFlushMs: 0 });
    try {
      const c = await b.create('/lease/b', 'v0');
      assert.ok(c.ok);
      const d = await renew(b, '/lease/b', 5);
      const durable = await b.update('/lease/b', 'spec-change', d);
      assert.ok(durable.ok);
      assert.equal(durable.prev.value, 'renew-4', 'the durable write replaced the deferred value');
      assert.equal(onDisk(file, '/lease/b')?.value, 'spec-change');
      // History replay sees the deferred value as the prev of the durable change.
      const replay: WatchBatch[] = [];
      const ac = new AbortController();
      const p = b.watch('/lease/', { afterRevision: c.kv.modRevision, signal: ac.signal }).pump((batch) => replay.push(batch));
      await new Promise((r) => setTimeout(r, 30));
      ac.abort();
      await p;
      const evs = replay.flatMap((x) => x.events);
      assert.ok(evs.some((e) => e.type === 'update' && e.kv.value === 'spec-change' && e.prev.value === 'renew-4'));
      await b.compact(await b.currentRevision());
      assert.equal(rowsOf(file, '/lease/b'), 1);
    } finally {
      await b.close();
    }
  });

  it('a flush after compaction passed the deferred revision still leaves one row per key', async () => {
    const file = tempPath();
    const b = await openSqliteBackend({ path: file, compactIntervalMs: 0, writer: 'inline', deferredFlushMs: 0 });
    try {
      assert.ok((await b.create('/lease/c', 'v0')).ok);
      await renew(b, '/lease/c', 3);
      await b.create('/other/x', 'y');
      await b.compact(await b.currentRevision());
      const flushed = await (b as unknown as { flushDeferred(): Promise<number> }).flushDeferred();
      assert.equal(flushed, 1);
      assert.equal(await (b as unknown as { flushDeferred(): Promise<number> }).flushDeferred(), 0, 'nothing deferred: nothing written');
      assert.equal(rowsOf(file, '/lease/c'), 1);
      assert.equal(onDisk(file, '/lease/c')?.value, 'renew-2');
    } finally {
      await b.close();
    }
  });

  it('after a crash the key reads as its last durable value and no revision is reused', { timeout: 60_000 }, async () => {
    const file = tempPath();
    const child = spawn(node, ['--disable-warning=ExperimentalWarning', new URL('./deferred-child.ts', import.meta.url).pathname, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child made too little progress: ${err}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.split('\n').length > 500) {
          clearTimeout(t);
          resolve();
        }
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    });
    child.kill('SIGKILL');
    await exited;
    const lines = out.split('\n');
    lines.pop();
    const created = Number(lines[0]!.split(' ')[1]);
    const highest = Math.max(...lines.map((l) => Number(l.split(' ')[1])));
    assert.ok(highest > created + 400);
    const b = await openSqliteBackend({ path: file, compactIntervalMs: 0, writer: 'inline' });
    try {
      const kv = (await b.get('/lease/node-1')).kv!;
      assert.equal(kv.value, 'renew-0', 'deferred renewals were lost, the durable value remains');
      assert.equal(kv.modRevision, created);
      assert.ok((await b.currentRevision()) >= highest, 'revisions resume above every one handed out');
      const next = await b.update('/lease/node-1', 'after-crash', kv.modRevision, { deferred: true });
      assert.ok(next.ok && next.kv.modRevision > highest);
    } finally {
      await b.close();
    }
  });
});
