import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.ts';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bramble-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('writes data with the exact mode and leaves only the target', async () => {
  const file = path.join(dir, 'a.key');
  await writeFileAtomic(file, Buffer.from([1, 2, 3]), 0o640);
  assert.deepEqual([...readFileSync(file)], [1, 2, 3]);
  assert.equal(statSync(file).mode & 0o7777, 0o640);
  assert.deepEqual(readdirSync(dir), ['a.key']);
});

test('a failed rename removes the temporary file and keeps the target', async () => {
  const target = path.join(dir, 'occupied');
  mkdirSync(path.join(target, 'child'), { recursive: true }); // a non-empty directory cannot be renamed over
  await assert.rejects(writeFileAtomic(target, 'x', 0o600));
  assert.deepEqual(readdirSync(dir), ['occupied']);
  assert.ok(statSync(target).isDirectory());
});

test('refuses a nonsense mode before touching the disk', async () => {
  await assert.rejects(writeFileAtomic(path.join(dir, 'x'), 'x', -1), RangeError);
  assert.deepEqual(readdirSync(dir), []);
});
