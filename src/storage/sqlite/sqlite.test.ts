import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { runBackendSuite } from '../backend.suite.ts';
import { rejectsWith, WatchReader } from '../suite/helpers.ts';
import { openSqliteBackend, type SqliteBackendOptions } from './sqlite.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bramble-sqlite-'));
  dirs.push(dir);
  return join(dir, 'state.db');
}

const open = (extra: Partial<SqliteBackendOptions> = {}) => () => openSqliteBackend({ path: tempPath(), ...extra });

runBackendSuite('sqlite', open());
runBackendSuite('sqlite (inline writer)', open({ writer: 'inline' }));
runBackendSuite('sqlite (no group commit)', open({ groupCommit: false }));

/** Rows in the log table, read straight from the file (after the backend closed). */
function logRows(path: string): { id: number; key: string; deleted: number }[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows = db.prepare('SELECT id, key, deleted FROM log ORDER BY id').all() as { id: number; key: string; deleted: number }[];
    return rows.map((r) => ({ ...r })); // plain objects, for deepEqual
  } finally {
    db.close();
  }
}

describe('sqlite backend', () => {
  it('keeps data, revisions and the compacted revision across close and reopen', async () => {
    const path = tempPath();
    const b1 = await openSqliteBackend({ path });
    for (let i = 0; i < 5; i++) assert.ok((await b1.create(`/k/${i}`, `v${i}`)).ok);
    const u = await b1.update('/k/0', 'v0b', 1);
    assert.ok(u.ok);
    assert.ok((await b1.delete('/k/4')).ok);
    assert.equal(await b1.compact(6), 6);
    const listed = await b1.list('/k/');
    await b1.close();

    const b2 = await openSqliteBackend({ path });
    try {
      assert.equal(await b2.currentRevision(), 7);
      assert.equal(await b2.compactedRevision(), 6);
      assert.deepEqual(await b2.list('/k/'), listed);
      await rejectsWith(b2.get('/k/0', { revision: 5 }), 'COMPACTED');
      const c = await b2.create('/k/new', 'n');
      assert.ok(c.ok);
      assert.equal(c.kv.modRevision, 8);
    } finally {
      await b2.close();
    }
  });

  it('revisions keep counting after compaction removed the newest rows', async () => {
    const path = tempPath();
    const b1 = await openSqliteBackend({ path });
    assert.ok((await b1.create('/a', '1')).ok);
    assert.ok((await b1.delete('/a')).ok);
    await b1.compact(2);
    await b1.close();
    assert.deepEqual(logRows(path), [], 'tombstone and superseded row are gone');
    const b2 = await openSqliteBackend({ path });
    try {
      assert.equal(await b2.currentRevision(), 2);
      const c = await b2.create('/a', '2');
      assert.ok(c.ok);
      assert.equal(c.kv.modRevision, 3);
    } finally {
      await b2.close();
    }
  });

  it('compaction deletes superseded rows and tombstones at or below the target only', async () => {
    const path = tempPath();
    const b = await openSqliteBackend({ path });
    assert.ok((await b.create('/x', '1')).ok); // 1: superseded by 2
    assert.ok((await b.update('/x', '2', 1)).ok); // 2: live at 3, superseded by 4 (above target)
    assert.ok((await b.create('/y', '1')).ok); // 3: deleted by 5 (above target)
    assert.ok((await b.update('/x', '3', 2)).ok); // 4
    assert.ok((await b.delete('/y')).ok); // 5
    assert.ok((await b.create('/z', '1')).ok); // 6
    assert.ok((await b.delete('/z')).ok); // 7: tombstone above target
    await b.compact(3);
    await b.close();
    assert.deepEqual(logRows(path).map((r) => r.id), [2, 3, 4, 5, 6, 7]);

    const b2 = await openSqliteBackend({ path });
    await b2.compact(7);
    await b2.close();
    assert.deepEqual(logRows(path), [{ id: 4, key: '/x', deleted: 0 }]);
  });

  it('writes nothing to disk when idle, and removes its WAL on close', async () => {
    const path = tempPath();
    const b = await openSqliteBackend({ path, compactIntervalMs: 20 });
    for (let i = 0; i < 20; i++) assert.ok((await b.create(`/k/${i}`, 'v')).ok);
    // Let the compactor run a few times: first it learns, then compacts, then goes quiet.
    await new Promise((r) => setTimeout(r, 200));
    const sizes = () => [path, `${path}-wal`].map((p) => (existsSync(p) ? `${statSync(p).size}:${statSync(p).mtimeMs}` : '-'));
    const before = sizes();
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(sizes(), before);
    await b.close();
    assert.equal(existsSync(`${path}-wal`), false);
  });

  it('fails to open with UNAVAILABLE when the path cannot be a database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bramble-sqlite-'));
    dirs.push(dir);
    await rejectsWith(openSqliteBackend({ path: dir }), 'UNAVAILABLE');
  });

  it('a replay overtaken by compaction fails with COMPACTED instead of skipping events', async () => {
    const b = await openSqliteBackend({ path: tempPath(), compactIntervalMs: 0 });
    try {
      for (let i = 0; i < 2500; i += 250) await Promise.all(Array.from({ length: 250 }, (_, j) => b.create(`/r/${i + j}`, 'v')));
      for (let i = 0; i < 2500; i += 250) {
        await Promise.all(Array.from({ length: 250 }, (_, j) => b.update(`/r/${i + j}`, 'v2', i + j + 1)));
      }
      const w = new WatchReader(b.watch('/r/', { afterRevision: 1 }));
      const first = await w.batch();
      assert.ok(first.events.length > 0 && first.revision < 5000, 'replay comes in pages');
      await b.compact(4000);
      const e = await rejectsWith(w.next(), 'COMPACTED');
      assert.equal(e.compactedRevision, 4000);
    } finally {
      await b.close();
    }
  });

  it('watch replay from disk carries prev values for updates and deletes after a reopen', async () => {
    const path = tempPath();
    const b1 = await openSqliteBackend({ path });
    assert.ok((await b1.create('/p/a', 'a1')).ok);
    assert.ok((await b1.update('/p/a', 'a2', 1)).ok);
    assert.ok((await b1.delete('/p/a')).ok);
    await b1.close();
    const b2 = await openSqliteBackend({ path });
    const w = new WatchReader(b2.watch('/p/', { afterRevision: 1 }));
    try {
      const events = await w.events(2);
      assert.deepEqual(events, [
        { type: 'update', kv: { key: '/p/a', value: 'a2', createRevision: 1, modRevision: 2 }, prev: { key: '/p/a', value: 'a1', createRevision: 1, modRevision: 1 } },
        { type: 'delete', kv: { key: '/p/a', value: 'a2', createRevision: 1, modRevision: 3 }, prev: { key: '/p/a', value: 'a2', createRevision: 1, modRevision: 2 } },
      ]);
    } finally {
      await w.close();
      await b2.close();
    }
  });
});

const node = new URL('../../../node_modules/.bin/node', import.meta.url).pathname;
const child = new URL('./crash-child.ts', import.meta.url).pathname;

/** Runs crash-child.ts until it has acknowledged `acks` writes (plus a random few), then SIGKILLs it. */
async function writeUntilKilled(path: string, round: number, acks: number): Promise<string[]> {
  const proc = spawn(node, ['--disable-warning=ExperimentalWarning', child, path, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    const extra = Math.floor(Math.random() * 50);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child made too little progress: ${err}`)), 20_000);
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.split('\n').length > acks + extra) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`child exited early with ${code}: ${err}`));
      });
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    });
    proc.kill('SIGKILL');
    await exited;
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  }
  assert.equal(proc.signalCode, 'SIGKILL');
  // Whatever reached the pipe before the kill was acknowledged; a torn last line is dropped.
  const lines = out.split('\n');
  lines.pop();
  assert.equal(lines.shift(), 'READY');
  return lines;
}

describe('sqlite crash durability', () => {
  it('every write acknowledged before kill -9 survives, and the log stays gapless', { timeout: 120_000 }, async () => {
    const path = tempPath();
    const counters = new Map<string, number>();
    const created = new Set<string>();
    let compactedSeen = 0;
    for (let round = 0; round < 3; round++) {
      for (const line of await writeUntilKilled(path, round, 400)) {
        const [kind, key, value] = line.split(' ');
        if (kind === 'C') created.add(key!);
        else counters.set(key!, Number(value));
      }
      const b = await openSqliteBackend({ path, compactIntervalMs: 0 });
      try {
        for (const key of created) assert.ok((await b.get(key)).kv, `acknowledged create ${key} is missing after round ${round}`);
        for (const [key, acked] of counters) {
          const stored = Number((await b.get(key)).kv?.value);
          // An unacknowledged later update may also have committed; never less.
          assert.ok(stored >= acked, `${key} is ${stored}, but ${acked} was acknowledged`);
        }
        const current = await b.currentRevision();
        const compacted = await b.compactedRevision();
        assert.ok(compacted <= current);
        compactedSeen = Math.max(compactedSeen, compacted);
        // Every revision above the compacted one is still in the log, exactly once.
        const w = new WatchReader(b.watch('', { afterRevision: compacted }));
        try {
          const events = current > compacted ? await w.events(current - compacted, 20_000) : [];
          assert.deepEqual(events.map((e) => e.kv.modRevision), Array.from({ length: current - compacted }, (_, i) => compacted + 1 + i));
        } finally {
          await w.close();
        }
      } finally {
        await b.close();
      }
    }
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      assert.deepEqual({ ...(db.prepare('PRAGMA integrity_check').get() as object) }, { integrity_check: 'ok' });
    } finally {
      db.close();
    }
    assert.ok(created.size >= 600, `only ${created.size} creates were acknowledged`);
    assert.ok(compactedSeen > 0, 'the child never compacted, so no kill could land in a compaction');
  });
});
