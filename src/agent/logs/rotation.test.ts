/**
 * The container log manager on real files in a temporary directory, with a
 * stub runtime (reopen creates the new live file, as containerd does) and
 * a fake clock: size threshold, upstream names, file count, compression,
 * recovery from failed reopens and interrupted rounds, and the agent
 * server's reader over the result.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FakeClock } from '../../client/clock.ts';
import { setLogLevel } from '../../util/log.ts';
import { RuntimeError, type ContainerState, type ContainerStatus } from '../runtime/types.ts';
import { streamLogs } from '../server/logs.ts';
import { ContainerLogManager, parseLogSize, rotatedName } from './rotation.ts';

if (!process.env.BRAMBLE_TEST_DEBUG) setLogLevel('error');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'blogrot-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let seq = 0;
/** A container log directory and a runtime that knows one container writing to `<dir>/0.log`. */
function setup(state: ContainerState = 'running') {
  const dir = path.join(root, `c${++seq}`);
  fs.mkdirSync(dir);
  const logPath = path.join(dir, '0.log');
  const calls: string[] = [];
  let failReopen = false;
  const c = { id: `ctr${seq}`, state, logPath } as ContainerStatus;
  const runtime = {
    listContainers: async () => [c],
    reopenContainerLog: async (id: string) => {
      calls.push(id);
      if (failReopen) throw new RuntimeError('Internal', 'reopen failed');
      fs.appendFileSync(logPath, '');
    },
  };
  return { dir, logPath, calls, runtime, c, failReopen: (v: boolean) => (failReopen = v) };
}

/** `n` CRI log lines `<tag>-<i>` (each about 40 bytes). */
function lines(tag: string, n: number, from = 0): string {
  let s = '';
  for (let i = from; i < from + n; i++) s += `2026-11-22T03:00:${String(i % 60).padStart(2, '0')}.000000001Z stdout F ${tag}-${i}\n`;
  return s;
}

const names = (dir: string) => fs.readdirSync(dir).sort();

describe('container log rotation', () => {
  it('names rotated files as upstream (YYYYMMDD-hhmmss) and parses kubelet sizes', () => {
    assert.equal(rotatedName('/x/0.log', Date.UTC(2026, 10, 2, 3, 4, 5, 678)), '/x/0.log.20261102-030405');
    assert.equal(parseLogSize('10Mi'), 10 * 1024 * 1024);
    assert.equal(parseLogSize('64Ki'), 65536);
    assert.equal(parseLogSize('1M'), 1_000_000);
    assert.equal(parseLogSize('500'), 500);
    assert.throws(() => parseLogSize('10MB'), /invalid log size/);
    assert.throws(() => new ContainerLogManager({ runtime: setup().runtime, maxFiles: 1 }), /at least 2/);
  });

  it('leaves a log under the limit alone, rotates one at the limit and asks the runtime to reopen it', async () => {
    const t = setup();
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 3, 0, 0));
    const m = new ContainerLogManager({ runtime: t.runtime, maxSizeBytes: 1000, maxFiles: 3, clock });
    fs.writeFileSync(t.logPath, 'x'.repeat(999));
    await m.rotateAll();
    assert.deepEqual(names(t.dir), ['0.log']);
    assert.deepEqual(t.calls, []);
    fs.appendFileSync(t.logPath, 'y');
    await m.rotateAll();
    assert.deepEqual(names(t.dir), ['0.log', '0.log.20261122-030000']);
    assert.equal(fs.statSync(t.logPath).size, 0);
    assert.equal(fs.readFileSync(path.join(t.dir, '0.log.20261122-030000'), 'utf8'), 'x'.repeat(999) + 'y');
    assert.deepEqual(t.calls, [t.c.id]);
  });

  it('keeps at most maxFiles (the live one included), deleting the oldest; no gzip below four files', async () => {
    const t = setup();
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 3, 0, 0));
    const m = new ContainerLogManager({ runtime: t.runtime, maxSizeBytes: 100, maxFiles: 3, clock });
    for (let i = 0; i < 5; i++) {
      fs.appendFileSync(t.logPath, lines(`r${i}`, 3));
      await m.rotateAll();
      clock.advance(10_000);
    }
    // Rounds at :00 :10 :20 :30 :40; the live file plus the two newest rotated remain.
    assert.deepEqual(names(t.dir), ['0.log', '0.log.20261122-030030', '0.log.20261122-030040']);
    assert.match(fs.readFileSync(path.join(t.dir, '0.log.20261122-030040'), 'utf8'), /r4-2\n$/);
  });

  it('gzips all rotated files but the newest, and the reader returns the uncompressed ones and the live file in order', async () => {
    const t = setup();
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 3, 0, 0));
    const m = new ContainerLogManager({ runtime: t.runtime, maxSizeBytes: 100, maxFiles: 5, clock });
    for (let i = 0; i < 6; i++) {
      fs.appendFileSync(t.logPath, lines(`r${i}`, 3));
      await m.rotateAll();
      clock.advance(10_000);
    }
    fs.appendFileSync(t.logPath, lines('live', 2));
    // Five files: two archives, the two newest rotated (the latest was rotated after the last compression) and the live one.
    assert.deepEqual(names(t.dir), ['0.log', '0.log.20261122-030020.gz', '0.log.20261122-030030.gz', '0.log.20261122-030040', '0.log.20261122-030050']);
    assert.equal(gunzipSync(fs.readFileSync(path.join(t.dir, '0.log.20261122-030020.gz'))).toString(), lines('r2', 3));
    let out = '';
    const sink = { write: (s: string) => void (out += s), drained: async () => {}, closed: false };
    await streamLogs(t.logPath, { follow: false, timestamps: false, previous: false }, sink, async () => true, new AbortController().signal);
    assert.equal(out, 'r4-0\nr4-1\nr4-2\nr5-0\nr5-1\nr5-2\nlive-0\nlive-1\n');
  });

  it('a failed reopen renames the file back; the next round rotates it', async () => {
    const t = setup();
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 3, 0, 0));
    const m = new ContainerLogManager({ runtime: t.runtime, maxSizeBytes: 10, maxFiles: 3, clock });
    fs.writeFileSync(t.logPath, 'a'.repeat(20));
    t.failReopen(true);
    await m.rotateAll(); // logged, not thrown
    assert.deepEqual(names(t.dir), ['0.log']);
    assert.equal(fs.readFileSync(t.logPath, 'utf8'), 'a'.repeat(20));
    t.failReopen(false);
    clock.advance(10_000);
    await m.rotateAll();
    assert.deepEqual(names(t.dir), ['0.log', '0.log.20261122-030010']);
  });

  it('recovers a missing live file by reopening, and skips a rotation whose name is taken', async () => {
    const t = setup();
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 3, 0, 0));
    const m = new ContainerLogManager({ runtime: t.runtime, maxSizeBytes: 10, maxFiles: 3, clock });
    await m.rotateAll();
    assert.deepEqual(t.calls, [t.c.id]);
    assert.deepEqual(names(t.dir), ['0.log']);
    fs.writeFileSync(t.logPath, 'b'.repeat(20));
    await m.rotateAll();
    fs.writeFileSync(t.logPath, 'c'.repeat(20));
    await m.rotateAll(); // same second: waits
    assert.deepEqual(names(t.dir), ['0.log', '0.log.20261122-030000']);
    assert.equal(fs.readFileSync(path.join(t.dir, '0.log.20261122-030000'), 'utf8'), 'b'.repeat(20));
    clock.advance(1000);
    await m.rotateAll();
    assert.deepEqual(names(t.dir), ['0.log', '0.log.20261122-030000', '0.log.20261122-030001']);
  });

  it('cleans leftovers of an interrupted round: temporary files and files already compressed', async () => {
    const t = setup();
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 3, 0, 0));
    const m = new ContainerLogManager({ runtime: t.runtime, maxSizeBytes: 10, maxFiles: 5, clock });
    fs.writeFileSync(path.join(t.dir, '0.log.20261122-020000'), 'old');
    fs.writeFileSync(path.join(t.dir, '0.log.20261122-020000.gz'), 'gz');
    fs.writeFileSync(path.join(t.dir, '0.log.20261122-020010.gz.tmp'), 'partial');
    fs.writeFileSync(path.join(t.dir, '0.log.20261122-020010'), 'kept');
    fs.writeFileSync(path.join(t.dir, '1.log.20261122-020010'), 'other instance');
    fs.writeFileSync(t.logPath, 'd'.repeat(20));
    await m.rotateAll();
    assert.deepEqual(names(t.dir), ['0.log', '0.log.20261122-020000.gz', '0.log.20261122-020010', '0.log.20261122-030000', '1.log.20261122-020010']);
  });

  it('touches only running containers, and runs every interval until stopped', async () => {
    const t = setup('exited');
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 3, 0, 0));
    const m = new ContainerLogManager({ runtime: t.runtime, maxSizeBytes: 10, maxFiles: 3, clock, intervalMs: 10_000 });
    fs.writeFileSync(t.logPath, 'e'.repeat(20));
    await m.rotateAll();
    assert.deepEqual(names(t.dir), ['0.log']);
    t.c.state = 'running';
    m.start();
    clock.advance(9_999);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(names(t.dir), ['0.log']);
    clock.advance(1);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(names(t.dir), ['0.log', '0.log.20261122-030010']);
    await m.stop();
    fs.writeFileSync(t.logPath, 'f'.repeat(20));
    clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(names(t.dir), ['0.log', '0.log.20261122-030010']);
    assert.equal(clock.pending(), 0);
  });
});
